"""AST -> IR for a ReductionKernel: identity, map, combine and post-map as CuPy scopes them.

Rule: each expression sees exactly what CuPy's generated code lets it see. map_expr: the
input elements (value copies), scalars, raw arrays, `_J`, `_j`, `_i`; reduce_expr: `a`,
`b`, scalars, raw arrays (it also runs in the tree phase, where elements are gone);
post_map_expr: `a`, the outputs (references), scalars, raw arrays, `_i`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from kernelc.errors import KernelTypeError, UnsupportedFeatureError, Warning_
from kernelc.frontend import ast
from kernelc.ir import dtypes
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import DType, computation_type, int32
from kernelc.ir.lower import (
    Lowerer,
    Specialisation,
    bind_param,
    element_loads,
    element_local,
    finalise_param,
    param_spans,
)
from kernelc.ir.lower_complex import is_complex_type
from kernelc.ir.lower_complex_reduction import (
    COMPLEX_C_TYPES,
    accumulated,
    accumulator_type,
    unpack_into,
)
from kernelc.ir.scope import ElementParam, LocalVar, RawParam, ScalarParam, SpecialValue

B = ir.BinaryOp


@dataclass(frozen=True, slots=True)
class ReductionSpecialisation:
    """ndim: output axes; reduce_ndim: reduced axes (inputs have both, reduced first)."""

    ndim: int = 0
    reduce_ndim: int = 1
    scalars: frozenset[str] = frozenset()
    raw: dict = field(default_factory=dict, hash=False)


def reduce_ctype(src: ast.ReductionSource, low: Lowerer, params) -> DType:
    """`reduce_type` as written (a C type or a placeholder), else the first output's."""
    if src.reduce_type is None:
        outs = [p for p in params if p.is_output]
        if not outs:
            low.fail(KernelTypeError, "a reduction needs an output parameter", None)
        return outs[0].c_dtype if outs[0].is_complex else outs[0].dtype
    name = src.reduce_type
    found = (
        low.type_env.get(name)
        or dtypes.C_TYPES.get(name)
        or dtypes.BY_NAME.get(name)
        or COMPLEX_C_TYPES.get(name.replace(" ", ""))
    )
    if found is None:
        low.fail(
            UnsupportedFeatureError,
            f"reduce_type '{name}' is not supported",
            src.reduce_type_span,
            notes=("a scalar C type, complex<float>, complex<double> or a type placeholder",),
        )
    if found.itemsize == 8 and found.kind != "c":
        low.warn_double(src.reduce_type_span) if found.is_float else low.warn_64bit(
            src.reduce_type_span, f"reduce_type '{name}'"
        )
    return found


def bind_kernel_params(low: Lowerer, params) -> None:
    for p in params:
        symbol = {ir.ParamKind.RAW: RawParam, ir.ParamKind.SCALAR: ScalarParam}.get(p.kind)
        if symbol is not None:
            low.scopes.bind(p.name, symbol(p))


def lower_identity(low: Lowerer, src: ast.ReductionSource, ctype: DType):
    low.out = []
    if src.identity is None:
        return (), accumulated(low, ir.Const(0, int32), ctype, None)
    value = accumulated(low, low.expr(src.identity), ctype, src.identity.span)
    return tuple(low.out), value


def lower_map(low: Lowerer, src: ast.ReductionSource, params, ctype: DType):
    low.out = []
    low.scopes.push()
    for p in params:
        if p.kind is ir.ParamKind.ARRAY and not p.is_output:
            low.elements[p.name] = ElementParam(p, element_local(low, p))
            low.scopes.bind(p.name, low.elements[p.name])
    flat_input = ir.Binary(
        B.ADD, ir.Binary(B.MUL, ir.ReduceIndex(), ir.LoopSize(), int32), ir.LoopIndex(), int32
    )
    for name, value in (("_J", ir.ReduceIndex()), ("_j", flat_input), ("_i", ir.LoopIndex())):
        low.scopes.bind(name, SpecialValue(value))
    value = accumulated(low, low.expr(src.map_expr), ctype, src.map_expr.span)
    result = low.scopes.fresh("kc_map")
    body = (*element_loads(low, params), *low.out, ir.Declare(result, value.dtype, value))
    low.scopes.pop()
    low.elements.clear()
    return body, result


def lower_combine(low: Lowerer, src: ast.ReductionSource, params, ctype: DType) -> ir.Function:
    dtype = accumulator_type(ctype)
    with low.function_context({}):
        bind_kernel_params(low, params)
        low.scopes.push()
        if is_complex_type(ctype):  # a, b: the parameters' parts, unpacked
            names = [low.scopes.fresh(f"kc_{n}") for n in ("a", "b")]
            for c_name, ir_name in zip(("a", "b"), names):
                part_name = low.complex_name(c_name)
                low.out.extend(unpack_into(part_name, ir.Local(ir_name, dtype), ctype))
                low.scopes.bind(c_name, LocalVar(part_name, ctype, ctype))
        else:
            names = [low.scopes.fresh(n) for n in ("a", "b")]
            for c_name, ir_name in zip(("a", "b"), names):
                low.scopes.bind(c_name, LocalVar(ir_name, ctype, dtype))
        value = accumulated(low, low.expr(src.reduce_expr), ctype, src.reduce_expr.span)
        body = (*low.finish_body(), ir.Return(value))
    name = low.function_names.fresh("kc_reduce")
    return ir.Function(name, tuple(ir.FuncParam(n, dtype) for n in names), dtype, body)


def lower_post_map(low: Lowerer, src: ast.ReductionSource, params, ctype: DType):
    low.out = []
    low.scopes.push()
    acc = low.scopes.fresh("kc_acc")
    if is_complex_type(ctype):  # `a`: the packed accumulator's parts
        parts = low.complex_name("kc_a")
        packed = ir.Local(acc, accumulator_type(ctype))
        low.out.extend(unpack_into(parts, packed, ctype))
        low.scopes.bind("a", LocalVar(parts, ctype, ctype))
    else:
        low.scopes.bind("a", LocalVar(acc, ctype, computation_type(ctype)))
    low.scopes.bind("_i", SpecialValue(ir.LoopIndex()))
    for p in params:
        if p.kind is ir.ParamKind.ARRAY and p.is_output:
            low.elements[p.name] = ElementParam(p, element_local(low, p))
            low.scopes.bind(p.name, low.elements[p.name])
    low.in_loop_body = False
    low.expr(src.post_map_expr)
    low.scopes.pop()
    return tuple(low.out), acc


def lower_reduction(
    src: ast.ReductionSource, types: dict[str, DType], spec: ReductionSpecialisation
) -> tuple[ir.Kernel, list[Warning_]]:
    base = Specialisation(spec.ndim, spec.scalars, spec.raw)
    low = Lowerer(src, types, base)
    params = tuple(bind_param(p, types, base, src.name, low.warn) for p in src.params)
    params = tuple(
        replace(p, ndim=spec.ndim + spec.reduce_ndim)
        if p.kind is ir.ParamKind.ARRAY and not p.is_output
        else p
        for p in params
    )
    low.indexers = {
        "_in_ind": (
            ir.Binary(B.MUL, ir.ReduceSize(), ir.LoopSize(), int32),
            spec.ndim + spec.reduce_ndim,
        ),
        "_out_ind": (ir.LoopSize(), spec.ndim),
    }
    bind_kernel_params(low, params)
    low.collect_preamble()
    ctype = reduce_ctype(src, low, params)
    identity_body, identity = lower_identity(low, src, ctype)
    map_body, map_result = lower_map(low, src, params, ctype)
    combine = lower_combine(low, src, params, ctype)
    post_body, acc = lower_post_map(low, src, params, ctype)
    params = tuple(finalise_param(p, low, post_body) for p in params)
    post_body = (*element_loads(low, params), *post_body, *low.writeback())
    reduction = ir.Reduction(
        accumulator_type(ctype),
        spec.reduce_ndim,
        identity_body,
        identity,
        map_body,
        map_result,
        combine.name,
        acc,
        post_body,
    )
    functions = (*low.function_order, combine)
    kernel = ir.Kernel(
        src.name, params, functions, (), spec.ndim, reduction=reduction, spans=param_spans(src)
    )
    return kernel, low.warnings()
