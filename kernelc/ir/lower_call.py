"""Lowering of calls: math built-ins, CUDA intrinsics, member calls and user functions.

Rule: preamble functions are instantiated per argument types (templates monomorphised,
overloads picked by exact match) and lowered once per instance; a call is a `Call`
statement whose result lands in a temporary, reference arguments are copied in and out;
a complex parameter is two IR parameters (its parts), a complex result two trailing
reference parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernelc.errors import KernelNameError, KernelTypeError, UnsupportedFeatureError
from kernelc.frontend import ast
from kernelc.ir import bits, builtins, dtypes, exact64, lower_complex
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import (
    DType,
    bool_,
    computation_type,
    float16,
    float32,
    float64,
    int32,
    is_narrow,
    promote,
    uint32,
    uint64,
)
from kernelc.ir.lower_complex import COMPLEX_TEMPLATES, PARTS, CExpr, is_complex_type
from kernelc.ir.lower_expr import LvLocal, LvLocalElem, LvRaw
from kernelc.ir.passes.fold import fold_expr
from kernelc.ir.scope import ElementParam, LocalVar, RawParam, ScalarParam
from kernelc.ir.typing import arith_operand, cast, convert, round_half

B = ir.BinaryOp

SYNC_CALLS = {"__syncthreads", "__syncwarp", "__threadfence", "__threadfence_block"}
ATOMICS = {
    "atomicAdd": "add",
    "atomicSub": "sub",
    "atomicExch": "exch",
    "atomicMin": "min",
    "atomicMax": "max",
    "atomicCAS": "cas",
    "atomicAnd": "and",
    "atomicOr": "or",
    "atomicXor": "xor",
}
FLOAT_ATOMICS = {"add", "sub", "exch"}
BITCASTS = {
    "__int_as_float": (int32, float32),
    "__float_as_int": (float32, int32),
    "__uint_as_float": (uint32, float32),
    "__float_as_uint": (float32, uint32),
}
ROUNDED_CONVERSIONS = {"rn": "rint", "rz": "trunc", "rd": "floor", "ru": "ceil"}
C_TYPE_OF = {float32: "float", int32: "int", uint32: "unsigned int", bool_: "bool"}


class CallLowering:
    """Mixin for `Lowerer`."""

    def _expr_Call(self, e: ast.Call) -> ir.Expr:
        if isinstance(e.func, ast.Member):
            return self.member_call(e)
        if not isinstance(e.func, ast.Ident):
            self.fail(UnsupportedFeatureError, "only named functions can be called", e.span)
        name = e.func.name
        scopes = (
            ("", "std", "cupy", "thrust")
            if name in lower_complex.FUNCTIONS
            else ("", "std", "cupy")
        )
        if e.func.scope not in scopes:
            self.fail(
                UnsupportedFeatureError, f"'{e.func.scope}::{name}' is not supported", e.func.span
            )
        if name in self.function_defs:
            return self.call_function(name, e)
        return self.builtin_call(name, e)

    def member_call(self, e: ast.Call) -> ir.Expr:
        owner, member = e.func.base, e.func.name
        owner_name = owner.name if isinstance(owner, ast.Ident) else None
        sym = self.scopes.lookup(owner_name) if owner_name else None
        if member in ("real", "imag") and not isinstance(sym, RawParam):
            if e.args:
                self.fail(
                    UnsupportedFeatureError,
                    f"setting a part with '{member}(value)' is not supported",
                    e.span,
                    notes=("assign a new complex value: z = complex<float>(re, im)",),
                )
            return self.complex_member(self.expr(owner), member, e.func.span)
        if owner_name in self.indexers and member == "size" and not e.args:
            return self.indexers[owner_name][0]
        if isinstance(sym, RawParam) and member == "size" and not e.args:
            return ir.ArrayInfo(sym.param.name, "size")
        if isinstance(sym, ElementParam):
            self.fail(
                KernelTypeError,
                f"'{owner_name}' is one element here, not an array",
                e.func.span,
                notes=(f"declare it 'raw' to use {owner_name}.{member}(): raw T {owner_name}",),
            )
        if member in ("shape", "strides", "get"):
            self.fail(
                KernelTypeError,
                f"'{member}()' is only usable indexed: {owner_name}.{member}()[axis]",
                e.span,
            )
        self.fail(
            UnsupportedFeatureError, f"member function '{member}' is not supported", e.func.span
        )

    # ------------------------------------------------------------------ built-ins

    def builtin_call(self, name: str, e: ast.Call) -> ir.Expr:
        if name in SYNC_CALLS or name.startswith("__shfl"):
            self.fail(
                UnsupportedFeatureError,
                f"'{name}' is not supported: an elementwise "
                "kernel body runs once per element, with no thread block or warp to "
                "synchronise",
                e.func.span,
            )
        if name in ATOMICS:
            return self.atomic_call(name, e)
        if name == "assert":
            self.args_values(e, 1)
            self.warn(e.span, "assert() is dropped: shaders cannot abort")
            return None
        if name in ("printf", "malloc", "free", "memcpy", "memset"):
            self.fail(UnsupportedFeatureError, f"'{name}' is not supported in shaders", e.func.span)
        if name in builtins.ARITHMETIC_INTRINSICS:
            op, double = builtins.ARITHMETIC_INTRINSICS[name]
            ftype = computation_type(float64) if double else float32
            a, b = (cast(arith_operand(v), ftype) for v in self.args_values(e, 2))
            return self.arith(B(op), a, b, e.span)
        if name in builtins.RECIPROCALS:
            ftype = computation_type(float64) if builtins.RECIPROCALS[name] else float32
            (x,) = self.args_values(e, 1)
            return self.arith(B.DIV, ir.Const(1.0, ftype), cast(arith_operand(x), ftype), e.span)
        if name in builtins.INTEGER_ROUNDINGS:
            fn, c_type = builtins.INTEGER_ROUNDINGS[name]
            (x,) = self.args_values(e, 1)
            rounded = self.math_of(fn, [x], fn + "f" if name.endswith("f") else fn, e.span)
            return cast(rounded, computation_type(dtypes.C_TYPES[c_type]))
        if name == "__saturatef":  # CUDA: clamped to [+0.0, 1.0], NaN (and -0.0) to +0.0
            (x,) = self.args_values(e, 1)
            x = self.stable(cast(arith_operand(x), float32))
            one, zero = ir.Const(1.0, float32), ir.Const(0.0, float32)
            below = ir.Select(ir.Binary(B.LT, x, one, bool_), x, one, float32)
            return ir.Select(ir.Binary(B.GT, x, zero, bool_), below, zero, float32)
        if name in BITCASTS:
            (a,) = self.args_values(e, 1)
            src, dst = BITCASTS[name]
            return fold_expr(ir.Bitcast(cast(a, src), dst))
        if name in exact64.BITCASTS and dtypes.is_exact64():
            (a,) = self.args_values(e, 1)
            src, dst = exact64.BITCASTS[name]
            return ir.Bitcast(cast(a, src), dst)
        if name.startswith("__float2") and name[-2:] in ROUNDED_CONVERSIONS:
            return self.rounded_conversion(name, e)
        if name in builtins.POINTER_BUILTINS:
            return self.pointer_builtin_call(name, e)
        if name in bits.C_NAMES or name in bits.WIDE_FORMS:
            return self.bit_intrinsic_call(name, e)
        if name in builtins.POINTER_RESULTS:
            self.fail(
                UnsupportedFeatureError,
                f"'{name}' returns its results through pointers, which shaders do not have",
                e.func.span,
                notes=(f"call {builtins.POINTER_RESULTS[name]} instead",),
            )
        if name in lower_complex.FUNCTIONS:
            args = [self.expr(a) for a in e.args]
            if name in lower_complex.COMPLEX_ONLY or any(isinstance(a, CExpr) for a in args):
                return self.complex_call(name, args, e.span)
            return self.math_values(builtins.C_NAMES[name], args, e)
        if name in builtins.C_NAMES:
            return self.math_call(builtins.C_NAMES[name], e)
        if name in builtins.NATIVE_NAMES and self.library_code:
            return self.math_call(builtins.NATIVE_NAMES[name], e)
        self.fail(KernelNameError, f"use of undeclared function '{name}'", e.func.span)

    def atomic_call(self, name: str, e: ast.Call) -> ir.Expr:
        """`atomicAdd(&x[k], v)` on a raw output `x`; the value is the old element."""
        op = ATOMICS[name]
        count = 3 if op == "cas" else 2
        if len(e.args) != count:
            self.fail(
                KernelTypeError, f"'{name}' takes {count} arguments, {len(e.args)} given", e.span
            )
        target = e.args[0]
        if not (
            isinstance(target, ast.Unary)
            and target.op == "&"
            and isinstance(target.operand, ast.Index)
        ):
            self.fail(
                UnsupportedFeatureError,
                f"the first argument of '{name}' must be the "
                "address of a raw array element, like &x[k]",
                target.span,
            )
        lv = self.lvalue(target.operand)
        if not isinstance(lv, LvRaw) or not lv.param.is_output:
            self.fail(
                UnsupportedFeatureError,
                f"'{name}' works on elements of raw output arrays only",
                target.span,
            )
        dtype = lv.param.dtype
        if lv.param.is_complex:
            self.fail(
                UnsupportedFeatureError, f"'{name}' on complex elements is not supported", e.span
            )
        if dtype is float16 and op != "add":
            self.fail(
                KernelTypeError, f"'{name}' is not defined for __half (only atomicAdd is)", e.span
            )
        if is_narrow(dtype) and dtype is not float16:
            self.fail(
                UnsupportedFeatureError,
                f"'{name}' on {dtype.name} elements is not "
                "supported: atomics work on whole 32-bit words",
                e.span,
            )
        if dtype is float32 and op not in FLOAT_ATOMICS or dtype is bool_:
            self.fail(KernelTypeError, f"'{name}' is not defined for {dtype.name}", e.span)
        # __half is computed in float32: the operand is rounded to half first, as CUDA's
        # atomicAdd(__half*, __half) takes it; the target then updates its 16-bit lane.
        values = [cast(self.expr(a), computation_type(dtype)) for a in e.args[1:]]
        if dtype is float16:
            values = [round_half(v) for v in values]
        dtype = computation_type(dtype)
        result = self.scopes.fresh("kc_old")
        self.out.append(ir.Declare(result, dtype))
        compare, value = (values[0], values[1]) if op == "cas" else (None, values[0])
        self.raw_written.add(lv.param.name)
        self.out.append(ir.Atomic(op, lv.param.name, lv.index, value, compare, result, span=e.span))
        return ir.Local(result, dtype)

    def rounded_conversion(self, name: str, e: ast.Call) -> ir.Expr:
        target = {"__float2int": int32, "__float2uint": uint32}.get(name[:-3])
        if target is None:
            self.fail(UnsupportedFeatureError, f"'{name}' is not supported", e.func.span)
        (a,) = self.args_values(e, 1)
        rounded = fold_expr(ir.Math(ROUNDED_CONVERSIONS[name[-2:]], (cast(a, float32),), float32))
        return cast(rounded, target)

    def args_values(self, e: ast.Call, count: int) -> list[ir.Expr]:
        if len(e.args) != count:
            name = e.func.name if isinstance(e.func, ast.Ident) else "function"
            self.fail(
                KernelTypeError,
                f"'{name}' takes {count} argument{'s' if count != 1 else ''}, {len(e.args)} given",
                e.span,
            )
        return [self.expr(a) for a in e.args]

    def pointer_builtin_call(self, name: str, e: ast.Call) -> ir.Expr | None:
        """`sincos(x, &s, &c)`, `frexp(x, &e)`, `remquo(x, y, &q)`: each `&lvalue` stores its
        own built-in of the value arguments (converted as by assignment); frexp's value is
        the significand, modf's the fractional part, remquo's the remainder."""
        value_fn, stored = builtins.POINTER_BUILTINS[name]
        arity = builtins.MATH[stored[0]].arity  # the value arguments, then the pointers
        if len(e.args) != arity + len(stored):
            self.args_values(e, arity + len(stored))  # reports the count
        for a in e.args[arity:]:
            if not (isinstance(a, ast.Unary) and a.op == "&"):
                self.fail(
                    UnsupportedFeatureError,
                    f"'{name}' stores its results through '&' of a variable or element",
                    a.span,
                    notes=(f"write {name}(x, &r, ...) with r a local, an output or an element",),
                )
        xs = [self.stable(self.expr(a)) for a in e.args[:arity]]
        single = name[:-1] in builtins.POINTER_BUILTINS  # sincosf: float32, as sinf
        for fn, target in zip(stored, e.args[arity:]):
            value = self.math_of(fn, xs, fn + "f" if single else fn, e.span)
            self.store(self.lvalue(target.operand), value, e.span)
        if value_fn is None:
            return None
        return self.math_of(value_fn, xs, value_fn + "f" if single else value_fn, e.span)

    def bit_intrinsic_call(self, name: str, e: ast.Call) -> ir.Expr:
        """`__popc(x)` and the other integer intrinsics (`bits.SIGNATURES`); the 64-bit
        forms `__popcll`, `__clzll`, `__ffsll` and `__brevll` from the 32-bit ones on the
        two words (under the fast policy a long long is held in 32 bits: its word)."""
        if name in bits.WIDE_FORMS:
            (x,) = self.args_values(e, 1)
            return self.wide_bits(name[2:-2], cast(arith_operand(x), computation_type(uint64)))
        fn = bits.C_NAMES[name]
        operands, result = bits.SIGNATURES[fn]
        args = self.args_values(e, len(operands))
        for a, node in zip(args, e.args):
            self.require_no_complex(a, f"'{name}'", node.span)
        return fold_expr(ir.Math(fn, tuple(cast(a, t) for a, t in zip(args, operands)), result))

    def wide_bits(self, fn: str, x: ir.Expr) -> ir.Expr:
        def bit(f, v):
            return fold_expr(ir.Math(f, (v,), bits.SIGNATURES[f][1]))

        if x.dtype is uint32:  # the fast policy's long long
            return bit(fn, x)
        x = self.stable(x)
        low = cast(x, uint32)
        high = cast(ir.Binary(B.SHR, x, ir.Const(32, int32), x.dtype), uint32)
        zero, k32 = ir.Const(0, uint32), ir.Const(32, int32)
        match fn:
            case "popc":
                return ir.Binary(B.ADD, bit("popc", high), bit("popc", low), int32)
            case "clz":
                below = ir.Binary(B.ADD, k32, bit("clz", low), int32)
                return ir.Select(ir.Binary(B.NE, high, zero, bool_), bit("clz", high), below, int32)
            case "ffs":
                above = bit("ffs", high)
                above = ir.Select(
                    ir.Binary(B.NE, high, zero, bool_),
                    ir.Binary(B.ADD, k32, above, int32),
                    ir.Const(0, int32),
                    int32,
                )
                return ir.Select(ir.Binary(B.NE, low, zero, bool_), bit("ffs", low), above, int32)
        # brev: the reversed low word is the high word of the result
        top = ir.Binary(B.SHL, cast(bit("brev", low), x.dtype), ir.Const(32, int32), x.dtype)
        return ir.Binary(B.OR, top, cast(bit("brev", high), x.dtype), x.dtype)

    def math_of(self, fn: str, args: list[ir.Expr], c_name: str, span) -> ir.Expr:
        """Built-in `fn` (not a generic one) of lowered `args`, written as `c_name`."""
        ftype = exact64.math_type(c_name, fn, args)
        if ftype is not float32 and fn not in exact64.F64_EXACT:
            self.warn(span, exact64.F64_INEXACT_WARNING.format(fn=fn))
            ftype = float32
        dtype = builtins.MATH[fn].result(ftype)
        return fold_expr(ir.Math(fn, tuple(cast(a, ftype) for a in args), dtype))

    def math_call(self, fn: str, e: ast.Call) -> ir.Expr:
        return self.math_values(fn, self.args_values(e, builtins.MATH[fn].arity), e)

    def math_values(self, fn: str, args: list, e: ast.Call) -> ir.Expr:
        """Built-in `fn` of lowered `args` (written as the call `e`)."""
        spec = builtins.MATH[fn]
        if len(args) != spec.arity:
            self.args_values(e, spec.arity)  # reports the count
        for a, node in zip(args, e.args):
            self.require_no_complex(a, f"'{e.func.name}'", node.span)
        if spec.kind == "generic":
            args = [arith_operand(a) for a in args]
            common = args[0].dtype
            for a in args[1:]:
                common = promote(common, a.dtype)
            return fold_expr(ir.Math(fn, tuple(cast(a, common) for a in args), common))
        return self.math_of(fn, args, e.func.name, e.span)

    # ------------------------------------------------------------------ user functions

    def call_function(self, name: str, e: ast.Call) -> ir.Expr:
        fdef = self.pick_overload(name, e)
        bindings = self.deduce_templates(fdef, e)
        evaluated = [
            self.lvalue(arg) if by_reference(param) else self.expr(arg)
            for param, arg in zip(fdef.params, e.args)
        ]
        aliases = reference_aliases(fdef, evaluated)
        instance = self.instantiate(fdef, bindings, e.span, aliases)
        signature = self.signatures[instance.name]
        args, writebacks = [], []
        fparams, ctypes = iter(instance.params), iter(signature.params)
        for k, (arg, value) in enumerate(zip(e.args, evaluated)):
            if k in aliases:
                continue  # the function reaches it through the earlier parameter
            ctype = next(ctypes)
            if is_complex_type(ctype):  # two parameters, the parts
                re_part, _ = next(fparams), next(fparams)
                args.extend(self.complex_argument(value, arg, ctype, re_part.is_ref, writebacks))
                continue
            fparam = next(fparams)
            if fparam.is_ref:
                args.append(self.ref_argument(self.bound(value), arg, fparam, writebacks))
            else:
                args.append(cast(self.real_value(value, fparam.dtype, arg.span), fparam.dtype))
        result = None
        if is_complex_type(signature.ret):  # through two reference parameters
            z = self.complex_result(signature.ret)
            args.extend((z.re, z.im))
        elif instance.return_dtype is not None:
            result = self.scopes.fresh("kc_r")
            self.out.append(ir.Declare(result, instance.return_dtype))
        self.out.append(ir.Call(instance.name, tuple(args), result))
        self.out.extend(writebacks)
        if is_complex_type(signature.ret):
            return z
        if result is None:
            return None  # void: `expr` rejects using it, `effect` allows it
        return ir.Local(result, instance.return_dtype)

    def complex_argument(self, value, arg: ast.Expr, ctype: DType, is_ref: bool, writebacks):
        """The two part arguments of a complex parameter of C type `ctype`."""
        if not is_ref:
            z = self.complex_value(value, ctype, arg.span)
            return (z.re, z.im)
        lv = self.bound(value)
        if isinstance(lv, LvLocal) and lv.var.ctype is ctype and not lv.var.readonly:
            z = self.complex_local(lv.var.ir_name, ctype)
            return (z.re, z.im)
        z = self.temp(self.complex_value(self.load(lv), ctype, arg.span), "kc_ref")
        pending, self.out = self.out, []
        self.store(lv, z, arg.span)
        writebacks.extend(self.out)
        self.out = pending
        return (z.re, z.im)

    def ref_argument(self, lv, arg: ast.Expr, fparam: ir.FuncParam, writebacks: list) -> ir.Expr:
        if (
            isinstance(lv, LvLocal)
            and lv.var.dtype is fparam.dtype
            and not lv.var.readonly
            and not is_narrow(lv.var.ctype)
        ):
            return ir.Local(lv.var.ir_name, lv.var.dtype)  # (a narrow one wraps when stored)
        temp = self.temp(cast(self.load(lv), fparam.dtype), "kc_ref")
        pending, self.out = self.out, []
        self.store(lv, temp, arg.span)
        writebacks.extend(self.out)
        self.out = pending
        return temp

    def pick_overload(self, name: str, e: ast.Call) -> ast.FunctionDef:
        candidates = [f for f in self.function_defs[name] if len(f.params) == len(e.args)]
        if not candidates:
            self.fail(
                KernelTypeError, f"no overload of '{name}' takes {len(e.args)} arguments", e.span
            )
        if len(candidates) == 1:
            return candidates[0]
        types = [self.pure(a)[0].dtype for a in e.args]
        for f in candidates:
            if all(
                p.type.name not in f.template_params
                and computation_type(self.resolve_type(p.type)) is t
                for p, t in zip(f.params, types)
            ):
                return f
        return candidates[0]

    def deduce_templates(self, fdef: ast.FunctionDef, e: ast.Call) -> dict[str, DType]:
        bindings: dict[str, DType] = {}
        for tname, targ in zip(fdef.template_params, e.template_args):
            bindings[tname] = self.resolve_type(targ)
        for param, arg in zip(fdef.params, e.args):
            tname, of_complex = param.type.name, param.type.name in COMPLEX_TEMPLATES
            if of_complex and len(param.type.template_args) == 1:  # complex<T> from complex<U>
                tname = param.type.template_args[0].name
            if tname in fdef.template_params and tname not in bindings:
                deduced = self.deduced_type(arg)
                bindings[tname] = dtypes.COMPONENT.get(deduced, deduced) if of_complex else deduced
        missing = [t for t in fdef.template_params if t not in bindings]
        if missing:
            self.fail(
                KernelTypeError,
                f"cannot deduce template parameter '{missing[0]}' of '{fdef.name}'",
                e.span,
            )
        return bindings

    def deduced_type(self, arg: ast.Expr) -> DType:
        """A template argument's type: a named 8/16-bit or float16 object keeps its C type
        (T is `signed char`, so T's variables wrap as in C++), anything else gives its
        computation type."""
        if isinstance(arg, ast.Ident):
            sym = self.scopes.lookup(arg.name)
            if isinstance(sym, ElementParam):
                sym = sym.local
            if isinstance(sym, ScalarParam) and is_narrow(sym.param.dtype):
                return sym.param.dtype
            if isinstance(sym, LocalVar) and sym.length is None and is_narrow(sym.ctype):
                return sym.ctype
        return self.pure(arg)[0].dtype

    def instantiate(
        self, fdef: ast.FunctionDef, bindings: dict[str, DType], span, aliases=None
    ) -> ir.Function:
        aliases = aliases or {}
        types = tuple(sorted((k, v.name) for k, v in bindings.items()))
        key = (id(fdef), types, tuple(sorted(aliases.items())))
        if key in self.instances:
            return self.instances[key]
        if key in self.instantiating:
            self.fail(
                UnsupportedFeatureError,
                f"recursive call to '{fdef.name}' is not supported: WGSL and GLSL forbid recursion",
                span,
            )
        self.instantiating.add(key)
        try:
            function = self.lower_function(fdef, bindings, aliases)
        finally:
            self.instantiating.discard(key)
        self.instances[key] = function
        self.function_order.append(function)
        return function

    def lower_function(
        self, fdef: ast.FunctionDef, bindings: dict[str, DType], aliases: dict[int, int]
    ) -> ir.Function:
        suffix = "_".join(d.name for d in bindings.values())
        suffix += "".join(f"_a{k}" for k in sorted(aliases))
        base = fdef.name
        if base.startswith("kc_") and not self.library_code:  # the prefix is the library's
            base = "v_" + base  # (the name the emitters print it with anyway)
        name = self.function_names.fresh(base + ("_" + suffix.lstrip("_") if suffix else ""))
        with self.function_context(bindings):
            ret = self.resolve_type(fdef.return_type)
            params, ctypes = [], []
            for k, p in enumerate(fdef.params):
                if k in aliases:  # one object under two names, as C++ references allow
                    self.scopes.bind(p.name, self.scopes.lookup(fdef.params[aliases[k]].name))
                else:
                    ctypes.append(self.resolve_type(p.type))
                    params.extend(self.bind_function_param(p, ctypes[-1]))
            if is_complex_type(ret):  # returned through two reference parameters
                self.return_parts = self.complex_name("kc_ret")
                part = dtypes.part_type(ret)
                params.extend(ir.FuncParam(self.return_parts + s, part, True) for s in PARTS)
            self.convert_narrow_params(fdef)
            self.return_ctype = ret
            self.lower_block(fdef.body.stmts)
            body = self.function_end(fdef, self.finish_body())
        self.signatures[name] = Signature(tuple(ctypes), ret)
        ret_dtype = computation_type(ret) if ret is not None and not is_complex_type(ret) else None
        return ir.Function(name, tuple(params), ret_dtype, body)

    def function_end(self, fdef: ast.FunctionDef, body: tuple) -> tuple[ir.Stmt, ...]:
        """`body`, returning 0 (with a warning) where a non-void function may end."""
        if self.return_ctype is None or always_returns(body):
            return body
        self.warn(
            fdef.name_span or fdef.span,
            f"function '{fdef.name}' may end without returning a value (it returns 0 there)",
        )
        self.emit_return(self.convert_value(ir.Const(0, int32), self.return_ctype, fdef.span))
        return (*body, *self.finish_body())

    def convert_narrow_params(self, fdef: ast.FunctionDef) -> None:
        """By-value int8..uint16 and float16 parameters receive a 32-bit value: convert it
        on entry, as C converts the argument."""
        for p in fdef.params:
            var = self.scopes.lookup(p.name)
            if not by_reference(p) and isinstance(var, LocalVar) and is_narrow(var.ctype):
                value = convert(ir.Local(var.ir_name, var.dtype), var.ctype)
                self.out.append(ir.Assign(var.ir_name, value))

    def bind_function_param(self, p: ast.ParamDecl, ctype: DType | None) -> list[ir.FuncParam]:
        """The IR parameters of `p`: one, or a complex one's two parts. A `const T &` one is
        passed by value: the function cannot change the object through it, and the
        argument may then be any expression, as C++ binds a temporary to it."""
        if ctype is None:
            self.fail(KernelTypeError, f"parameter '{p.name}' has type void", p.span)
        is_ref, complex_ = by_reference(p), is_complex_type(ctype)
        ir_name = self.complex_name(p.name) if complex_ else self.scopes.fresh(p.name)
        var = LocalVar(ir_name, ctype, computation_type(ctype), readonly=p.type.is_const)
        self.scopes.bind(p.name, var)
        if complex_:
            part = dtypes.part_type(ctype)
            return [ir.FuncParam(ir_name + s, part, is_ref) for s in PARTS]
        return [ir.FuncParam(ir_name, computation_type(ctype), is_ref=is_ref)]


@dataclass(frozen=True, slots=True)
class Signature:
    """A function instance's C signature: the C type of each parameter it receives (an
    aliased one is not received) and the return type. The IR holds a complex parameter
    as two parts and a complex result as two trailing reference parameters."""

    params: tuple[DType, ...]
    ret: DType | None


def by_reference(param: ast.ParamDecl) -> bool:
    """Is `param` passed by reference (`T &`, not `const T &`)?"""
    return param.type.is_ref and not param.type.is_const


def reference_aliases(fdef: ast.FunctionDef, evaluated: list) -> dict[int, int]:
    """Reference parameters bound to the same object: position -> the first position that
    receives it. WGSL forbids passing one variable through two pointers and GLSL's `inout`
    copies would make the two names diverge, so such a call gets an instance of the function
    in which the later name stands for the earlier parameter."""
    first: dict = {}
    aliases = {}
    for k, (param, value) in enumerate(zip(fdef.params, evaluated)):
        if not by_reference(param):
            continue
        key = alias_key(value)
        if key is not None and key in first:
            aliases[k] = first[key]
        elif key is not None:
            first[key] = k
    return aliases


def alias_key(lv):
    """What `lv` designates, when that is known at translation time (a local, or an
    element at a constant index or at the same index variable)."""
    match lv:
        case LvLocal(var=v):
            return ("local", v.ir_name)
        case LvLocalElem(var=v, index=ir.Const() | ir.Local() as k):
            return ("elem", v.ir_name, k)
        case LvRaw(param=p, index=ir.Const() | ir.Local() | ir.LoopIndex() as k):
            return ("raw", p.name, k)
    return None


def always_returns(body: tuple[ir.Stmt, ...]) -> bool:
    """Does every path through `body` end in a `return`?"""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ir.Return):
        return True
    return isinstance(last, ir.If) and always_returns(last.then) and always_returns(last.else_)
