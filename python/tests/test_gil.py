"""The GIL is released during a run: a Python thread keeps counting meanwhile."""

from __future__ import annotations

import threading
import time

import learncircle as lc
from conftest import HEL


def assert_thread_ticks_during(call):
    """Repeat `call` for ~0.6 s while a thread ticks every 5 ms; with the GIL held
    the thread would be stuck during each call (about one tick per call at most,
    between Python-level steps); released, it ticks every ~5 ms."""
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.005)

    t = threading.Thread(target=count)
    t.start()
    try:
        t0 = time.monotonic()
        calls = 0
        while time.monotonic() - t0 < 0.6 and calls < 200:
            call()
            calls += 1
        t1 = time.monotonic()
    finally:
        stop.set()
        t.join()
    during = [x for x in ticks if t0 <= x <= t1]
    assert t1 - t0 > 0.2, "call too short to tell"
    assert len(during) >= 0.3 * (t1 - t0) / 0.005, (len(during), t1 - t0)


def test_thread_runs_during_a_long_call():
    # The network read once; one run takes ~0.06 s on a quiet machine.
    net = lc.read_network(HEL / "Helsinki.osm.pbf")
    assert_thread_ticks_during(
        lambda: lc.coverage(HEL / "sites.csv", HEL / "population.geojson", net, config=HEL / "learncircle.toml")
    )


def test_thread_runs_during_route_calls():
    net = lc.read_network(HEL / "Helsinki.osm.pbf")
    assert_thread_ticks_during(lambda: lc.route(net, [(24.9384, 60.1699)] * 20, (24.9500, 60.1720)))
