"""Legalise array access: element and raw reads/writes become buffer positions.

Rule: after this pass the kernel holds only `BufferLoad`/`BufferStore`/`OutputStore`;
positions are computed in IR from the uniforms (`ArrayInfo`, `LoopShape`), so emitters
print them without knowing any index math.

* WGSL: every array is a storage buffer; position = offset + sum(coord * stride).
* GLSL: inputs are textures read at a position the same way; outputs are dense render
  targets in loop order, so an output's own element is `OutputStore`, its old contents are
  read from the `previous` copy at `LoopIndex`, and a raw output may be written only at
  index `i` (a fragment shader cannot scatter).
* Complex parameters are arrays of their components, and their offset and strides count
  components (the runtime binds the real view of the (re, im) pairs): component c of an
  element is at its position + c (a contiguous raw array: offset + 2 * index + c). On
  GLSL, complex outputs take one fragment per component (`Kernel.lanes` = 2, a last loop
  axis of extent 2 whose coordinate picks the component each fragment writes); the
  kernel's `i` and loop size are then the fragment's element and their count. A
  reduction's every pass is laned so (the two lanes of an output fold the same elements):
  its passes share one fragment layout.
"""

from __future__ import annotations

from dataclasses import replace

from kernelc.errors import UnsupportedOnTarget
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import bool_, int32, uint32
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
    for d in range(kernel.ndim - (kernel.lanes > 1)):
        pos = _add(pos, _mul(loop_coord(kernel, d), _info(param, "stride", d)))
    return pos


def raw_position(p: ir.Param, index: ir.Expr) -> ir.Expr:
    """Buffer position of a raw array's C-order flat `index` over its own shape."""
    if p.contiguous or p.ndim <= 1:
        step = ir.Const(2, int32) if p.is_complex else None
        stride = index if step is None else _mul(index, step)
        stride = stride if p.contiguous else _mul(index, _info(p.name, "stride", 0))
        return _add(_info(p.name, "offset"), stride)
    # The coordinates as `_unravel` takes them: one unsigned division an axis, the
    # remainder from the quotient (an index in bounds is never negative)
    pos, rest = _info(p.name, "offset"), index
    for d in reversed(range(p.ndim)):
        coord = rest
        if d > 0:
            extent = _info(p.name, "shape", d)
            quotient = _udiv(rest, extent)
            coord, rest = _remainder(rest, quotient, extent), quotient
        pos = _add(pos, _mul(coord, _info(p.name, "stride", d)))
    return pos


def _prologue(kernel: ir.Kernel, target: str) -> tuple[ir.Stmt, ...]:
    """Declare the loop coordinates and each element position once, up front."""
    out: list[ir.Stmt] = []
    if kernel.ndim > 1:
        shape = [ir.LoopShape(d) for d in range(kernel.ndim)]
        out = _unravel(ir.LoopIndex(), shape, COORD)
    for p in kernel.params:
        if p.kind is ir.ParamKind.ARRAY and (target_named(target).can_scatter or not p.is_output):
            out.append(ir.Declare(POS.format(p.name), int32, element_position(kernel, p.name)))
    return tuple(out)


def _part(pos: ir.Expr, component: int | None) -> ir.Expr:
    """The position of `component` of the complex element at `pos` (`pos` for a real one)."""
    return pos if not component else _add(pos, ir.Const(component, int32))


def _lane() -> ir.Expr:
    """The component a fragment of a laned GLSL kernel writes (its last loop coordinate)."""
    return ir.Binary(ir.BinaryOp.AND, ir.LoopIndex(), ir.Const(1, int32), int32)


def _own_component(component: int) -> ir.Expr:
    """A laned fragment's texel of `component` of its element."""
    return _add(
        ir.Binary(ir.BinaryOp.SUB, ir.LoopIndex(), _lane(), int32), ir.Const(component, int32)
    )


def with_lanes(kernel: ir.Kernel, target: str) -> ir.Kernel:
    """GLSL with complex outputs: one fragment per component (see the module rule)."""
    outputs = [p for p in kernel.arrays if p.is_output]
    laned = kernel.lanes > 1
    if laned or target_named(target).can_scatter or not any(p.is_complex for p in outputs):
        return kernel
    for p in outputs:
        if p.kind is ir.ParamKind.RAW or not p.is_complex:
            what = "a raw output" if p.kind is ir.ParamKind.RAW else "a real output"
            raise UnsupportedOnTarget(
                f"'{p.name}' is {what} beside complex outputs: a WebGL fragment shader "
                "writes complex outputs one component per fragment, and cannot write "
                f"'{p.name}' that way",
                kernel.spans.get(p.name),
                notes=("split the kernel, or translate for WGSL",),
                kernel=kernel.name,
            )
    half = {
        ir.LoopIndex(): ir.Binary(ir.BinaryOp.SHR, ir.LoopIndex(), ir.Const(1, int32), int32),
        ir.LoopSize(): ir.Binary(ir.BinaryOp.SHR, ir.LoopSize(), ir.Const(1, int32), int32),
    }
    laned = rewrite_kernel(kernel, lambda node: half.get(node, node))
    return replace(laned, ndim=kernel.ndim + 1, lanes=2)


def lower_array_access(kernel: ir.Kernel, target: str) -> ir.Kernel:
    """Rewrite the high-level array nodes for `target` ('wgsl' or 'glsl')."""
    # Without scatter, outputs are the invocation's own element (a fragment's texel).
    own_element = not target_named(target).can_scatter
    kernel = with_lanes(kernel, target)

    def pos(name: str) -> ir.Expr:
        return ir.Local(POS.format(name), int32)

    def own(component: int | None) -> ir.Expr:
        return ir.LoopIndex() if component is None else _own_component(component)

    def fn(node):
        match node:
            case ir.LoopCoord(axis=axis):
                return loop_coord(kernel, axis)
            case ir.ElemLoad(param=name, dtype=dt, component=c):
                if own_element and kernel.param(name).is_output:
                    return ir.BufferLoad(name, own(c), dt, previous=True)
                return ir.BufferLoad(name, _part(pos(name), c), dt)
            case ir.RawLoad(param=name, index=index, dtype=dt, component=c):
                p = kernel.param(name)
                if own_element and p.is_output:
                    return ir.BufferLoad(name, index, dt, previous=True)
                return ir.BufferLoad(name, _part(raw_position(p, index), c), dt)
            case ir.ElemStore(param=name, value=value, component=c):
                if not own_element:
                    return ir.BufferStore(name, _part(pos(name), c), value)
                if c is None:
                    return ir.OutputStore(name, value)
                is_lane = ir.Binary(ir.BinaryOp.EQ, _lane(), ir.Const(c, int32), bool_)
                return ir.If(is_lane, (ir.OutputStore(name, value),))
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
        return ir.BufferStore(
            node.param, _part(raw_position(p, node.index), node.component), node.value
        )
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


def _unravel(index: ir.Expr, extents: list[ir.Expr], name: str) -> list[ir.Stmt]:
    """Declare `name.format(d)` = the C-order coordinates of `index` over `extents`,
    innermost first: one division an axis, unsigned (the index and the extents are never
    negative, and a GPU divides unsigned integers in fewer instructions), the remainder
    taken from the quotient (`name` with `q`: the quotients)."""
    out: list[ir.Stmt] = []
    rest = index
    for d in reversed(range(1, len(extents))):
        quotient = ir.Local(f"{name.format('q')}{d}", int32)
        out.append(ir.Declare(quotient.name, int32, _udiv(rest, extents[d])))
        out.append(ir.Declare(name.format(d), int32, _remainder(rest, quotient, extents[d])))
        rest = quotient
    out.append(ir.Declare(name.format(0), int32, rest))
    return out


def _udiv(a: ir.Expr, b: ir.Expr) -> ir.Expr:
    """a / b of two non-negative int32s, divided as uint32."""
    unsigned = ir.Binary(ir.BinaryOp.DIV, ir.Cast(a, uint32), ir.Cast(b, uint32), uint32)
    return ir.Cast(unsigned, int32)


def _remainder(a: ir.Expr, quotient: ir.Expr, b: ir.Expr) -> ir.Expr:
    """a % b from `quotient` = a / b, with no second division."""
    return ir.Binary(ir.BinaryOp.SUB, a, _mul(quotient, b), int32)


def _reduce_coord(red: ir.Reduction, axis: int) -> ir.Expr:
    return ir.ReduceIndex() if red.ndim <= 1 else ir.Local(RCOORD.format(axis), int32)


def reduction_input_position(kernel: ir.Kernel, param: str) -> ir.Expr:
    """Inputs are laid out over (reduced axes..., output axes...)."""
    red = kernel.reduction
    pos = _info(param, "offset")
    for d in range(red.ndim):
        pos = _add(pos, _mul(_reduce_coord(red, d), _info(param, "stride", d)))
    for e in range(kernel.ndim - (kernel.lanes > 1)):
        pos = _add(pos, _mul(loop_coord(kernel, e), _info(param, "stride", red.ndim + e)))
    return pos


def lower_reduction_access(kernel: ir.Kernel, target: str) -> ir.Kernel:
    """`lower_array_access` for a reduction: output coordinates once per output (in
    `identity_body`), input positions per reduced element (in `map_body`), output
    positions in `post_body`."""
    kernel = with_lanes(kernel, target)
    red = kernel.reduction
    setup: list[ir.Stmt] = []
    if kernel.ndim > 1:
        shape = [ir.LoopShape(d) for d in range(kernel.ndim)]
        setup = _unravel(ir.LoopIndex(), shape, COORD)
    per_element: list[ir.Stmt] = []
    if red.ndim > 1:
        shape = [ir.ReduceShape(d) for d in range(red.ndim)]
        per_element = _unravel(ir.ReduceIndex(), shape, RCOORD)
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
