"""Exact 64-bit values on 32-bit targets: int64, uint64 and float64 as pairs of u32 words.

Rule: runs after legalisation, before the library is linked; afterwards no IR type is wider
than 32 bits. Every 64-bit local, parameter and array becomes two uint32 ones (`name__h`,
`name__l`: C++ reserves double underscores, so no user name clashes); every 64-bit operation
becomes the shader library's function on words (`kernelc/lib/int64.cu`, `float64.cu`), whose
results come back through reference parameters, so the statements computing an expression's
words are hoisted in front of the statement that uses it (expressions are pure, so that is
what any evaluation order gives). A user function with 64-bit parameters takes two words
for each, and one returning a 64-bit value returns its words through two reference
parameters appended to its own. 64-bit buffers hold one element as two words
(`WordLoad`/`WordStore`/`OutputWords`), 64-bit scalars as two uniform words (`ScalarWord`).
"""

from __future__ import annotations

import struct
from dataclasses import replace

from kernelc.errors import UnsupportedOnTarget
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import WIDE, DType, bool_, float32, float64, int32, uint32, words64
from kernelc.ir.visit import walk

B = ir.BinaryOp
U = ir.UnaryOp
HI, LO = "__h", "__l"
WORD_ATOMICS = ("add", "sub", "and", "or", "xor")  # 64-bit atomics done word by word
RET_H, RET_L = "kc_ret__h", "kc_ret__l"
IDENTITY = "kc_identity"  # a reduction's identity, when its words need statements
SIGN = 0x80000000
# float64 functions of kernelc/lib/float64_*.cu (math, trig, special, inverse, bessel),
# written with double and widened: each `kc_f64_<fn>` takes its arguments' words and returns
# a float64 result's words through two reference parameters (an int or bool result as its
# value). remainder, nextafter, fdim, logb and ilogb among them are exact.
F64_LIBRARY = frozenset(
    [
        *("exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sinh", "cosh", "tanh"),
        *("sin", "cos", "tan", "sinpi", "cospi", "asin", "acos", "atan", "atan2", "hypot"),
        *("cbrt", "pow", "erf", "erfc", "erfcx", "normcdf", "lgamma", "tgamma"),
        *("remainder", "nextafter", "fdim", "logb", "ilogb", "modf", "remquo_quo"),
        *("asinh", "acosh", "atanh", "exp10", "rsqrt", "rcbrt"),
        *("erfinv", "erfcinv", "normcdfinv"),
        *("j0", "j1", "y0", "y1", "jn", "yn", "cyl_bessel_i0", "cyl_bessel_i1"),
    ]
)
# float64 functions the pass computes from float64.cu's word functions, bit for bit.
F64_WORDS = frozenset(
    [
        "sqrt",
        "floor",
        "ceil",
        "trunc",
        "round",
        "rint",
        "fabs",
        "fmin",
        "fmax",
        "copysign",
        "isnan",
        "isinf",
        "isfinite",
        "signbit",
        "abs",
        "min",
        "max",
        "ldexp",
        "fmod",
        "fma",
        "frexp",
        "frexp_exp",
    ]
)


def widen_64bit(kernel: ir.Kernel, target: str) -> ir.Kernel:
    """`kernel` with every 64-bit value held in two 32-bit words (a no-op without any)."""
    if not _has_wide(kernel):
        return kernel
    w = _Widener(kernel, target)
    functions = tuple(f if f.library else w.function(f) for f in kernel.functions)
    body = w.block(kernel.body)
    red = kernel.reduction
    if red is not None and red.dtype in WIDE:
        red, combine = _wide_reduction(w, red)
        functions += (combine,)
    elif red is not None:
        red = replace(
            red,
            identity_body=w.block(red.identity_body + _identity_words(red)),
            identity=ir.Local(IDENTITY, red.dtype) if _identity_words(red) else red.identity,
            map_body=w.block(red.map_body),
            post_body=w.block(red.post_body),
        )
    return replace(kernel, functions=functions, body=body, reduction=red)


def _wide_reduction(w: _Widener, red: ir.Reduction) -> tuple[ir.Reduction, ir.Function]:
    """A 64-bit accumulator held as one `words64` value by the shells: the identity and
    the map result packed, a `combine` on packed values wrapping the widened one, and the
    accumulator unpacked in front of `post_body`."""
    identity_body = w.block((ir.Declare(IDENTITY, red.dtype, red.identity),))
    identity = _local_words(IDENTITY)
    mapped = red.map_result + "__w"
    pack = _local_words(red.map_result)
    map_body = (*w.block(red.map_body), ir.Declare(mapped, words64, pack))
    acc = ir.Local(red.acc, words64)
    unpack = (
        ir.Declare(red.acc + HI, uint32, ir.WordOf(acc, 1)),
        ir.Declare(red.acc + LO, uint32, ir.WordOf(acc, 0)),
    )
    a, b = ir.Local("kc_a", words64), ir.Local("kc_b", words64)
    r = [ir.Local("kc_r" + HI, uint32), ir.Local("kc_r" + LO, uint32)]
    words = (ir.WordOf(a, 1), ir.WordOf(a, 0), ir.WordOf(b, 1), ir.WordOf(b, 0))
    combine = ir.Function(
        red.combine + "__w",
        (ir.FuncParam(a.name, words64), ir.FuncParam(b.name, words64)),
        words64,
        (
            *(ir.Declare(x.name, uint32, _u32(0)) for x in r),
            ir.Call(red.combine, (*words, *r)),
            ir.Return(ir.Words((r[1], r[0]))),
        ),
    )
    red = replace(
        red,
        dtype=words64,
        identity_body=(*w.block(red.identity_body), *identity_body),
        identity=identity,
        map_body=map_body,
        map_result=mapped,
        combine=combine.name,
        post_body=(*unpack, *w.block(red.post_body)),
    )
    return red, combine


def _identity_words(red: ir.Reduction) -> tuple[ir.Stmt, ...]:
    """A words identity of 64-bit values (a complex128 one) declared as a local, so that its
    words are computed by statements; nothing for any other identity."""
    if not any(getattr(n, "dtype", None) in WIDE for n in walk(red.identity)):
        return ()
    return (ir.Declare(IDENTITY, red.dtype, red.identity),)


def _local_words(name: str) -> ir.Words:
    """The words of 64-bit local `name`, once widened."""
    return ir.Words((ir.Local(name + LO, uint32), ir.Local(name + HI, uint32)))


def _has_wide(kernel: ir.Kernel) -> bool:
    from kernelc.ir.visit import walk

    if any(p.dtype in WIDE for p in kernel.params):
        return True
    bodies = [kernel.body, *(f.body for f in kernel.functions if not f.library)]
    if kernel.reduction is not None:
        r = kernel.reduction
        bodies += [r.identity_body, r.map_body, r.post_body]
    if any(
        p.dtype in WIDE or f.return_dtype in WIDE
        for f in kernel.functions
        for p in f.params
        if not f.library
    ):
        return True
    for body in bodies:
        for n in walk(body):
            if getattr(n, "dtype", None) in WIDE:
                return True
    return False


def _u32(v: int) -> ir.Const:
    return ir.Const(v & 0xFFFFFFFF, uint32)


def const_words(value, dtype: DType) -> tuple[int, int]:
    """(high, low) words of a 64-bit constant."""
    if dtype is float64:
        bits = struct.unpack("<Q", struct.pack("<d", float(value)))[0]
    else:
        bits = int(value) & (2**64 - 1)
    return bits >> 32, bits & 0xFFFFFFFF


Pair = tuple[ir.Expr, ir.Expr]


class _Widener:
    def __init__(self, kernel: ir.Kernel, target: str):
        self.kernel = kernel
        self.target = target
        self.signatures = {f.name: f for f in kernel.functions if not f.library}
        self.out: list[ir.Stmt] = []
        self.count = 0
        self.returns_wide = False
        self.read: set[str] | None = None

    # ---------------------------------------------------------------- helpers

    def fresh(self) -> str:
        self.count += 1
        return f"kc_w{self.count}"

    def call(self, func: str, args: list[ir.Expr]) -> Pair:
        """A library function returning its words through its last two parameters."""
        name = self.fresh()
        h, lo = ir.Local(name + HI, uint32), ir.Local(name + LO, uint32)
        self.out += [ir.Declare(h.name, uint32, _u32(0)), ir.Declare(lo.name, uint32, _u32(0))]
        self.out.append(ir.Call(func, (*args, h, lo)))
        return h, lo

    def keep(self, e: ir.Expr, dtype: DType = int32) -> ir.Expr:
        """`e` in a local (it is used more than once)."""
        if isinstance(e, (ir.Const, ir.Local)):
            return e
        name = self.fresh()
        self.out.append(ir.Declare(name, dtype, e))
        return ir.Local(name, dtype)

    def keep_pair(self, p: Pair) -> Pair:
        return self.keep(p[0], uint32), self.keep(p[1], uint32)

    # ---------------------------------------------------------------- functions

    def function(self, f: ir.Function) -> ir.Function:
        params: list[ir.FuncParam] = []
        for p in f.params:
            if p.dtype in WIDE:
                params += [
                    ir.FuncParam(p.name + HI, uint32, p.is_ref),
                    ir.FuncParam(p.name + LO, uint32, p.is_ref),
                ]
            else:
                params.append(p)
        ret = f.return_dtype
        self.returns_wide = ret in WIDE
        if self.returns_wide:
            params += [ir.FuncParam(RET_H, uint32, True), ir.FuncParam(RET_L, uint32, True)]
            ret = None
        body = self.block(f.body)
        self.returns_wide = False
        return replace(f, params=tuple(params), return_dtype=ret, body=body)

    # ---------------------------------------------------------------- statements

    def block(self, stmts: tuple[ir.Stmt, ...]) -> tuple[ir.Stmt, ...]:
        saved, self.out = self.out, []
        for s in stmts:
            self.stmt(s)
        result, self.out = tuple(self.out), saved
        return result

    def stmt(self, s: ir.Stmt) -> None:
        match s:
            case ir.Declare(name=n, dtype=d, init=init, length=length) if d in WIDE:
                if length is None:
                    h, lo = self.pair(init) if init is not None else (_u32(0), _u32(0))
                    self.out += [ir.Declare(n + HI, uint32, h), ir.Declare(n + LO, uint32, lo)]
                else:
                    pairs = [self.pair(x) for x in init or ()]
                    hs = tuple(p[0] for p in pairs) if init is not None else None
                    ls = tuple(p[1] for p in pairs) if init is not None else None
                    self.out += [
                        ir.Declare(n + HI, uint32, hs, length),
                        ir.Declare(n + LO, uint32, ls, length),
                    ]
            case ir.Declare(init=init) if init is not None:
                init = tuple(map(self.value, init)) if isinstance(init, tuple) else self.value(init)
                self.out.append(replace(s, init=init))
            case ir.Assign(name=n, value=v) if v.dtype in WIDE:
                h, lo = self.keep_pair(self.pair(v))
                self.out += [ir.Assign(n + HI, h), ir.Assign(n + LO, lo)]
            case ir.AssignElem(name=n, index=k, value=v) if v.dtype in WIDE:
                k = self.keep(self.value(k))
                h, lo = self.keep_pair(self.pair(v))
                self.out += [ir.AssignElem(n + HI, k, h), ir.AssignElem(n + LO, k, lo)]
            case ir.BufferStore(param=p, pos=pos, value=v) if v.dtype in WIDE:
                pos = self.value(pos)
                h, lo = self.pair(v)
                self.out.append(ir.WordStore(p, pos, lo, h))
            case ir.OutputStore(param=p, value=v) if v.dtype in WIDE:
                h, lo = self.pair(v)
                self.out.append(ir.OutputWords(p, lo, h))
            case ir.Atomic(param=p) if self.kernel.param(p).dtype in WIDE:
                self.atomic(s)
            case ir.If(cond=c, then=t, else_=e):
                self.out.append(ir.If(self.value(c), self.block(t), self.block(e)))
            case ir.Loop(body=b, continuing=c, counted=counted):
                if counted is not None and WIDE.count(counted.start.dtype) + WIDE.count(
                    counted.stop.dtype
                ):
                    counted = None  # (only the unroll pass, already run, reads it)
                self.out.append(ir.Loop(self.block(b), self.block(c), counted))
            case ir.Return(value=v) if v is not None and self.returns_wide:
                h, lo = self.keep_pair(self.pair(v))
                self.out += [ir.Assign(RET_H, h), ir.Assign(RET_L, lo), ir.Return()]
            case ir.Call():
                self.user_call(s)
            case _:
                self.out.append(self.rebuild(s))

    def atomic(self, s: ir.Atomic) -> None:
        """A 64-bit integer add, sub, and, or or xor as one 32-bit atomic per word: the low
        word's carry (or borrow) goes into the high word's update, so the element ends
        exact whatever the order. No other 64-bit atomic can be built from the targets'
        32-bit ones without a lock, nor can a consistent old value be returned."""
        dtype = self.kernel.param(s.param).dtype
        reason = None
        if dtype is float64 or s.op not in WORD_ATOMICS:
            what = "float64" if dtype is float64 else f"'{s.op}' on 64-bit integers"
            reason = f"atomic {what} needs a 64-bit compare-exchange, which the targets lack"
        elif s.result is not None and s.result in self.locals_read():
            reason = (
                "the old value of a 64-bit atomic cannot be returned: the targets update "
                "its two 32-bit words one after the other"
            )
        if reason:
            raise UnsupportedOnTarget(f"{reason} ('{s.param}')", s.span, kernel=self.kernel.name)
        index = self.keep(self.value(s.index))
        high, low = self.keep_pair(self.pair(s.value))
        if s.op in ("add", "sub"):
            old = self.fresh()
            self.out.append(ir.Declare(old, uint32, _u32(0)))
            self.out.append(replace(s, index=index, value=low, result=old, word=0))
            before = ir.Local(old, uint32)
            after = ir.Binary(B.ADD if s.op == "add" else B.SUB, before, low, uint32)
            wrapped = ir.Binary(B.LT if s.op == "add" else B.GT, after, before, bool_)
            high = ir.Binary(B.ADD, high, ir.Cast(wrapped, uint32), uint32)
        else:
            self.out.append(replace(s, index=index, value=low, result=None, word=0))
        self.out.append(replace(s, index=index, value=high, result=None, word=1))

    def locals_read(self) -> set[str]:
        """The locals some expression reads (an atomic's unused old value is not)."""
        if self.read is None:
            bodies = (self.kernel.body, *(f.body for f in self.kernel.functions))
            self.read = {n.name for b in bodies for n in walk(b) if isinstance(n, ir.Local)}
        return self.read

    def rebuild(self, s: ir.Stmt) -> ir.Stmt:
        """A statement without 64-bit values of its own: its expressions widened."""
        from kernelc.ir.visit import _child_fields

        changes = {}
        for name in _child_fields(type(s)):
            old = getattr(s, name)
            if isinstance(old, ir.Expr):
                changes[name] = self.value(old)
        return replace(s, **changes) if changes else s

    def user_call(self, s: ir.Call) -> None:
        f = self.signatures.get(s.func)
        if f is None:  # a library function: 32-bit words already
            self.out.append(replace(s, args=tuple(self.value(a) for a in s.args)))
            return
        args: list[ir.Expr] = []
        for p, a in zip(f.params, s.args):
            if p.dtype not in WIDE:
                args.append(self.value(a))
            elif p.is_ref:
                args += [ir.Local(a.name + HI, uint32), ir.Local(a.name + LO, uint32)]
            else:
                args += list(self.pair(a))
        result = s.result
        if f.return_dtype in WIDE:
            args += [ir.Local(result + HI, uint32), ir.Local(result + LO, uint32)]
            result = None
        self.out.append(ir.Call(s.func, tuple(args), result))

    # ---------------------------------------------------------------- 32-bit expressions

    def value(self, e: ir.Expr) -> ir.Expr:
        """A 32-bit expression with its 64-bit parts computed (hoisted) in words."""
        match e:
            case ir.Binary(op=op, lhs=a, rhs=b) if a.dtype in WIDE and op in ir.COMPARISONS:
                return self.compare(op, a, b)
            case ir.Binary(op=op, lhs=a, rhs=b, dtype=d) if op in ir.SHIFTS and b.dtype in WIDE:
                count = ir.Cast(self.pair(b)[1], int32)
                return ir.Binary(op, self.value(a), count, d)
            case ir.Cast(operand=a, dtype=d) if a.dtype in WIDE:
                return self.narrow(self.pair(a), a.dtype, d)
            case ir.Math(fn="f16round", args=(ir.Cast(operand=a, dtype=d),)) if (
                a.dtype is float64 and d is float32
            ):  # float64 -> float16, rounded once
                return ir.LibCall("kc_f64_to_f16", self.pair(a), float32)
            case ir.Words(words=words) if any(w.dtype in WIDE for w in words):
                return replace(e, words=tuple(self.words(words)))
            case ir.Math(fn=fn, args=args) if args[0].dtype is float64:
                words = [w for a in args for w in self.pair(a)]
                if fn == "signbit":
                    sign = ir.Binary(B.SHR, words[0], _u32(31), uint32)
                    return ir.Binary(B.NE, sign, _u32(0), bool_)
                # isnan, ..., ilogb, frexp_exp, remquo_quo
                return ir.LibCall(f"kc_f64_{fn}", tuple(words), e.dtype)
        return self.children(e)

    def children(self, e: ir.Expr) -> ir.Expr:
        from kernelc.ir.visit import _child_fields

        changes = {}
        for name in _child_fields(type(e)):
            old = getattr(e, name)
            if isinstance(old, ir.Expr):
                changes[name] = self.value(old)
            elif isinstance(old, tuple):
                changes[name] = tuple(self.value(x) for x in old)
        return replace(e, **changes) if changes else e

    def words(self, values: tuple[ir.Expr, ...]):
        """The u32 words of `values`, lowest first (a 64-bit value's low word, then high)."""
        for v in values:
            if v.dtype in WIDE:
                yield from reversed(self.keep_pair(self.pair(v)))
            else:
                yield self.value(v)

    def compare(self, op: B, a: ir.Expr, b: ir.Expr) -> ir.Expr:
        (ah, al), (bh, bl) = self.keep_pair(self.pair(a)), self.keep_pair(self.pair(b))
        x, y = (ah, al), (bh, bl)
        if a.dtype is float64:
            lt, le, eq = "kc_f64_lt", "kc_f64_le", "kc_f64_eq"
        else:
            lt = "kc_i64_lt" if a.dtype.is_signed else "kc_u64_lt"
            le, eq = None, "kc_u64_eq"

        def lib(func, p, q):
            return ir.LibCall(func, (*p, *q), bool_)

        def negate(c):
            return ir.Unary(U.NOT, c, bool_)

        match op:
            case B.LT:
                return lib(lt, x, y)
            case B.GT:
                return lib(lt, y, x)
            case B.LE:
                return lib(le, x, y) if le else negate(lib(lt, y, x))
            case B.GE:
                return lib(le, y, x) if le else negate(lib(lt, x, y))
            case B.EQ:
                return lib(eq, x, y)
        return negate(lib(eq, x, y))  # NE: true for NaN, as IEEE says

    def narrow(self, p: Pair, src: DType, dst: DType) -> ir.Expr:
        """A 64-bit value converted to a 32-bit computation type (C's conversion)."""
        h, lo = p
        if dst is bool_:
            if src is float64:
                return ir.Unary(U.NOT, ir.LibCall("kc_f64_iszero", p, bool_), bool_)
            return ir.Binary(B.NE, ir.Binary(B.OR, h, lo, uint32), _u32(0), bool_)
        if src is float64:
            if dst is float32:
                return ir.Bitcast(ir.LibCall("kc_f64_to_f32_bits", p, uint32), float32)
            unsigned = ir.Const(dst is uint32, bool_)
            bits = ir.LibCall("kc_f64_to_i32_bits", (h, lo, unsigned), uint32)
            return bits if dst is uint32 else ir.Cast(bits, int32)
        if dst is float32:
            return ir.LibCall("kc_i64_to_f32", (h, lo, ir.Const(src.is_signed, bool_)), float32)
        return lo if dst is uint32 else ir.Cast(lo, int32)  # the low word's bits

    # ---------------------------------------------------------------- 64-bit expressions

    def pair(self, e: ir.Expr) -> Pair:
        """(high, low) uint32 words of a 64-bit expression (or of a words64 value)."""
        if e.dtype is words64 and not isinstance(e, ir.Words):
            w = self.keep(self.value(e), words64)
            return ir.WordOf(w, 1), ir.WordOf(w, 0)
        match e:
            case ir.Const(value=v, dtype=d):
                h, lo = const_words(v, d)
                return _u32(h), _u32(lo)
            case ir.Local(name=n):
                return ir.Local(n + HI, uint32), ir.Local(n + LO, uint32)
            case ir.LocalElem(name=n, index=k):
                k = self.keep(self.value(k))
                return ir.LocalElem(n + HI, k, uint32), ir.LocalElem(n + LO, k, uint32)
            case ir.ScalarArg(param=p, component=c):
                return ir.ScalarWord(p, 1, component=c), ir.ScalarWord(p, 0, component=c)
            case ir.BufferLoad(param=p, pos=pos, previous=prev):
                pos = self.keep(self.value(pos))
                return ir.WordLoad(p, pos, 1, prev), ir.WordLoad(p, pos, 0, prev)
            case ir.Select(cond=c, if_true=t, if_false=f):
                c = self.keep(self.value(c), bool_)
                (th, tl), (fh, fl) = self.pair(t), self.pair(f)
                return ir.Select(c, th, fh, uint32), ir.Select(c, tl, fl, uint32)
            case ir.Unary():
                return self.unary(e)
            case ir.Binary():
                return self.binary(e)
            case ir.Cast(operand=a, dtype=d):
                return self.widen(a, d)
            case ir.Math():
                return self.math(e)
            case ir.Bitcast(operand=a):  # between 64-bit types: the same words
                return self.pair(a)
            case ir.Words(words=words):  # a words64 value read as a 64-bit one
                lo, h = self.words(words)
                return h, lo
        raise UnsupportedOnTarget(
            f"64-bit {type(e).__name__} is not supported", kernel=self.kernel.name
        )

    def unary(self, e: ir.Unary) -> Pair:
        h, lo = self.pair(e.operand)
        if e.op is U.BITNOT:
            return ir.Unary(U.BITNOT, h, uint32), ir.Unary(U.BITNOT, lo, uint32)
        if e.dtype is float64:  # -x flips the sign bit, NaN and zeros included
            return ir.Binary(B.XOR, h, _u32(SIGN), uint32), lo
        return self.call("kc_u64_neg", [h, lo])

    def binary(self, e: ir.Binary) -> Pair:
        op, d = e.op, e.dtype
        a = self.keep_pair(self.pair(e.lhs))
        if op in ir.SHIFTS:
            n = self.pair(e.rhs)[1] if e.rhs.dtype in WIDE else self.value(e.rhs)
            n = n if n.dtype is int32 else ir.Cast(n, int32)
            if op is B.SHL:
                return self.call("kc_u64_shl", [*a, n])
            return self.call("kc_u64_shr", [*a, n, ir.Const(d.is_signed, bool_)])
        b = self.keep_pair(self.pair(e.rhs))
        if op in (B.AND, B.OR, B.XOR):
            return ir.Binary(op, a[0], b[0], uint32), ir.Binary(op, a[1], b[1], uint32)
        if d is float64:
            name = {B.ADD: "add", B.SUB: "sub", B.MUL: "mul", B.DIV: "div"}[op]
            return self.call(f"kc_f64_{name}", [*a, *b])
        if op in (B.ADD, B.SUB, B.MUL):
            return self.call(f"kc_u64_{op.value}", [*a, *b])
        # DIV, REM: C's truncating division, from one divmod
        q, r = self.fresh(), self.fresh()
        words = [ir.Local(n + s, uint32) for n in (q, r) for s in (HI, LO)]
        self.out += [ir.Declare(w.name, uint32, _u32(0)) for w in words]
        func = "kc_i64_divmod" if d.is_signed else "kc_u64_divmod"
        self.out.append(ir.Call(func, (*a, *b, *words)))
        return (words[0], words[1]) if op is B.DIV else (words[2], words[3])

    def widen(self, a: ir.Expr, d: DType) -> Pair:
        """C's conversion of `a` to the 64-bit type `d`."""
        src = a.dtype
        if src in WIDE:
            p = self.keep_pair(self.pair(a))
            if (src is float64) == (d is float64):
                return p  # int64 <-> uint64 keeps the bits
            if d is float64:
                return self.call("kc_i64_to_f64", [*p, ir.Const(src.is_signed, bool_)])
            return self.call("kc_f64_to_i64", [*p, ir.Const(not d.is_signed, bool_)])
        x = self.keep(self.value(a), src)
        if src is float32:
            f = self.call("kc_f32_to_f64", [x])
            if d is float64:
                return f
            return self.call("kc_f64_to_i64", [*f, ir.Const(not d.is_signed, bool_)])
        if src is bool_:
            if d is float64:
                return ir.Select(x, _u32(0x3FF00000), _u32(0), uint32), _u32(0)
            return _u32(0), ir.Select(x, _u32(1), _u32(0), uint32)
        words = (
            (ir.Cast(ir.Binary(B.SHR, x, ir.Const(31, int32), int32), uint32), ir.Cast(x, uint32))
            if src is int32
            else (_u32(0), x)
        )
        if d is float64:
            return self.call("kc_i64_to_f64", [*words, ir.Const(True, bool_)])
        return words

    def math(self, e: ir.Math) -> Pair:
        fn, d = e.fn, e.dtype
        args = [self.keep_pair(self.pair(a)) for a in e.args]
        if d is float64 and fn in F64_LIBRARY:  # widened: (argument words, result refs)
            return self.call(f"kc_f64_{fn}", [w for a in args for w in a])
        if d is float64:
            (h, lo) = args[0]
            match fn:
                case "fabs" | "abs":
                    return ir.Binary(B.AND, h, _u32(SIGN - 1), uint32), lo
                case "copysign":
                    sign = ir.Binary(B.AND, args[1][0], _u32(SIGN), uint32)
                    magnitude = ir.Binary(B.AND, h, _u32(SIGN - 1), uint32)
                    return ir.Binary(B.OR, magnitude, sign, uint32), lo
                case "sqrt" | "trunc" | "frexp":
                    return self.call(f"kc_f64_{fn}", [h, lo])
                case "fma":
                    return self.call("kc_f64_fma", [w for a in args for w in a])
                case "floor" | "ceil":
                    return self.call("kc_f64_floor_ceil", [h, lo, ir.Const(fn == "ceil", bool_)])
                case "round" | "rint":
                    away = ir.Const(fn == "round", bool_)
                    return self.call("kc_f64_round_int", [h, lo, away])
                case "ldexp":
                    n = ir.LibCall("kc_f64_to_i32_bits", (*args[1], ir.Const(False, bool_)), uint32)
                    return self.call("kc_f64_ldexp", [h, lo, ir.Cast(n, int32)])
                case "fmod":
                    return self.call("kc_f64_fmod", [*args[0], *args[1]])
                case "fmin" | "fmax" | "min" | "max":
                    is_max = ir.Const(fn in ("fmax", "max"), bool_)
                    return self.call("kc_f64_fmin_fmax", [*args[0], *args[1], is_max])
        elif fn == "abs":
            (h, lo) = args[0]
            if not d.is_signed:
                return h, lo
            nh, nl = self.call("kc_u64_neg", [h, lo])
            negative = self.keep(
                ir.Binary(B.NE, ir.Binary(B.SHR, h, _u32(31), uint32), _u32(0), bool_), bool_
            )
            return ir.Select(negative, nh, h, uint32), ir.Select(negative, nl, lo, uint32)
        elif fn in ("min", "max"):
            (ah, al), (bh, bl) = args
            lt = "kc_i64_lt" if d.is_signed else "kc_u64_lt"
            take_b = ir.LibCall(lt, (bh, bl, ah, al) if fn == "min" else (ah, al, bh, bl), bool_)
            c = self.keep(take_b, bool_)
            return ir.Select(c, bh, ah, uint32), ir.Select(c, bl, al, uint32)
        raise UnsupportedOnTarget(f"64-bit {fn} is not supported", kernel=self.kernel.name)
