"""AST -> IR for a whole ElementwiseKernel: parameters, preamble, and the element body.

Rule: the kernel body is laid out as CuPy's generated CUDA would run one element:
loop_prep; load the inputs the operation uses; the operation (a `return` writes the
outputs back first); write the outputs back; after_loop. Non-raw outputs live in locals
while the body runs, so both targets see plain variables.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace

from kernelc.errors import KernelTypeError, Span, UnsupportedFeatureError, Warning_
from kernelc.frontend import ast
from kernelc.frontend.params import name_span
from kernelc.ir import dtypes
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import DType, computation_type
from kernelc.ir.liveness import reads_before_written
from kernelc.ir.lower_call import CallLowering, Signature
from kernelc.ir.lower_complex import COMPLEX_TEMPLATES, PARTS, CExpr, ComplexLowering
from kernelc.ir.lower_expr import ExprLowering
from kernelc.ir.lower_stmt import StmtLowering
from kernelc.ir.scope import (
    ConstVar,
    ElementParam,
    GlobalArray,
    LocalVar,
    RawParam,
    ScalarParam,
    Scopes,
)
from kernelc.ir.typing import convert

DOUBLE_WARNING = (
    "double-precision arithmetic is computed in float32 (WebGPU and WebGL have no 64-bit floats)"
)
CUDA_COMPLEX_NAMES = frozenset({"cuComplex", "cuDoubleComplex", "cuFloatComplex"})
COMPLEX_PARTS = {dtypes.float32: dtypes.complex64, dtypes.float64: dtypes.complex128}


def param_64bit_warning(name: str, declared: DType, storage: DType) -> str:
    return (
        f"parameter '{name}' ({declared.name}) is held and computed in 32 bits "
        f"({storage.name}): WebGPU and WebGL have no 64-bit types; the runtime converts "
        "its values (docs/dtypes.md)"
    )


@dataclass(frozen=True, slots=True)
class Specialisation:
    """What the call site fixes besides dtypes: the loop's ndim, which non-raw inputs are
    scalars, and each raw array's (ndim, C-contiguous)."""

    ndim: int = 1
    scalars: frozenset[str] = frozenset()
    raw: dict = field(default_factory=dict, hash=False)


class Lowerer(ExprLowering, StmtLowering, CallLowering, ComplexLowering):
    def __init__(self, src: ast.ElementwiseSource, types: dict[str, DType], spec: Specialisation):
        self.src = src
        self.kernel_name = src.name
        self.spec = spec
        self.ndim = spec.ndim
        self.type_env: dict[str, DType] = dict(types)
        self.scopes = Scopes()
        self.function_names = Scopes()
        self.out: list[ir.Stmt] = []
        self.prefix: list[ir.Stmt] = []
        self.materialised: dict[str, LocalVar] = {}
        self.loop_depth = 0
        self.in_loop_body = False
        self.in_function = False
        self.return_ctype: DType | None = None
        self.return_parts: str | None = None  # a complex result's reference parameters
        self.element_exit = False
        self.elements: dict[str, ElementParam] = {}
        self.used_elements: set[str] = set()
        self.raw_written: set[str] = set()
        self.function_defs: dict[str, list[ast.FunctionDef]] = {}
        self.instances: dict = {}
        self.signatures: dict[str, Signature] = {}  # instance name -> its C signature
        self.instantiating: set = set()
        self.function_order: list[ir.Function] = []
        self.local_array_bytes = 0  # private memory of every local array so far
        self.warn_sites: dict[str, list] = {}
        # CuPy's index objects visible to the kernel text: name -> (size expression, ndim)
        self.indexers: dict[str, tuple[ir.Expr, int]] = {"_ind": (ir.LoopSize(), spec.ndim)}
        self.library_code = False  # the shader library may call the targets' native_* functions

    # ------------------------------------------------------------------ diagnostics

    def fail(self, cls, message: str, span: Span | None, notes=()):
        raise cls(message, span, notes=notes, kernel=self.kernel_name)

    def warn(self, span: Span | None, message: str) -> None:
        site = self.warn_sites.setdefault(message, [span, 0])
        site[1] += 1

    def warn_double(self, span: Span | None) -> None:
        if not dtypes.is_exact64():
            self.warn(span, DOUBLE_WARNING)

    def warn_64bit(self, span: Span | None, what: str) -> None:
        if not dtypes.is_exact64():
            self.warn(
                span, f"{what} is computed in 32 bits (WebGPU and WebGL have no 64-bit integers)"
            )

    def warnings(self) -> list[Warning_]:
        out = []
        for message, (span, count) in self.warn_sites.items():
            more = f" (and {count - 1} more place{'s' if count > 2 else ''})" if count > 1 else ""
            out.append(Warning_(self.kernel_name, span, message + more))
        return out

    # ------------------------------------------------------------------ types

    def resolve_type(self, t: ast.TypeSpec) -> DType | None:
        if t.is_pointer:
            self.fail(
                UnsupportedFeatureError,
                "pointer types are not supported: WebGPU and WebGL have no pointers to memory",
                t.span,
            )
        if t.name in COMPLEX_TEMPLATES:
            return self.complex_type(t)
        if t.name.split("::")[-1] in CUDA_COMPLEX_NAMES:
            self.fail(
                UnsupportedFeatureError,
                f"type '{t.name}' is not supported",
                t.span,
                notes=("write complex<float> or complex<double> (thrust::complex, as CuPy does)",),
            )
        if t.template_args or "::" in t.name:
            self.fail(UnsupportedFeatureError, f"type '{t.name}' is not supported", t.span)
        if t.name == "void":
            return None
        if t.name in self.type_env:
            return self.type_env[t.name]
        d = dtypes.C_TYPES.get(t.name)
        if d is None:
            self.fail(KernelTypeError, f"unknown type name '{t.name}'", t.span)
        if d.itemsize == 8:
            if d.is_float:
                self.warn_double(t.span)
            else:
                self.warn_64bit(t.span, f"'{t.name}'")
        return d

    def complex_type(self, t: ast.TypeSpec) -> DType:
        """`complex<float>`, `thrust::complex<double>`, `complex<T>` (T float or double)."""
        part = self.resolve_type(t.template_args[0]) if len(t.template_args) == 1 else None
        if part not in COMPLEX_PARTS:
            self.fail(
                UnsupportedFeatureError,
                f"type '{t.name}<...>' is supported with float or double parts only",
                t.span,
            )
        return COMPLEX_PARTS[part]

    # ------------------------------------------------------------------ helpers

    def temp(self, value, base: str):
        if isinstance(value, CExpr):
            return self.complex_temp(value, base)
        name = self.scopes.fresh(base)
        self.out.append(ir.Declare(name, value.dtype, value))
        return ir.Local(name, value.dtype)

    def use_element(self, sym: ElementParam) -> None:
        self.used_elements.add(sym.param.name)

    def materialise(self, name: str, sym: GlobalArray) -> LocalVar:
        """A preamble table as a local array, declared once at the top of this body."""
        if name in self.materialised:
            return self.materialised[name]
        saved, self.out = self.out, []
        self.array_declarator(sym.declarator, sym.ctype, True)
        self.prefix.extend(self.out)
        self.out = saved
        var = self.scopes.lookup(name)
        self.scopes.frames[0][name] = sym  # keep the global visible to other bodies
        self.materialised[name] = var
        return var

    def writeback(self) -> list[ir.Stmt]:
        out: list[ir.Stmt] = []
        for e in self.elements.values():
            if not e.param.is_output:
                continue
            if e.param.is_complex:
                z = self.complex_local(e.local.ir_name, e.local.dtype)
                out += [ir.ElemStore(e.param.name, x, c) for c, x in enumerate((z.re, z.im))]
            else:
                out.append(ir.ElemStore(e.param.name, ir.Local(e.local.ir_name, e.local.dtype)))
        return out

    def finish_body(self) -> tuple[ir.Stmt, ...]:
        body = (*self.prefix, *self.out)
        self.prefix, self.out = [], []
        return body

    @contextlib.contextmanager
    def function_context(self, bindings: dict[str, DType]):
        saved = (
            self.scopes,
            self.out,
            self.prefix,
            self.materialised,
            self.loop_depth,
            self.in_loop_body,
            self.in_function,
            self.return_ctype,
            self.return_parts,
            self.type_env,
        )
        self.scopes = Scopes(frames=[dict(self.globals)], used_names=set())
        self.out, self.prefix, self.materialised = [], [], {}
        self.loop_depth, self.in_loop_body, self.in_function = 0, False, True
        self.return_parts = None
        self.type_env = {**self.type_env, **bindings}
        try:
            yield
        finally:
            (
                self.scopes,
                self.out,
                self.prefix,
                self.materialised,
                self.loop_depth,
                self.in_loop_body,
                self.in_function,
                self.return_ctype,
                self.return_parts,
                self.type_env,
            ) = saved

    # ------------------------------------------------------------------ preamble

    def collect_preamble(self) -> None:
        self.globals: dict[str, object] = {}
        for item in self.src.preamble.items:
            if isinstance(item, ast.FunctionDef):
                self.function_defs.setdefault(item.name, []).append(item)
            else:
                self.global_decl(item)

    def global_decl(self, decl: ast.Decl) -> None:
        ctype = self.resolve_type(decl.type)
        if ctype is None:
            self.fail(KernelTypeError, "variable has type 'void'", decl.type.span)
        if ctype.kind == "c":
            message = "a complex variable in the preamble is not supported"
            self.fail(UnsupportedFeatureError, message, decl.type.span)
        constant = decl.type.is_const or "__constant__" in decl.qualifiers
        for d in decl.declarators:
            if d.has_array and constant:
                self.globals[d.name] = GlobalArray(decl, d, ctype)
                continue
            value = (
                convert(self.expr(d.init), ctype)
                if d.init is not None and not d.has_array
                else None
            )
            if not constant or not isinstance(value, ir.Const):
                self.fail(
                    UnsupportedFeatureError,
                    f"global variable '{d.name}' is not "
                    "supported: only constants with constant initialisers can live in "
                    "a preamble",
                    d.span,
                )
            self.globals[d.name] = ConstVar(value, ctype)
        self.scopes.frames[0].update(self.globals)


def bind_param(
    p: ast.KernelParam, types: dict[str, DType], spec: Specialisation, kernel: str, warn=None
) -> ir.Param:
    """The IR parameter: its storage dtype (64-bit held in 32 bits, said through `warn(span,
    message)`), kind and specialisation."""
    param = _bind_param(p, types, spec, kernel)
    if param.dtype.kind == "c":  # held as its (re, im) components
        storage = dtypes.storage_type(dtypes.COMPONENT[param.dtype])
        if storage is not dtypes.COMPONENT[param.dtype] and warn is not None:
            warn(p.type_span, param_64bit_warning(p.name, param.dtype, dtypes.complex64))
        return replace(param, dtype=storage, declared=param.dtype)
    storage = dtypes.storage_type(param.dtype)
    if storage is param.dtype:
        return param
    if warn is not None:
        warn(p.type_span, param_64bit_warning(p.name, param.dtype, storage))
    return replace(param, dtype=storage, declared=param.dtype)


def _bind_param(
    p: ast.KernelParam, types: dict[str, DType], spec: Specialisation, kernel: str
) -> ir.Param:
    if len(p.type) == 1:
        if p.type not in types:
            raise KernelTypeError(
                f"type placeholder '{p.type}' of parameter '{p.name}' is not bound",
                p.type_span,
                kernel=kernel,
                notes=(f"pass types={{'{p.type}': 'float32'}} (the dtype of the array argument)",),
            )
        dtype = types[p.type]
    else:
        dtype = dtypes.BY_NAME[p.type]
    if dtype not in dtypes.SUPPORTED_PARAM:
        what = f"dtype {dtype.name} of parameter '{p.name}'"
        raise UnsupportedFeatureError(
            f"{what} is not supported",
            p.type_span,
            kernel=kernel,
            notes=("supported: " + ", ".join(d.name for d in dtypes.SUPPORTED_PARAM),),
        )
    if p.is_raw:
        ndim, contiguous = spec.raw.get(p.name, (1, True))
        return ir.Param(p.name, dtype, ir.ParamKind.RAW, p.is_output, ndim, contiguous)
    if p.name in spec.scalars:
        if p.is_output:
            raise KernelTypeError(
                f"output '{p.name}' cannot be a scalar", p.type_span, kernel=kernel
            )
        return ir.Param(p.name, dtype, ir.ParamKind.SCALAR, False)
    return ir.Param(p.name, dtype, ir.ParamKind.ARRAY, p.is_output, spec.ndim)


def bind_types(types: dict[str, str] | None, kernel: str) -> dict[str, DType]:
    out = {}
    for key, name in (types or {}).items():
        dtype = dtypes.BY_NAME.get(str(name))
        if dtype is None:
            raise KernelTypeError(
                f"unknown dtype '{name}' for type placeholder '{key}'", kernel=kernel
            )
        out[key] = dtype
    return out


def lower_elementwise(
    src: ast.ElementwiseSource, types: dict[str, DType], spec: Specialisation
) -> tuple[ir.Kernel, list[Warning_]]:
    low = Lowerer(src, types, spec)
    params = tuple(bind_param(p, types, spec, src.name, low.warn) for p in src.params)
    for p in params:
        symbol = {ir.ParamKind.RAW: RawParam, ir.ParamKind.SCALAR: ScalarParam}.get(p.kind)
        if symbol is not None:
            low.scopes.bind(p.name, symbol(p))
    low.collect_preamble()
    low.scopes.push()
    low.lower_block(src.loop_prep.stmts, new_scope=False)
    prep = low.out
    operation = lower_operation(low, params, src.operation)
    low.out = []
    low.lower_block(src.after_loop.stmts)
    after = low.out
    params = tuple(finalise_param(p, low, operation) for p in params)
    body = (*low.prefix, *prep, *element_loads(low, params), *operation, *low.writeback(), *after)
    kernel = ir.Kernel(
        src.name, params, tuple(low.function_order), body, spec.ndim, spans=param_spans(src)
    )
    return kernel, low.warnings()


def param_spans(src) -> dict:
    """Parameter name -> its span in in_params/out_params, for target errors about it."""
    return {p.name: name_span(p) for p in src.params}


def lower_operation(low: Lowerer, params, block: ast.Block) -> tuple[ir.Stmt, ...]:
    """The operation, in the scope where CuPy declares its element references."""
    low.out = []
    low.scopes.push()
    for p in params:
        if p.kind is ir.ParamKind.ARRAY:
            low.elements[p.name] = ElementParam(p, element_local(low, p))
            low.scopes.bind(p.name, low.elements[p.name])
    low.in_loop_body = True
    low.lower_block(block.stmts, new_scope=False)
    low.in_loop_body = False
    low.scopes.pop()
    operation = tuple(low.out)
    if low.element_exit:  # a top-level break/continue ends the element: wrap it in a loop
        operation = (ir.Loop((*operation, ir.Break())),)
    return operation


def element_local(low: Lowerer, p: ir.Param) -> LocalVar:
    """The local holding array parameter `p`'s element (a complex one's parts)."""
    ctype = p.c_dtype if p.is_complex else p.dtype
    fresh = low.complex_name if p.is_complex else low.scopes.fresh
    name = fresh(low.user_local_name(p.name))
    return LocalVar(name, ctype, computation_type(ctype), readonly=not p.is_output)


def finalise_param(p: ir.Param, low: Lowerer, operation) -> ir.Param:
    if not p.is_output:
        return p
    if p.kind is ir.ParamKind.RAW:
        return replace(p, reads_old=True, written=p.name in low.raw_written)
    local = low.elements[p.name].local.ir_name
    names = [local + part for part in PARTS] if p.is_complex else [local]
    reads_old = any(reads_before_written(operation, name) for name in names)
    return replace(p, reads_old=reads_old, written=True)


def element_loads(low: Lowerer, params) -> list[ir.Stmt]:
    loads = []
    for p in params:
        if p.kind is not ir.ParamKind.ARRAY or p.name not in low.elements:
            continue
        if p.is_output or p.name in low.used_elements:
            local = low.elements[p.name].local
            read = not p.is_output or p.reads_old  # else zero
            if p.is_complex:
                for c, part in enumerate(PARTS):
                    init = ir.ElemLoad(p.name, p.value_dtype, c) if read else None
                    loads.append(ir.Declare(local.ir_name + part, p.value_dtype, init))
                continue
            load = ir.ElemLoad(p.name, local.dtype)
            loads.append(ir.Declare(local.ir_name, local.dtype, load if read else None))
    return loads


__all__ = ["Specialisation", "bind_types", "lower_elementwise"]
