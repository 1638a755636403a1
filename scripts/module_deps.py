#!/usr/bin/env python3
"""Dependencies between the top-level modules of src/ (folders and files under src/),
from every `crate::…` path in the code (use lines and inline paths alike):
`scripts/module_deps.py [--edges]` prints the cycles (strongly connected groups of
more than one module) and exits 1 when there is one; --edges also prints who uses whom.
`main.rs` and `cli/` are the binary: their `learncircle::` paths count as uses too.
tests/architecture.rs checks the layer order itself (in `cargo test`)."""
import os, re, sys

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
def top_of(rel):
    parts = rel.split(os.sep)
    return parts[0][:-3] if len(parts) == 1 else parts[0]

edges = {}
for d, _, fs in os.walk(SRC):
    for f in fs:
        if not f.endswith(".rs"):
            continue
        p = os.path.join(d, f)
        me = top_of(os.path.relpath(p, SRC))
        text = open(p, encoding="utf-8").read()
        text = re.sub(r"//[^\n]*", "", text)
        names = set(re.findall(r"\bcrate::(\w+)", text))
        if me in ("main", "cli"):
            names |= set(re.findall(r"\blearncircle::(\w+)", text))
        # grouped imports: use crate::{a, b::c}
        for grp in re.findall(r"\bcrate::\{([^}]*)\}", text):
            names |= set(re.findall(r"(?:^|,)\s*(\w+)", grp))
        edges.setdefault(me, set()).update(n for n in names if n != me and n != "self")

mods = sorted(edges)
# Tarjan's strongly connected components
index, low, stack, on, out, n = {}, {}, [], set(), [], [0]
def visit(v):
    index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in edges:
            continue
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        out.append(sorted(comp))
sys.setrecursionlimit(10000)
for v in mods:
    if v not in index:
        visit(v)
if "--edges" in sys.argv:
    for v in mods:
        print(f"{v:16} -> {', '.join(sorted(w for w in edges[v] if w in edges))}")
cycles = [c for c in out if len(c) > 1]
for c in cycles:
    print("cycle:", " <-> ".join(c))
print(f"{len(mods)} top-level modules, {len(cycles)} cycles")
sys.exit(1 if cycles else 0)
