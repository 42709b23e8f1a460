"""A vectorised NumPy interpreter of the IR: every element of the loop at once, with masks.

Rule: this is the executable definition of the IR's semantics (CUDA's): int32/uint32
wraparound, truncating division, saturating float->int casts, NaN-ignoring fmin/fmax.
It runs kernels before legalisation (`ElemLoad`, `RawLoad`, ...), on NumPy arrays, so it
serves as the reference in tests and as the CPU fallback for kernels a target rejects.
NumPy is imported here only: the rest of kernelc does not need it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from kernelc.ir import bessel, bits, cvalues, special
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import (
    DType,
    bool_,
    float32,
    float64,
    int32,
    int64,
    uint32,
    uint64,
    words64,
    words128,
)

NP = {
    bool_: np.bool_,
    int32: np.int32,
    uint32: np.uint32,
    float32: np.float32,
    int64: np.int64,
    uint64: np.uint64,
    float64: np.float64,
    words64: np.uint64,  # high word << 32 | low word
    words128: np.dtype([("words", np.uint32, (4,))]),  # lowest first
}
B = ir.BinaryOp
MAX_LOOP_ITERATIONS = 10_000_000


# The NumPy dtype holding a complex parameter whose components are held as the key.
COMPLEX_HELD = {float32: np.dtype(np.complex64), float64: np.dtype(np.complex128)}


def _part(flat: np.ndarray, component: int | None) -> np.ndarray:
    """A complex array's real or imaginary parts (writable views), or `flat` itself."""
    return flat if component is None else (flat.real, flat.imag)[component]


class InterpreterError(RuntimeError):
    """The kernel did something the interpreter cannot finish (an endless loop)."""


def _wrap(x: np.ndarray, dtype: DType) -> np.ndarray:
    return x.astype(np.int64).astype(NP[dtype]) if not dtype.is_float else x.astype(NP[dtype])


def _exact(fn, dtype: DType, *arrays) -> np.ndarray:
    """`fn` on Python ints (C semantics from `cvalues`), for 64-bit integers."""
    ints = [np.array([int(v) for v in a], dtype=object) for a in arrays]
    out = np.frompyfunc(fn, len(ints), 1)(*ints) if ints[0].size else ints[0]
    return np.array([int(v) for v in out], dtype=object).astype(NP[dtype])


def c_div(a, b, dtype):
    if dtype.itemsize == 8:
        return _exact(lambda x, y: cvalues.int_div(x, y, dtype), dtype, a, b)
    a64, b64 = a.astype(np.int64), b.astype(np.int64)
    safe = np.where(b64 == 0, 1, b64)
    q = np.abs(a64) // np.abs(safe) * np.where((a64 < 0) != (safe < 0), -1, 1)
    return _wrap(np.where(b64 == 0, -1, q), dtype)


def c_rem(a, b, dtype):
    if dtype.itemsize == 8:
        return _exact(lambda x, y: cvalues.int_rem(x, y, dtype), dtype, a, b)
    a64, b64 = a.astype(np.int64), b.astype(np.int64)
    q = c_div(a, b, dtype).astype(np.int64)
    return _wrap(np.where(b64 == 0, a64, a64 - q * b64), dtype)


def float_to_int(x, dtype):
    lo, hi = (-(2**31), 2**31 - 1) if dtype is int32 else (0, 2**32 - 1)
    t = np.trunc(np.nan_to_num(x.astype(np.float64), nan=0.0, posinf=hi, neginf=lo))
    return np.clip(t, lo, hi).astype(np.int64).astype(NP[dtype])


def convert(x, src: DType, dst: DType):
    if src is dst:
        return x
    if dst is bool_:
        return x != 0
    if dst.is_float:
        return x.astype(NP[dst])
    if src.is_float and dst.itemsize == 8:
        return _exact(lambda v: cvalues.convert(float(v), float64, dst), dst, x)
    if src.is_float:
        return float_to_int(x, dst)
    return _wrap(x, dst)


def _round_away(x):
    t = np.trunc(x)
    return np.where(np.abs(x - t) >= 0.5, t + np.sign(x), t)


def _f64(fn):
    return lambda *a: fn(*(v.astype(np.float64) for v in a))


MATH = {
    "exp": np.exp,
    "exp2": np.exp2,
    "exp10": lambda x: np.power(10.0, x),
    "log": np.log,
    "log2": np.log2,
    "log10": np.log10,
    "sqrt": np.sqrt,
    "rsqrt": lambda x: 1 / np.sqrt(x),
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "asinh": np.arcsinh,
    "acosh": np.arccosh,
    "atanh": np.arctanh,
    "floor": np.floor,
    "ceil": np.ceil,
    "trunc": np.trunc,
    "round": _round_away,
    "rint": np.rint,
    "fabs": np.abs,
    "log1p": np.log1p,
    "expm1": np.expm1,
    "cbrt": np.cbrt,
    "atan2": np.arctan2,
    "pow": np.power,
    "fmod": np.fmod,
    "fmin": np.fmin,
    "fmax": np.fmax,
    "copysign": np.copysign,
    "fdim": lambda x, y: np.where(np.isnan(x) | np.isnan(y), np.nan, np.where(x > y, x - y, 0.0)),
    "hypot": np.hypot,
    **{
        fn: np.vectorize(getattr(special, fn), otypes=[np.float64])
        for fn in (
            "erfinv",
            "erfcinv",
            "erfcx",
            "normcdf",
            "normcdfinv",
            "lgamma",
            "tgamma",
            "rcbrt",
            "ldexp",
            "fma",
            "fma64",
            "sinpi",
            "cospi",
            "frexp",
            "modf",
            "remainder",
            "logb",
        )
    },
    **{fn: np.vectorize(getattr(bessel, fn), otypes=[np.float64]) for fn in bessel.FUNCTIONS},
    "erf": np.vectorize(math.erf, otypes=[np.float64]),
    "erfc": np.vectorize(math.erfc, otypes=[np.float64]),
    "f16round": lambda x: x.astype(np.float16),  # from f64 holding f32 values: one rounding
    "native_exp": np.exp,
    "native_exp2": np.exp2,
    "native_log": np.log,
    "native_log2": np.log2,
    "native_min": np.fmin,
    "native_max": np.fmax,
}


def _bits(fn: str, args) -> np.ndarray:
    """An integer intrinsic elementwise: kernelc.ir.bits' values, lane by lane."""
    result = np.vectorize(lambda *v: bits.fold(fn, *map(int, v)), otypes=[np.int64])(*args)
    return result.astype(NP[bits.SIGNATURES[fn][1]])


def math_call(fn: str, args, dtype: DType):
    if fn in ("isnan", "isinf", "isfinite"):
        return getattr(np, fn)(args[0])
    if fn == "signbit":
        return np.signbit(args[0])
    if fn == "frexp_exp":
        return np.vectorize(special.frexp_exp, otypes=[np.int32])(args[0])
    if fn in bits.SIGNATURES:
        return _bits(fn, args)
    if fn == "remquo_quo":
        return np.vectorize(special.remquo_quo, otypes=[np.int32])(*args)
    if fn == "fma" and dtype.itemsize == 8:
        fn = "fma64"
    if fn == "ilogb":
        return np.vectorize(special.ilogb, otypes=[np.int64])(args[0]).astype(np.int32)
    if fn == "nextafter":
        return np.nextafter(*(a.astype(NP[dtype]) for a in args))
    if not dtype.is_float and dtype.itemsize == 8:
        result = {
            "abs": lambda: np.abs(args[0]),
            "min": lambda: np.minimum(*args),
            "max": lambda: np.maximum(*args),
        }[fn]()
        return result.astype(NP[dtype])
    if not dtype.is_float:
        a = [x.astype(np.int64) for x in args]
        result = {
            "abs": lambda: np.abs(a[0]),
            "min": lambda: np.minimum(*a),
            "max": lambda: np.maximum(*a),
        }[fn]()
        return _wrap(result, dtype)
    fn = {"abs": "fabs", "min": "fmin", "max": "fmax"}.get(fn, fn)
    try:
        return _f64(MATH[fn])(*args).astype(NP[dtype])
    except bessel.OrderTooLarge as e:
        raise InterpreterError(f"{fn}: {e}") from None


ATOMIC_UFUNCS = {
    "add": np.add,
    "min": np.minimum,
    "max": np.maximum,
    "and": np.bitwise_and,
    "or": np.bitwise_or,
    "xor": np.bitwise_xor,
}


def atomic_update(op: str, old, value, compare):
    """The new element value of one atomic operation (C wraparound on integers)."""
    with np.errstate(over="ignore"):
        match op:
            case "add":
                return old + value
            case "sub":
                return old - value
            case "exch":
                return value
            case "min":
                return min(old, value)
            case "max":
                return max(old, value)
            case "and":
                return old & value
            case "or":
                return old | value
            case "xor":
                return old ^ value
            case "cas":
                return value if old == compare else old
    raise ValueError(op)


@dataclass
class Activation:
    """One running body (the kernel's, or a function call's)."""

    env: dict = field(default_factory=dict)
    returned: np.ndarray | None = None
    value: np.ndarray | None = None
    loops: list = field(default_factory=list)  # [broken, continued] masks per loop


class Interpreter:
    def __init__(
        self,
        kernel: ir.Kernel,
        arrays: dict,
        scalars: dict,
        loop_shape: tuple,
        reduce_shape: tuple = (),
        lanes: str = "loop",
    ):
        self.kernel = kernel
        self.arrays = arrays  # name -> ndarray (outputs are written in place)
        self.scalars = scalars
        self.loop_shape = tuple(loop_shape)
        self.reduce_shape = tuple(reduce_shape)
        out_n = int(np.prod(self.loop_shape, dtype=np.int64))
        red_n = int(np.prod(self.reduce_shape, dtype=np.int64))
        # lanes: 'loop' = one per element (or output); 'map' = one per (J, i), J-major
        self.n = out_n * (red_n if lanes == "map" else 1)
        lane = np.arange(self.n, dtype=np.int64)
        self.loop_index = (lane % max(out_n, 1)).astype(np.int32)
        self.reduce_index = (lane // max(out_n, 1)).astype(np.int32)
        self.red_n = red_n
        self.functions = {f.name: f for f in kernel.functions}
        self.flat = {
            p.name: self._flat(p)
            for p in kernel.params
            if p.kind is not ir.ParamKind.SCALAR and p.name in arrays
        }

    def _flat(self, p: ir.Param) -> np.ndarray:
        a = self.arrays[p.name]
        held = COMPLEX_HELD[p.dtype] if p.is_complex else np.dtype(p.dtype.name)
        if p.declared is not None and a.dtype != held:  # held in 32 bits, as a GPU does
            a = a.astype(held)
        if p.kind is ir.ParamKind.ARRAY and not p.is_output:
            a = np.broadcast_to(a, self.reduce_shape + self.loop_shape)
        return a.reshape(-1)  # a view when possible; outputs are written back in `run`

    def run(self, body=None, env=None) -> Activation:
        act = Activation(env=dict(env or {}), returned=np.zeros(self.n, bool))
        with np.errstate(all="ignore"):
            self.block(self.kernel.body if body is None else body, np.ones(self.n, bool), act)
        return act

    def write_back(self) -> None:
        for p in self.kernel.params:
            if (
                p.is_output
                and p.name in self.flat
                and not np.shares_memory(self.flat[p.name], self.arrays[p.name])
            ):
                self.arrays[p.name][...] = self.flat[p.name].reshape(self.arrays[p.name].shape)

    # ---------------------------------------------------------------- statements

    def live(self, mask, act: Activation):
        m = mask & ~act.returned
        if act.loops:
            broken, continued = act.loops[-1]
            m &= ~(broken | continued)
        return m

    def block(self, stmts, mask, act: Activation) -> None:
        for s in stmts:
            m = self.live(mask, act)
            if not m.any():
                return
            self.stmt(s, m, act)

    def stmt(self, s: ir.Stmt, m, act: Activation) -> None:
        match s:
            case ir.Declare():
                act.env[s.name] = self.declare(s, act)
            case ir.Assign(name=n, value=v):
                act.env[n] = np.where(m, self.expr(v, act), act.env[n])
            case ir.AssignElem(name=n, index=k, value=v):
                arr, idx = act.env[n], self.expr(k, act)
                lanes = np.nonzero(m)[0]
                arr[lanes, np.clip(idx[lanes], 0, arr.shape[1] - 1)] = self.expr(v, act)[lanes]
            case ir.ElemStore(param=p, value=v, component=c):
                _part(self.flat[p], c)[m] = self.expr(v, act)[m]
            case ir.RawStore(param=p, index=k, value=v, component=c):
                _part(self.flat[p], c)[self.expr(k, act)[m]] = self.expr(v, act)[m]
            case ir.If(cond=c, then=t, else_=e):
                cond = self.expr(c, act)
                self.block(t, m & cond, act)
                self.block(e, m & ~cond, act)
            case ir.Loop():
                self.loop(s, m, act)
            case ir.Break():
                act.loops[-1][0] |= m
            case ir.Continue():
                act.loops[-1][1] |= m
            case ir.Return(value=v):
                if v is not None:
                    act.value = np.where(m, self.expr(v, act), act.value)
                act.returned |= m
            case ir.Call():
                self.call(s, m, act)
            case ir.Atomic():
                self.atomic(s, m, act)
            case _:
                raise NotImplementedError(f"interpreter: {type(s).__name__}")

    def atomic(self, s: ir.Atomic, m, act: Activation) -> None:
        """Atomics as if the active lanes ran one after another in index order."""
        flat, lanes = self.flat[s.param], np.nonzero(m)[0]
        idx, value = self.expr(s.index, act)[lanes], self.expr(s.value, act)[lanes]
        if s.result is None and s.op in ATOMIC_UFUNCS:
            ATOMIC_UFUNCS[s.op].at(flat, idx, value)
            return
        compare = self.expr(s.compare, act)[lanes] if s.compare is not None else None
        old = np.empty_like(value)
        for k, (where, v) in enumerate(zip(idx, value)):
            old[k] = flat[where]
            flat[where] = atomic_update(
                s.op, flat[where], v, compare[k] if compare is not None else None
            )
        if s.result is not None:
            result = act.env[s.result].copy()
            result[lanes] = old
            act.env[s.result] = result

    def declare(self, s: ir.Declare, act: Activation) -> np.ndarray:
        dt = NP[s.dtype]
        if s.length is None:
            init = self.expr(s.init, act) if s.init is not None else np.zeros(self.n, dt)
            return np.broadcast_to(init, (self.n,)).astype(dt)
        arr = np.zeros((self.n, s.length), dt)
        for k, item in enumerate(s.init or ()):
            arr[:, k] = self.expr(item, act)
        return arr

    def loop(self, s: ir.Loop, m, act: Activation) -> None:
        frame = [np.zeros(self.n, bool), np.zeros(self.n, bool)]
        act.loops.append(frame)
        try:
            for _ in range(MAX_LOOP_ITERATIONS):
                frame[1][:] = False
                body_mask = m & ~frame[0] & ~act.returned
                if not body_mask.any():
                    return
                self.block(s.body, body_mask, act)
                frame[1][:] = False
                self.block(s.continuing, m & ~frame[0] & ~act.returned, act)
            raise InterpreterError(
                f"a loop in '{self.kernel.name}' ran more than {MAX_LOOP_ITERATIONS} iterations"
            )
        finally:
            act.loops.pop()

    def call(self, s: ir.Call, m, act: Activation) -> None:
        f = self.functions[s.func]
        callee = Activation(returned=np.zeros(self.n, bool))
        for p, a in zip(f.params, s.args):
            callee.env[p.name] = np.array(self.expr(a, act), copy=True)
        if f.return_dtype is not None:
            callee.value = np.zeros(self.n, NP[f.return_dtype])
        self.block(f.body, m, callee)
        for p, a in zip(f.params, s.args):
            if p.is_ref:
                act.env[a.name] = np.where(m, callee.env[p.name], act.env[a.name])
        if s.result is not None:
            act.env[s.result] = np.where(m, callee.value, act.env[s.result])

    def lib_call(self, f: ir.Function, args: list, dtype: DType) -> np.ndarray:
        """A pure function on every lane (an expression has no mask)."""
        callee = Activation(returned=np.zeros(self.n, bool), value=np.zeros(self.n, NP[dtype]))
        callee.env.update((p.name, np.array(a, copy=True)) for p, a in zip(f.params, args))
        self.block(f.body, np.ones(self.n, bool), callee)
        return callee.value

    # ---------------------------------------------------------------- expressions

    def expr(self, e: ir.Expr, act: Activation) -> np.ndarray:
        match e:
            case ir.Const(value=v, dtype=d):
                return np.full(self.n, v, NP[d])
            case ir.Local(name=n):
                return act.env[n]
            case ir.LocalElem(name=n, index=k):
                arr = act.env[n]
                return arr[np.arange(self.n), np.clip(self.expr(k, act), 0, arr.shape[1] - 1)]
            case ir.ScalarArg(param=p, dtype=d, component=c):
                value = self.scalars[p]
                if c is not None:
                    value = complex(value).imag if c else complex(value).real
                return np.full(self.n, value, NP[d])
            case ir.LoopIndex():
                return self.loop_index
            case ir.LoopSize():
                return np.full(self.n, np.prod(self.loop_shape, dtype=np.int64), np.int32)
            case ir.ReduceIndex():
                return self.reduce_index
            case ir.ReduceSize():
                return np.full(self.n, self.red_n, np.int32)
            case ir.ReduceShape(axis=a):
                return np.full(self.n, self.reduce_shape[a], np.int32)
            case ir.LoopShape(axis=a):
                return np.full(self.n, self.loop_shape[a], np.int32)
            case ir.LoopCoord(axis=a):
                coords = np.unravel_index(self.loop_index, self.loop_shape)
                return coords[a].astype(np.int32)
            case ir.ArrayInfo():
                return np.full(self.n, self.array_info(e), np.int32)
            case ir.ElemLoad(param=p, dtype=d, component=c):
                flat = _part(self.flat[p], c)
                values = flat[self.loop_index] if flat.size != self.n else flat.copy()
                return values.astype(NP[d])  # int8..uint16 and float16 are computed in 32 bits
            case ir.RawLoad(param=p, index=k, dtype=d, component=c):
                flat = _part(self.flat[p], c)
                return flat[np.clip(self.expr(k, act), 0, max(flat.size - 1, 0))].astype(NP[d])
        return self.operation(e, act)

    def array_info(self, e: ir.ArrayInfo) -> int:
        a = self.arrays[e.param]
        per_element = 2 if a.dtype.kind == "c" else 1  # complex strides count components
        return {
            "size": lambda: a.size,
            "shape": lambda: a.shape[e.axis],
            "stride": lambda: a.strides[e.axis] // a.itemsize * per_element,
            "offset": lambda: 0,
        }[e.what]()

    def operation(self, e: ir.Expr, act: Activation) -> np.ndarray:
        match e:
            case ir.Unary(op=op, operand=a, dtype=d):
                x = self.expr(a, act)
                if op is ir.UnaryOp.NOT:
                    return ~x
                if op is ir.UnaryOp.BITNOT:
                    return ~x
                if d.itemsize == 8:
                    return -x  # wraps in NumPy's own 64-bit types
                return -x if d.is_float else _wrap(-x.astype(np.int64), d)
            case ir.Binary(op=op, lhs=a, rhs=b, dtype=d):
                return self.binary(op, self.expr(a, act), self.expr(b, act), d)
            case ir.Cast(operand=a, dtype=d):
                return convert(self.expr(a, act), a.dtype, d)
            case ir.Bitcast(operand=a, dtype=d):
                return self.expr(a, act).view(NP[d])
            case ir.Words(words=words, dtype=d):
                parts = [_words_of(np.asarray(self.expr(w, act))) for w in words]
                return np.ascontiguousarray(np.concatenate(parts, axis=1)).view(NP[d])[:, 0]
            case ir.WordOf(operand=a, word=k):
                return _words_of(self.expr(a, act))[:, k]
            case ir.Select(cond=c, if_true=t, if_false=f):
                return np.where(self.expr(c, act), self.expr(t, act), self.expr(f, act))
            case ir.Math(fn=fn, args=args, dtype=d):
                return math_call(fn, [self.expr(x, act) for x in args], d)
            case ir.LibCall(func=func, args=args, dtype=d):
                return self.lib_call(self.functions[func], [self.expr(x, act) for x in args], d)
        raise NotImplementedError(f"interpreter: {type(e).__name__}")

    @staticmethod
    def binary(op: B, a, b, d: DType) -> np.ndarray:
        if op in ir.COMPARISONS:
            return {
                B.LT: np.less,
                B.LE: np.less_equal,
                B.GT: np.greater,
                B.GE: np.greater_equal,
                B.EQ: np.equal,
                B.NE: np.not_equal,
            }[op](a, b)
        if op is B.LAND:
            return a & b
        if op is B.LOR:
            return a | b
        if d.is_float:
            return {B.ADD: np.add, B.SUB: np.subtract, B.MUL: np.multiply, B.DIV: np.divide}[op](
                a, b
            ).astype(NP[d])
        if d.itemsize == 8:
            return _binary64(op, a, b, d)
        if op is B.DIV:
            return c_div(a, b, d)
        if op is B.REM:
            return c_rem(a, b, d)
        a64, b64 = a.astype(np.int64), b.astype(np.int64)
        if op in ir.SHIFTS:
            count = b64 & 31
            if op is B.SHL:
                return _wrap(a64 << count, d)
            return _wrap(a64 >> count, d)  # int64 keeps int32 signs, uint32 values positive
        ops = {
            B.ADD: np.add,
            B.SUB: np.subtract,
            B.MUL: np.multiply,
            B.AND: np.bitwise_and,
            B.OR: np.bitwise_or,
            B.XOR: np.bitwise_xor,
        }
        return _wrap(ops[op](a64, b64), d)


def _binary64(op: B, a, b, d: DType) -> np.ndarray:
    """int64/uint64 arithmetic: C's wraparound, truncating division, shifts mod 64."""
    if op is B.DIV:
        return c_div(a, b, d)
    if op is B.REM:
        return c_rem(a, b, d)
    a = a.astype(NP[d])
    if op in ir.SHIFTS:
        count = (b.astype(np.int64) & 63).astype(NP[d])
        return (a << count) if op is B.SHL else (a >> count)  # >> is arithmetic on int64
    ops = {
        B.ADD: np.add,
        B.SUB: np.subtract,
        B.MUL: np.multiply,
        B.AND: np.bitwise_and,
        B.OR: np.bitwise_or,
        B.XOR: np.bitwise_xor,
    }
    return ops[op](a, b.astype(NP[d]))


def _words_of(values: np.ndarray) -> np.ndarray:
    """The u32 words of each value (rows, lowest word first: the hosts are little-endian)."""
    values = np.ascontiguousarray(values)
    return values.view(np.uint32).reshape(values.shape[0], -1)


def _split(args: dict) -> tuple[dict, dict]:
    arrays = {k: v for k, v in args.items() if isinstance(v, np.ndarray)}
    return arrays, {k: v for k, v in args.items() if not isinstance(v, np.ndarray)}


def run_elementwise(kernel: ir.Kernel, args: dict, loop_shape: tuple) -> None:
    """Run `kernel` (not legalised) over `loop_shape`. `args` maps every parameter name to
    its ndarray (outputs are written in place) or scalar value."""
    it = Interpreter(kernel, *_split(args), loop_shape)
    it.run()
    it.write_back()


def run_reduction(kernel: ir.Kernel, args: dict, out_shape: tuple, reduce_shape: tuple) -> None:
    """Run a reduction kernel: inputs are arrays over `reduce_shape + out_shape` (reduced
    axes first, as CuPy permutes them); outputs over `out_shape`, written in place."""
    red = kernel.reduction
    arrays, scalars = _split(args)
    outputs = Interpreter(kernel, arrays, scalars, out_shape, reduce_shape)
    acc = outputs.run(red.identity_body + (ir.Declare("#id", red.dtype, red.identity),)).env["#id"]
    if outputs.red_n:
        lanes = Interpreter(kernel, arrays, scalars, out_shape, reduce_shape, lanes="map")
        mapped = lanes.run(red.map_body).env[red.map_result].reshape(outputs.red_n, -1)
        acc = _combine(kernel, arrays, scalars, np.concatenate([acc[None], mapped]))
    outputs.run(red.post_body, env={red.acc: acc})
    outputs.write_back()


def _combine(kernel: ir.Kernel, arrays: dict, scalars: dict, values: np.ndarray) -> np.ndarray:
    """Pairwise (tree) combination along axis 0, as a GPU's reduction groups it."""
    red = kernel.reduction
    fn = next(f for f in kernel.functions if f.name == red.combine)
    a_name, b_name = (p.name for p in fn.params)
    while values.shape[0] > 1:
        half = values.shape[0] // 2
        a, b = values[:half].reshape(-1), values[half : 2 * half].reshape(-1)
        raw = {p.name: arrays[p.name] for p in kernel.params if p.kind is ir.ParamKind.RAW}
        it = Interpreter(kernel, raw, scalars, (a.size,))
        call = ir.Call(fn.name, (ir.Local("#a", red.dtype), ir.Local("#b", red.dtype)), "#r")
        env = {"#a": a, "#b": b, "#r": np.zeros_like(a)}
        combined = it.run((call,), env).env["#r"].reshape(half, -1)
        values = np.concatenate([combined, values[2 * half :]])
    return values[0]
