"""Legalise array access: element and raw reads/writes become buffer positions.

Rule: after this pass the kernel holds only `BufferLoad`/`BufferStore`/`OutputStore`;
positions are computed in IR from the uniforms (`ArrayInfo`, `LoopShape`), so emitters
print them without knowing any index math.

* WGSL: every array is a storage buffer; position = offset + sum(coord * stride).
* GLSL: inputs are textures read at a position the same way; outputs are dense render
  targets in loop order, so an output's own element is `OutputStore`, its old contents are
  read from the `previous` copy at `LoopIndex`, and a raw output may be written only at
  index `i` (a fragment shader cannot scatter).
"""

from __future__ import annotations

from dataclasses import replace

from kernelc.errors import UnsupportedOnTarget
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import int32
from kernelc.ir.visit import rewrite_kernel
from kernelc.targets import target_named

COORD = "kc_c{}"
POS = "kc_pos_{}"


def _add(a: ir.Expr, b: ir.Expr) -> ir.Expr:
    return ir.Binary(ir.BinaryOp.ADD, a, b, int32)


def _mul(a: ir.Expr, b: ir.Expr) -> ir.Expr:
    return ir.Binary(ir.BinaryOp.MUL, a, b, int32)


def _info(param: str, what: str, axis: int = 0) -> ir.Expr:
    return ir.ArrayInfo(param, what, axis)


def loop_coord(kernel: ir.Kernel, axis: int) -> ir.Expr:
    return ir.LoopIndex() if kernel.ndim <= 1 else ir.Local(COORD.format(axis), int32)


def element_position(kernel: ir.Kernel, param: str) -> ir.Expr:
    """offset + sum(coord_d * stride_d) of a non-raw array at this element."""
    pos = _info(param, "offset")
    for d in range(kernel.ndim):
        pos = _add(pos, _mul(loop_coord(kernel, d), _info(param, "stride", d)))
    return pos


def raw_position(p: ir.Param, index: ir.Expr) -> ir.Expr:
    """Buffer position of a raw array's C-order flat `index` over its own shape."""
    if p.contiguous or p.ndim <= 1:
        stride = index if p.contiguous else _mul(index, _info(p.name, "stride", 0))
        return _add(_info(p.name, "offset"), stride)
    pos = _info(p.name, "offset")
    inner: ir.Expr | None = None  # product of the extents after axis d
    for d in reversed(range(p.ndim)):
        q = index if inner is None else ir.Binary(ir.BinaryOp.DIV, index, inner, int32)
        if d > 0:
            q = ir.Binary(ir.BinaryOp.REM, q, _info(p.name, "shape", d), int32)
        pos = _add(pos, _mul(q, _info(p.name, "stride", d)))
        extent = _info(p.name, "shape", d)
        inner = extent if inner is None else _mul(inner, extent)
    return pos


def _prologue(kernel: ir.Kernel, target: str) -> tuple[ir.Stmt, ...]:
    """Declare the loop coordinates and each element position once, up front."""
    out: list[ir.Stmt] = []
    if kernel.ndim > 1:
        rest: ir.Expr = ir.LoopIndex()
        for d in reversed(range(kernel.ndim)):
            extent = ir.LoopShape(d)
            value = rest if d == 0 else ir.Binary(ir.BinaryOp.REM, rest, extent, int32)
            out.append(ir.Declare(COORD.format(d), int32, value))
            rest = ir.Binary(ir.BinaryOp.DIV, rest, extent, int32)
        out.reverse()
    for p in kernel.params:
        if p.kind is ir.ParamKind.ARRAY and (target_named(target).can_scatter or not p.is_output):
            out.append(ir.Declare(POS.format(p.name), int32, element_position(kernel, p.name)))
    return tuple(out)


def lower_array_access(kernel: ir.Kernel, target: str) -> ir.Kernel:
    """Rewrite the high-level array nodes for `target` ('wgsl' or 'glsl')."""
    # Without scatter, outputs are the invocation's own element (a fragment's texel).
    own_element = not target_named(target).can_scatter

    def pos(name: str) -> ir.Expr:
        return ir.Local(POS.format(name), int32)

    def fn(node):
        match node:
            case ir.LoopCoord(axis=axis):
                return loop_coord(kernel, axis)
            case ir.ElemLoad(param=name, dtype=dt):
                if own_element and kernel.param(name).is_output:
                    return ir.BufferLoad(name, ir.LoopIndex(), dt, previous=True)
                return ir.BufferLoad(name, pos(name), dt)
            case ir.RawLoad(param=name, index=index, dtype=dt):
                p = kernel.param(name)
                if own_element and p.is_output:
                    return ir.BufferLoad(name, index, dt, previous=True)
                return ir.BufferLoad(name, raw_position(p, index), dt)
            case ir.ElemStore(param=name, value=value):
                return (
                    ir.OutputStore(name, value)
                    if own_element
                    else ir.BufferStore(name, pos(name), value)
                )
            case ir.RawStore():
                return _raw_store(kernel, node, own_element)
            case ir.Atomic(legalised=False):
                return _atomic(kernel, node, own_element)
        return node

    lowered = rewrite_kernel(kernel, fn)
    return replace(lowered, body=_prologue(kernel, target) + lowered.body)


def _atomic(kernel: ir.Kernel, node: ir.Atomic, own_element: bool) -> ir.Stmt:
    if own_element:
        raise UnsupportedOnTarget(
            "atomic operations are not possible in a WebGL fragment shader: it has no "
            "atomics and cannot write other elements",
            node.span,
            notes=("translate for WGSL (WebGPU)",),
            kernel=kernel.name,
        )
    pos = raw_position(kernel.param(node.param), node.index)
    return replace(node, index=pos, legalised=True)


def _raw_store(kernel: ir.Kernel, node: ir.RawStore, own_element: bool) -> ir.Stmt:
    p = kernel.param(node.param)
    if not own_element:
        return ir.BufferStore(node.param, raw_position(p, node.index), node.value)
    if node.index == ir.LoopIndex():
        return ir.OutputStore(node.param, node.value)
    raise UnsupportedOnTarget(
        f"raw output '{node.param}' is written at a computed index: a WebGL fragment "
        "shader writes only its own element (index i), so scatter is not possible",
        node.span,
        notes=("write `" + node.param + "[i]`, or translate for WGSL",),
        kernel=kernel.name,
    )


# ---------------------------------------------------------------------------- reductions

RCOORD = "kc_r{}"


def _unravel(index: ir.Expr, extents: list[ir.Expr], names: list[str]) -> list[ir.Stmt]:
    """Declare `names[d]` = the C-order coordinates of `index` over `extents`."""
    out: list[ir.Stmt] = []
    rest = index
    for d in reversed(range(len(extents))):
        value = rest if d == 0 else ir.Binary(ir.BinaryOp.REM, rest, extents[d], int32)
        out.append(ir.Declare(names[d], int32, value))
        rest = ir.Binary(ir.BinaryOp.DIV, rest, extents[d], int32)
    return out[::-1]


def _reduce_coord(red: ir.Reduction, axis: int) -> ir.Expr:
    return ir.ReduceIndex() if red.ndim <= 1 else ir.Local(RCOORD.format(axis), int32)


def reduction_input_position(kernel: ir.Kernel, param: str) -> ir.Expr:
    """Inputs are laid out over (reduced axes..., output axes...)."""
    red = kernel.reduction
    pos = _info(param, "offset")
    for d in range(red.ndim):
        pos = _add(pos, _mul(_reduce_coord(red, d), _info(param, "stride", d)))
    for e in range(kernel.ndim):
        pos = _add(pos, _mul(loop_coord(kernel, e), _info(param, "stride", red.ndim + e)))
    return pos


def lower_reduction_access(kernel: ir.Kernel, target: str) -> ir.Kernel:
    """`lower_array_access` for a reduction: output coordinates once per output (in
    `identity_body`), input positions per reduced element (in `map_body`), output
    positions in `post_body`."""
    red = kernel.reduction
    setup: list[ir.Stmt] = []
    if kernel.ndim > 1:
        shape = [ir.LoopShape(d) for d in range(kernel.ndim)]
        setup = _unravel(ir.LoopIndex(), shape, [COORD.format(d) for d in range(kernel.ndim)])
    per_element: list[ir.Stmt] = []
    if red.ndim > 1:
        shape = [ir.ReduceShape(d) for d in range(red.ndim)]
        per_element = _unravel(ir.ReduceIndex(), shape, [RCOORD.format(d) for d in range(red.ndim)])
    per_output: list[ir.Stmt] = []
    for p in kernel.params:
        if p.kind is not ir.ParamKind.ARRAY:
            continue
        if not p.is_output:
            per_element.append(
                ir.Declare(POS.format(p.name), int32, reduction_input_position(kernel, p.name))
            )
        elif target_named(target).can_scatter:
            per_output.append(
                ir.Declare(POS.format(p.name), int32, element_position(kernel, p.name))
            )
    lowered = lower_array_access(replace(kernel, body=()), target)
    lowered = replace(lowered, body=())  # element prologue does not apply to reductions
    r = lowered.reduction
    return replace(
        lowered,
        reduction=replace(
            r,
            identity_body=(*setup, *r.identity_body),
            map_body=(*per_element, *r.map_body),
            post_body=(*per_output, *r.post_body),
        ),
    )
