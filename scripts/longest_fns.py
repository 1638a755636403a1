#!/usr/bin/env python3
"""The longest Rust functions under the given folders (default src/), by lines from
the `fn` line to its closing brace: `scripts/longest_fns.py [-n 10] [DIR...]`.
Test modules count too (a `fn` inside `#[cfg(test)]` is listed with its file)."""
import re, sys, os

def functions(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    out = []
    fn_re = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)")
    i = 0
    while i < len(lines):
        m = fn_re.match(lines[i])
        if not m:
            i += 1
            continue
        depth, started, j = 0, False, i
        while j < len(lines):
            s = re.sub(r'"(\\.|[^"\\])*"', '""', lines[j])
            s = re.sub(r"'(\\.|[^'\\])'", "''", s)
            s = s.split("//")[0]
            if not started and ";" in s and "{" not in s:
                break  # a declaration without a body
            depth += s.count("{") - s.count("}")
            if "{" in s:
                started = True
            if started and depth <= 0:
                out.append((j - i + 1, m.group(6), path, i + 1))
                break
            j += 1
        i += 1
    return out

args = sys.argv[1:]
n = 10
if args[:1] == ["-n"]:
    n, args = int(args[1]), args[2:]
fns = []
for root in args or ["src"]:
    for d, _, fs in os.walk(root):
        for f in fs:
            if f.endswith(".rs"):
                fns += functions(os.path.join(d, f))
for length, name, path, line in sorted(fns, reverse=True)[:n]:
    print(f"{length:5} {name:32} {path}:{line}")
