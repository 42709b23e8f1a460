"""Generic walking and rewriting of IR trees.

Rule: passes never hand-write recursion over every node type; they give `rewrite` a
function for the nodes they care about and `walk` finds nodes for analyses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields, replace
from functools import cache

from kernelc.ir import nodes as ir

_CHILD_TYPES = (ir.Expr, ir.Stmt, ir.Counted, tuple)


@cache
def _child_fields(cls: type) -> tuple[str, ...]:
    skip = {
        "dtype",
        "name",
        "param",
        "op",
        "fn",
        "func",
        "result",
        "value",
        "span",
        "var",
        "step",
        "cmp",
        "axis",
        "what",
        "length",
        "previous",
        "legalised",
        "word",
    }
    # `value` is a child for statements/Return but a literal for Const.
    names = [f.name for f in fields(cls) if f.name not in skip]
    if cls is not ir.Const and "value" in {f.name for f in fields(cls)}:
        names.append("value")
    return tuple(names)


def children(node) -> Iterator:
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, tuple):
            yield from (v for v in value if isinstance(v, _CHILD_TYPES))
        elif isinstance(value, _CHILD_TYPES):
            yield value


def walk(node) -> Iterator:
    """Every node under `node` (itself included), pre-order. Accepts a tuple of nodes."""
    stack = list(reversed(node)) if isinstance(node, tuple) else [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(list(children(n))))


def rewrite(node, fn: Callable):
    """Rebuild `node` bottom-up, replacing each node by `fn(node)` (children first).

    `fn` returns the node itself to keep it. For statement lists, `fn` may return a tuple
    of statements, which is spliced into the enclosing list.
    """
    if isinstance(node, tuple):
        return _rewrite_tuple(node, fn)
    changes = {}
    for name in _child_fields(type(node)):
        old = getattr(node, name)
        if isinstance(old, tuple):
            new = _rewrite_tuple(old, fn)
        elif isinstance(old, (ir.Expr, ir.Stmt, ir.Counted)):
            new = rewrite(old, fn)
        else:
            continue
        if new is not old:
            changes[name] = new
    if changes:
        node = replace(node, **changes)
    return fn(node) if isinstance(node, (ir.Expr, ir.Stmt)) else node


def _rewrite_tuple(items: tuple, fn: Callable) -> tuple:
    out, changed = [], False
    for item in items:
        if not isinstance(item, _CHILD_TYPES):
            out.append(item)
            continue
        new = rewrite(item, fn)
        changed |= new is not item
        if isinstance(item, ir.Stmt) and isinstance(new, tuple):
            out.extend(new)
            changed = True
        else:
            out.append(new)
    return tuple(out) if changed else items


def rewrite_kernel(kernel: ir.Kernel, fn: Callable) -> ir.Kernel:
    """Apply `rewrite` to the kernel body, every function body and a reduction's parts."""
    funcs = tuple(replace(f, body=rewrite(f.body, fn)) for f in kernel.functions)
    red = kernel.reduction
    if red is not None:
        red = replace(
            red,
            identity_body=rewrite(red.identity_body, fn),
            identity=rewrite(red.identity, fn),
            map_body=rewrite(red.map_body, fn),
            post_body=rewrite(red.post_body, fn),
        )
    return replace(kernel, body=rewrite(kernel.body, fn), functions=funcs, reduction=red)


# Facts of library functions, which are the same objects in every kernel: id -> (function,
# callees, locals); the function is kept so that its id is never reused.
_LIBRARY_FACTS: dict[int, tuple[ir.Function, tuple[str, ...], tuple[str, ...]]] = {}


def function_facts(f: ir.Function) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(functions `f` calls, through `Call` or `LibCall`, in first-call order; its
    parameters and declared locals). Computed once for a library function."""
    cached = _LIBRARY_FACTS.get(id(f)) if f.library else None
    if cached is not None and cached[0] is f:
        return cached[1], cached[2]
    nodes = list(walk(f.body))
    callees = tuple(dict.fromkeys(n.func for n in nodes if isinstance(n, (ir.Call, ir.LibCall))))
    names = (*(p.name for p in f.params), *(n.name for n in nodes if isinstance(n, ir.Declare)))
    if f.library:
        _LIBRARY_FACTS[id(f)] = (f, callees, names)
    return callees, names
