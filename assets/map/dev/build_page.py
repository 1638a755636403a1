#!/usr/bin/env python3
"""Assemble map.html from the template, the vendored Leaflet, map.css, map.js and a
map-data JSON file (docs/MAP-DATA.md §2). Reference for the Rust writer.

    build_page.py DATA.json OUT.html [--title T] [--lang zh|en]
"""
import argparse
import base64
import html
import pathlib

ASSETS = pathlib.Path(__file__).resolve().parent.parent


def assemble(data_json: str, title: str, lang: str) -> str:
    template = (ASSETS / "map.html").read_text(encoding="utf-8")
    parts = {
        "{{LC_LANG}}": lang,
        "{{LC_TITLE}}": html.escape(title, quote=True),
        "/*{{LC_LEAFLET_CSS}}*/": (ASSETS / "vendor/leaflet/leaflet.css").read_text(encoding="utf-8"),
        "/*{{LC_MAP_CSS}}*/": (ASSETS / "map.css").read_text(encoding="utf-8"),
        "/*{{LC_LEAFLET_JS}}*/": (ASSETS / "vendor/leaflet/leaflet.js").read_text(encoding="utf-8"),
        "/*{{LC_MAP_JS}}*/": (ASSETS / "map.js").read_text(encoding="utf-8"),
        "{{LC_DATA}}": data_json.replace("<", "\\u003c"),
        "{{LC_FONT_B64}}": base64.b64encode((ASSETS.parent / "fonts/NotoSansCJKsc-Regular-GB2312.otf").read_bytes()).decode("ascii"),
    }
    # One pass over the template: inserted text is never searched again.
    out, pos = [], 0
    while True:
        hits = [(template.find(k, pos), k) for k in parts if template.find(k, pos) >= 0]
        if not hits:
            out.append(template[pos:])
            break
        at, key = min(hits)
        out.append(template[pos:at])
        out.append(parts[key])
        pos = at + len(key)
    return "".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--title", default="learncircle map")
    ap.add_argument("--lang", default="zh")
    a = ap.parse_args()
    page = assemble(pathlib.Path(a.data).read_text(encoding="utf-8"), a.title, a.lang)
    pathlib.Path(a.out).write_text(page, encoding="utf-8")


if __name__ == "__main__":
    main()
