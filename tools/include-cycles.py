#!/usr/bin/python3
"""Prints the include cycles between the modules of source folders; exits 1 if there is one.

A module is a file stem (device.c + device.h = "device"); module A uses B when A.c or A.h
includes "B.h" from the same folder. Arrows must point one way (ARCHITECTURE.md), so the
graph of every folder must be acyclic.

    tools/include-cycles.py daemon mqtt client …
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)\.h"', re.M)


def graph(folder):
    edges = {}
    for name in sorted(os.listdir(folder)):
        stem, ext = os.path.splitext(name)
        if ext not in ('.c', '.h') or stem.startswith('test-'):
            continue
        with open(os.path.join(folder, name), encoding='utf-8') as f:
            text = f.read()
        deps = edges.setdefault(stem, set())
        for dep in INCLUDE.findall(text):
            if dep != stem and (os.path.exists(os.path.join(folder, dep + '.h'))):
                deps.add(dep)
    return edges


def cycles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def main(folders):
    bad = 0
    for folder in folders:
        edges = graph(folder)
        found = cycles(edges)
        name = os.path.basename(os.path.normpath(folder))
        if not found:
            print(f'{name}/: {len(edges)} modules, no include cycle')
        for comp in found:
            bad += 1
            inner = ', '.join(f'{a} -> {b}' for a in comp for b in sorted(edges[a]) if b in comp)
            print(f'{name}/: cycle among {" ".join(comp)} ({inner})')
    return 1 if bad else 0


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
