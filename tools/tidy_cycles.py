#!/usr/bin/env python3
"""Fails when a crate's modules import each other in a cycle.

Each file under crates/*/src is a module (`a/b.rs` or `a/b/mod.rs` is `a::b`). A `use crate::x::y` or
`use super::y` names the longest module path it starts with; an edge goes from the importing module to it
(a module importing its own child or parent is not counted: `mod` nesting is not an import). The
module graph of each crate must be acyclic: layering is one-way.
"""
import pathlib, re, sys

root = pathlib.Path(__file__).resolve().parent.parent
USE = re.compile(r'^\s*(?:pub(?:\([^)]*\))?\s+)?use\s+((?:crate|super|self)(?:::\w+)*)(?:::\{([^;]*)\})?', re.M)
failed = False
for crate in sorted((root / 'crates').iterdir()):
    src = crate / 'src'
    if not src.is_dir():
        continue
    mods = {}
    for f in src.rglob('*.rs'):
        parts = list(f.relative_to(src).with_suffix('').parts)
        if parts[-1] in ('lib', 'main', 'mod'):
            parts = parts[:-1]
        mods[tuple(parts)] = f
    def resolve(path):
        while path and path not in mods:
            path = path[:-1]
        return path
    edges = {m: set() for m in mods}
    for m, f in mods.items():
        text = f.read_text()
        # Code after `#[cfg(test)]` modules is test-only and may import freely.
        text = text.split('#[cfg(test)]')[0]
        text = re.sub(r'//[^\n]*', '', text)
        found = USE.findall(text)
        # Paths written inline (`crate::console::router()`), outside `use`, are imports too.
        found += [(p, '') for p in re.findall(r'(?<![\w:])((?:crate|super)(?:::\w+)+)', text)]
        for head, group in found:
            segs = head.split('::')
            base = list(m)  # `self`; `super` is its parent
            if segs[0] == 'crate':
                base, segs = [], segs[1:]
            while segs and segs[0] in ('super', 'self'):
                if segs[0] == 'super':
                    base = base[:-1]
                segs = segs[1:]
            targets = [tuple(base + segs)]
            if group:
                targets = [tuple(base + segs + [g.strip().split('::')[0].split(' ')[0]]) for g in group.split(',') if g.strip()]
            for t in targets:
                t = resolve(t)
                if t == m or t == m[:len(t)] or m == t[:len(m)]:
                    continue  # itself, an ancestor or a descendant
                edges[m].add(t)
    # Tarjan's strongly connected components.
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1
        stack.append(v); on.add(v)
        for w in edges[v]:
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
            if len(comp) > 1:
                sccs.append(comp)
    sys.setrecursionlimit(10000)
    for v in edges:
        if v not in index:
            visit(v)
    for comp in sccs:
        failed = True
        names = sorted('::'.join(c) or 'lib' for c in comp)
        print(f"{crate.name}: import cycle among {', '.join(names)}")
sys.exit(1 if failed else 0)
