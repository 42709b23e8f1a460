"""Unroll counting loops whose trip count is a translation-time constant.

Rule: only loops lowering marked `Counted` (the counter is not written in the body) whose
bounds folded to constants, with no `break`/`continue` of their own, are unrolled; each
copy gets the counter as a constant and its own names for the locals it declares. A loop
whose copies would index a local array past either end by a constant stays a loop: C
leaves that read undefined, but WGSL and GLSL reject the whole shader.
"""

from __future__ import annotations

from dataclasses import replace

from kernelc.ir import nodes as ir
from kernelc.ir.passes.fold import fold_expr
from kernelc.ir.visit import rewrite, rewrite_kernel, walk

B = ir.BinaryOp
MAX_TRIPS = 32
MAX_UNROLLED_STATEMENTS = 512


def trip_values(c: ir.Counted) -> list[int] | None:
    if not (isinstance(c.start, ir.Const) and isinstance(c.stop, ir.Const)) or c.step == 0:
        return None
    v, stop, values = int(c.start.value), int(c.stop.value), []
    test = {
        B.LT: lambda: v < stop,
        B.LE: lambda: v <= stop,
        B.GT: lambda: v > stop,
        B.GE: lambda: v >= stop,
        B.NE: lambda: v != stop,
    }[c.cmp]
    while test():
        values.append(v)
        if len(values) > MAX_TRIPS:
            return None
        v += c.step
    return values


def _own_jumps(stmts) -> bool:
    """Break/Continue of this loop (not of loops nested in it)."""
    for s in stmts:
        if isinstance(s, (ir.Break, ir.Continue)):
            return True
        if isinstance(s, ir.If) and _own_jumps(s.then + s.else_):
            return True
    return False


def _declared(stmts) -> set[str]:
    names = {n.name for n in walk(stmts) if isinstance(n, ir.Declare)}
    return names | {
        n.counted.var
        for n in walk(stmts)
        if isinstance(n, ir.Loop) and n.counted and n.counted.var in names
    }


def _copy(body, var: str, value: ir.Const, renames: dict[str, str]):
    def fn(node):
        match node:
            case ir.Local(name=n) if n == var:
                return value
            case (
                ir.Local(name=n)
                | ir.LocalElem(name=n)
                | ir.Declare(name=n)
                | ir.Assign(name=n)
                | ir.AssignElem(name=n)
            ) if n in renames:
                return fold_expr(replace(node, name=renames[n]))
            case ir.Call(result=r) if r in renames:
                return replace(node, result=renames[r])
            case ir.Loop(counted=c) if c is not None and c.var in renames:
                return replace(node, counted=replace(c, var=renames[c.var]))
        return fold_expr(node)

    return rewrite(body, fn)


def _array_lengths(stmts) -> dict[str, int]:
    """Local array name -> its length (the shortest, for a name declared more than once)."""
    lengths: dict[str, int] = {}
    for n in walk(stmts):
        if isinstance(n, ir.Declare) and n.length is not None:
            lengths[n.name] = min(n.length, lengths.get(n.name, n.length))
    return lengths


def _past_bounds(stmts: tuple, lengths: dict[str, int]) -> bool:
    """Whether `stmts` index a local array of `lengths` (or their own) by a constant past
    either end."""
    lengths = {**lengths, **_array_lengths(stmts)}
    return any(
        isinstance(n, (ir.LocalElem, ir.AssignElem))
        and isinstance(n.index, ir.Const)
        and n.name in lengths
        and not 0 <= n.index.value < lengths[n.name]
        for n in walk(stmts)
    )


def _unroll(loop: ir.Loop, lengths: dict[str, int]) -> ir.Loop | tuple[ir.Stmt, ...]:
    c = loop.counted
    values = trip_values(c) if c else None
    if values is None or not loop.body or not isinstance(loop.body[0], ir.If):
        return loop
    body = loop.body[1:]  # the first statement is the exit test lowering put there
    if _own_jumps(body) or len(values) * sum(1 for _ in walk(body)) > 8 * MAX_UNROLLED_STATEMENTS:
        return loop
    dtype = c.start.dtype
    declared = _declared(body)
    out: list[ir.Stmt] = []
    for k, v in enumerate(values):
        renames = {n: f"{n}_u{k}" for n in declared}
        copy = _copy(body, c.var, ir.Const(v, dtype), renames)
        out.extend(copy if isinstance(copy, tuple) else (copy,))
    if _past_bounds(tuple(out), lengths):
        return loop
    final = values[-1] + c.step if values else int(c.start.value)
    out.append(ir.Assign(c.var, ir.Const(final, dtype)))
    return tuple(out)


def unroll_loops(kernel: ir.Kernel) -> ir.Kernel:
    parts = [kernel.body, *(f.body for f in kernel.functions)]
    if kernel.reduction is not None:
        red = kernel.reduction
        parts += [red.identity_body, red.map_body, red.post_body]
    lengths = _array_lengths(tuple(s for part in parts for s in part))

    def fn(node):
        return _unroll(node, lengths) if isinstance(node, ir.Loop) else node

    return rewrite_kernel(kernel, fn)
