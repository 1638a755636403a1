#!/usr/bin/env python3
"""Rebuild the embedded chart/report font: Noto Sans CJK SC Regular subset to
the GB 2312 character set (all 6,763 hanzi plus its symbols), ASCII, Latin-1,
Latin Extended-A, a few typographic symbols, and every non-ASCII character
that appears in learncircle's own sources and bundled Shanghai sample.

Needs `pip install fonttools` and Debian's `fonts-noto-cjk` package
(/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc, face 2 = SC).

    python3 assets/fonts/subset.py            # from the repository root
"""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FACE_SC = 2
OUT = ROOT / "assets/fonts/NotoSansCJKsc-Regular-GB2312.otf"


def gb2312_rows(lo, hi):
    out = []
    for row in range(lo, hi + 1):
        for col in range(0xA1, 0xFF):
            try:
                out.append(bytes([row, col]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def charset():
    chars = {chr(c) for c in range(0x20, 0x7F)}
    chars |= {chr(c) for c in range(0xA0, 0x180)}  # Latin-1, Latin Extended-A
    chars |= set(gb2312_rows(0xA1, 0xA9))  # symbols, punctuation, full-width forms
    chars |= set(gb2312_rows(0xB0, 0xF7))  # level 1 and level 2 hanzi
    chars |= set("–—‘’“”…‰′″€™←↑→↓≤≥±×÷°·•●○■□▲△▼▽◆◇★☆№℃²³µ")
    files = list((ROOT / "src").rglob("*.rs"))
    files += [ROOT / "data/shanghai/sites.csv", ROOT / "data/shanghai/learncircle.toml"]
    for f in files:
        chars |= {c for c in f.read_text(encoding="utf-8") if ord(c) > 0x7F}
    return "".join(sorted(c for c in chars if c.isprintable()))


def main():
    text = ROOT / "target/font-subset-chars.txt"
    text.parent.mkdir(exist_ok=True)
    text.write_text(charset(), encoding="utf-8")
    subprocess.run(
        [
            sys.executable, "-m", "fontTools.subset", SOURCE,
            f"--font-number={FACE_SC}",
            f"--text-file={text}",
            "--layout-features=",
            "--no-hinting",
            "--name-IDs=*",
            "--name-languages=*",
            f"--output-file={OUT}",
        ],
        check=True,
    )
    print(f"{OUT}: {OUT.stat().st_size} bytes, {len(text.read_text(encoding='utf-8'))} characters")


if __name__ == "__main__":
    main()
