"""Common subexpressions of one statement, computed once.

Rule: a costly pure subexpression (a 64-bit operation, which the 64-bit pass turns into a
shader library call, or a math function) that one statement computes more than once is
computed into a local just before the statement, and the statement reads the local.
Shader compilers do not always do this themselves: on lavapipe `(x - y) * (x - y)` in
float64 took 15.2 ms per million elements and `double d = x - y; z = d * d` 11.7.
Only positions the statement always evaluates count (not the branches of `?:` nor the
right operand of `&&` and `||`), so nothing runs that would not have run; IR expressions
are pure, so the value is the same. Statements are taken one at a time: a value is never
carried across an assignment that could change it.
"""

from __future__ import annotations

from collections import Counter
from itertools import count

from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import WIDE
from kernelc.ir.visit import children, rewrite, rewrite_kernel, walk

B = ir.BinaryOp
PREFIX = "kc_cse"


def eliminate_common_subexpressions(kernel: ir.Kernel) -> ir.Kernel:
    names = count(1)

    def statement(s):
        if not isinstance(s, ir.Stmt) or isinstance(s, ir.Loop):
            return s
        return _hoist(s, names)

    return rewrite_kernel(kernel, statement)


def _costly(e: ir.Expr) -> bool:
    if isinstance(e, ir.Math):
        return True
    return isinstance(e, (ir.Binary, ir.Unary, ir.Cast)) and e.dtype in WIDE


def _always_evaluated(e: ir.Expr, seen: Counter) -> None:
    """Count the costly subexpressions of `e` in positions always evaluated."""
    if _costly(e):
        seen[e] += 1
    if isinstance(e, ir.Select):
        parts = [e.cond]
    elif isinstance(e, ir.Binary) and e.op in ir.LOGICAL:
        parts = [e.lhs]
    else:
        parts = [c for c in children(e) if isinstance(c, ir.Expr)]
    for part in parts:
        _always_evaluated(part, seen)


def _expressions(s: ir.Stmt) -> list[ir.Expr]:
    if isinstance(s, ir.If):
        return [s.cond]
    return [c for c in children(s) if isinstance(c, ir.Expr)]


def _hoist(s: ir.Stmt, names) -> ir.Stmt | tuple[ir.Stmt, ...]:
    seen: Counter = Counter()
    for e in _expressions(s):
        _always_evaluated(e, seen)
    repeated = sorted((e for e, n in seen.items() if n > 1), key=lambda e: len(list(walk(e))))
    if not repeated:
        return s
    declared: list[ir.Stmt] = []
    for e in repeated:  # inner ones first, so an outer one reads their locals
        e = _replace_all(e, declared)
        name = f"{PREFIX}{next(names)}"
        declared.append(ir.Declare(name, e.dtype, e))
    return (*declared, _replace_all(s, declared))


def _replace_all(node, declared: list[ir.Stmt]):
    """`node` with each declared expression replaced by its local."""
    locals_ = {d.init: ir.Local(d.name, d.dtype) for d in declared}
    if not locals_:
        return node

    def swap(n):
        return locals_.get(n, n) if isinstance(n, ir.Expr) else n

    if isinstance(node, ir.If):  # the condition only: the branches are statements of their own
        return ir.If(rewrite(node.cond, swap), node.then, node.else_)
    return rewrite(node, swap)
