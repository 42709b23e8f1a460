"""Hand-built IR kernels for emitter tests: short builders, and `SAMPLES`, kernels that
together use every IR node kind, with inputs for running them.

Rule: samples are IR before legalisation (what `lower_array_access` takes), built without
the frontend, so emitter tests do not depend on parsing or lowering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from kernelc.ir import bits, builtins
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import DType, bool_, float32, int32, uint32

F, I, U, BOOL = float32, int32, uint32, bool_
B, UO = ir.BinaryOp, ir.UnaryOp
INT_MIN, INT_MAX = -(2**31), 2**31 - 1

# ---------------------------------------------------------------------------- builders


def c(v, dt: DType | None = None) -> ir.Const:
    if dt is None:
        dt = BOOL if isinstance(v, bool) else I if isinstance(v, int) else F
    return ir.Const(v, dt)


def lc(name: str, dt: DType = F) -> ir.Local:
    return ir.Local(name, dt)


def bi(op: ir.BinaryOp, a: ir.Expr, b: ir.Expr) -> ir.Binary:
    dt = BOOL if op in ir.COMPARISONS or op in ir.LOGICAL else a.dtype
    return ir.Binary(op, a, b, dt)


def add(a, b):
    return bi(B.ADD, a, b)


def sub(a, b):
    return bi(B.SUB, a, b)


def mul(a, b):
    return bi(B.MUL, a, b)


def un(op: ir.UnaryOp, a: ir.Expr) -> ir.Unary:
    return ir.Unary(op, a, a.dtype)


def cast(a: ir.Expr, dt: DType) -> ir.Cast:
    return ir.Cast(a, dt)


def m(fn: str, *args: ir.Expr) -> ir.Math:
    kind = builtins.MATH[fn].kind
    return ir.Math(fn, args, builtins.MATH[fn].result(args[0].dtype if kind == "generic" else F))


def sel(cond: ir.Expr, t: ir.Expr, f: ir.Expr) -> ir.Select:
    return ir.Select(cond, t, f, t.dtype)


def decl(name: str, dt: DType, init=None, length: int | None = None) -> ir.Declare:
    return ir.Declare(name, dt, init, length)


def assign(name: str, value: ir.Expr) -> ir.Assign:
    return ir.Assign(name, value)


def store(param: str, value: ir.Expr) -> ir.ElemStore:
    return ir.ElemStore(param, value)


def load(param: str, dt: DType = F) -> ir.ElemLoad:
    return ir.ElemLoad(param, dt)


def arr(
    name: str,
    dt: DType = F,
    *,
    out: bool = False,
    raw: bool = False,
    ndim: int = 1,
    contiguous: bool = True,
    reads_old: bool = False,
) -> ir.Param:
    kind = ir.ParamKind.RAW if raw else ir.ParamKind.ARRAY
    return ir.Param(name, dt, kind, out, ndim, contiguous, reads_old, written=out)


def sca(name: str, dt: DType) -> ir.Param:
    return ir.Param(name, dt, ir.ParamKind.SCALAR, False)


def kern(name, params, body, *, ndim: int = 1, functions=()) -> ir.Kernel:
    return ir.Kernel(name, tuple(params), tuple(functions), tuple(body), ndim)


def fn(name, params, ret: DType | None, body) -> ir.Function:
    fparams = tuple(ir.FuncParam(n, dt, ref) for n, dt, ref in params)
    return ir.Function(name, fparams, ret, tuple(body))


# ---------------------------------------------------------------------------- samples


@dataclass(frozen=True)
class Sample:
    """A kernel, the targets it is valid on, and argument values for a run."""

    name: str
    kernel: ir.Kernel
    args: Callable[[np.random.Generator], dict] | None = None
    loop_shape: tuple[int, ...] = (37,)
    targets: tuple[str, ...] = ("wgsl", "glsl")
    rtol: float = 1e-6
    notes: dict = field(default_factory=dict)


def _floats(r, n, lo=-4.0, hi=4.0):
    return r.uniform(lo, hi, n).astype(np.float32)


def squared_diff() -> Sample:
    d = sub(load("x"), load("y"))
    k = kern(
        "squared_diff",
        [arr("x", ndim=2), arr("y", ndim=2), arr("z", out=True, ndim=2)],
        [store("z", mul(d, d))],
        ndim=2,
    )
    return Sample(
        "squared_diff",
        k,
        lambda r: {
            "x": _floats(r, (5, 7)),
            "y": _floats(r, (1, 7)),
            "z": np.zeros((5, 7), np.float32),
        },
        loop_shape=(5, 7),
    )


def scalars() -> Sample:
    x, a, k_, n_ = load("x"), ir.ScalarArg("a", F), ir.ScalarArg("k", I), ir.ScalarArg("m", U)
    flag = ir.ScalarArg("flag", BOOL)
    value = sel(flag, add(mul(x, a), cast(k_, F)), sub(x, cast(n_, F)))
    params = [
        arr("x"),
        sca("a", F),
        sca("k", I),
        sca("m", U),
        sca("flag", BOOL),
        arr("y", out=True),
    ]
    return Sample(
        "scalars",
        kern("scalars", params, [store("y", value)]),
        lambda r: {
            "x": _floats(r, 37),
            "a": 1.5,
            "k": -3,
            "m": 7,
            "flag": True,
            "y": np.zeros(37, np.float32),
        },
    )


def raw_gather() -> Sample:
    j = ir.RawLoad("idx", ir.LoopIndex(), I)
    body = [
        decl("j", I, j),
        decl("v", F, ir.RawLoad("src", lc("j", I), F)),
        decl("extra", F, cast(add(ir.ArrayInfo("src", "shape", 1), ir.LoopSize()), F)),
        store("y", add(lc("v"), mul(lc("extra"), c(0.5)))),
    ]
    params = [
        arr("src", raw=True, ndim=2, contiguous=False),
        arr("idx", I, raw=True),
        arr("y", out=True),
    ]

    def args(r):
        src = _floats(r, (6, 8))[:, ::2]  # non-contiguous 6x4 view
        return {
            "src": src,
            "idx": r.integers(0, 24, 37).astype(np.int32),
            "y": np.zeros(37, np.float32),
        }

    return Sample("raw_gather", kern("raw_gather", params, body), args)


def constants() -> Sample:
    floats = [
        float("inf"),
        float("-inf"),
        float("nan"),
        -0.0,
        3.4028234663852886e38,
        1e-45,
        1e-5,
        1e20,
        0.1,
        3.0,
        16777216.0,
        -2.5,
    ]
    body = [decl(f"f{k}", F, c(v)) for k, v in enumerate(floats)]
    body += [
        decl("i0", I, c(INT_MIN)),
        decl("i1", I, c(INT_MAX)),
        decl("i2", I, c(-5)),
        decl("u0", U, c(0, U)),
        decl("u1", U, c(2**32 - 1, U)),
        decl("b0", BOOL, c(True)),
        decl("b1", BOOL, c(False)),
    ]
    total = lc("f3")
    for k in (6, 8, 9, 11):
        total = add(total, lc(f"f{k}"))
    pick = sel(
        bi(B.EQ, ir.LoopIndex(), c(0)),
        lc("f0"),
        sel(
            bi(B.EQ, ir.LoopIndex(), c(1)),
            lc("f1"),
            sel(bi(B.EQ, ir.LoopIndex(), c(2)), lc("f2"), total),
        ),
    )
    body += [
        store("y", pick),
        store("k", add(add(lc("i0", I), lc("i1", I)), lc("i2", I))),
        store("w", sub(lc("u1", U), lc("u0", U))),
        store("b", bi(B.LAND, lc("b0", BOOL), un(UO.NOT, lc("b1", BOOL)))),
    ]
    params = [
        arr("y", out=True),
        arr("k", I, out=True),
        arr("w", U, out=True),
        arr("b", BOOL, out=True),
    ]
    return Sample(
        "constants",
        kern("constants", params, body, ndim=1),
        lambda r: {
            "y": np.zeros(5, np.float32),
            "k": np.zeros(5, np.int32),
            "w": np.zeros(5, np.uint32),
            "b": np.zeros(5, bool),
        },
        loop_shape=(5,),
    )


def casts() -> Sample:
    x, n, u, b = load("x"), load("n", I), load("m", U), load("b", BOOL)
    body = [
        store("fi", add(add(cast(x, I), cast(b, I)), cast(u, I))),
        store("fu", add(add(cast(x, U), cast(n, U)), cast(b, U))),
        store("fo", add(add(cast(n, F), cast(u, F)), cast(b, F))),
        store("bo", bi(B.LOR, bi(B.LAND, cast(x, BOOL), cast(n, BOOL)), cast(u, BOOL))),
    ]
    params = [
        arr("x"),
        arr("n", I),
        arr("m", U),
        arr("b", BOOL),
        arr("fi", I, out=True),
        arr("fu", U, out=True),
        arr("fo", out=True),
        arr("bo", BOOL, out=True),
    ]

    def args(r):
        x = np.array(
            [np.nan, np.inf, -np.inf, 3e9, -3e9, 5e9, -0.7, 0.7, 2.5, -2.5, 0.0, 1e10], np.float32
        )
        x = np.resize(x, 37)
        return {
            "x": x,
            "n": r.integers(-9, 9, 37).astype(np.int32),
            "m": r.integers(0, 2**32, 37, dtype=np.uint64).astype(np.uint32),
            "b": r.integers(0, 2, 37).astype(bool),
            "fi": np.zeros(37, np.int32),
            "fu": np.zeros(37, np.uint32),
            "fo": np.zeros(37, np.float32),
            "bo": np.zeros(37, bool),
        }

    return Sample("casts", kern("casts", params, body), args)


def bitcasts() -> Sample:
    x, n, u = load("x"), load("n", I), load("m", U)
    body = [
        store("a", bi(B.XOR, ir.Bitcast(x, U), ir.Bitcast(n, U))),
        store("b", add(ir.Bitcast(x, I), ir.Bitcast(u, I))),
        store("f", add(ir.Bitcast(n, F), ir.Bitcast(u, F))),
    ]
    params = [
        arr("x"),
        arr("n", I),
        arr("m", U),
        arr("a", U, out=True),
        arr("b", I, out=True),
        arr("f", out=True),
    ]
    return Sample(
        "bitcasts",
        kern("bitcasts", params, body),
        lambda r: {
            "x": _floats(r, 37),
            "n": r.integers(0, 2**20, 37).astype(np.int32),
            "m": r.integers(0x3F000000, 0x40000000, 37).astype(np.uint32),
            "a": np.zeros(37, np.uint32),
            "b": np.zeros(37, np.int32),
            "f": np.zeros(37, np.float32),
        },
    )


def int_ops() -> Sample:
    n, u, s = load("n", I), load("m", U), ir.ScalarArg("s", I)
    a = add(bi(B.DIV, n, c(3)), bi(B.REM, n, c(-7)))
    a = add(a, add(bi(B.DIV, n, load("d", I)), bi(B.REM, n, load("d", I))))
    a = add(a, bi(B.XOR, bi(B.OR, bi(B.AND, n, c(255)), bi(B.SHL, n, c(2))), bi(B.SHR, n, s)))
    a = add(a, add(bi(B.SHL, n, u), sub(un(UO.BITNOT, n), un(UO.NEG, n))))
    b = add(bi(B.DIV, u, c(5, U)), bi(B.REM, u, cast(load("d", I), U)))
    b = add(b, add(bi(B.SHR, u, c(35, U)), bi(B.SHL, u, n)))
    b = add(b, sub(un(UO.BITNOT, u), un(UO.NEG, u)))
    params = [
        arr("n", I),
        arr("m", U),
        arr("d", I),
        sca("s", I),
        arr("a", I, out=True),
        arr("b", U, out=True),
    ]
    return Sample(
        "int_ops",
        kern("int_ops", params, [store("a", a), store("b", b)]),
        lambda r: {
            "n": r.integers(-1000, 1000, 37).astype(np.int32),
            "m": r.integers(0, 2**32, 37, dtype=np.uint64).astype(np.uint32),
            "d": r.integers(-4, 4, 37).astype(np.int32),
            "s": 3,
            "a": np.zeros(37, np.int32),
            "b": np.zeros(37, np.uint32),
        },
    )


def logic_select() -> Sample:
    x, y = load("x"), load("y")
    w = bi(B.LOR, bi(B.LAND, bi(B.LT, x, y), bi(B.GE, x, c(0.0))), un(UO.NOT, bi(B.EQ, x, y)))
    w2 = bi(B.XOR, bi(B.AND, bi(B.LE, x, y), bi(B.GT, y, c(1.0))), bi(B.OR, w, bi(B.NE, x, y)))
    z = add(sel(bi(B.GT, x, y), x, y), sel(w2, c(1.0), c(2.0)))
    params = [arr("x"), arr("y"), arr("z", out=True), arr("w", BOOL, out=True)]
    return Sample(
        "logic_select",
        kern("logic_select", params, [store("z", z), store("w", w2)]),
        lambda r: {
            "x": np.resize(np.array([np.nan, 1, 2, 3], np.float32), 37),
            "y": _floats(r, 37),
            "z": np.zeros(37, np.float32),
            "w": np.zeros(37, bool),
        },
    )


def control_flow() -> Sample:
    """if/else-if/else, a loop with break/continue/continuing, a nested loop whose
    `continue` belongs to it, and an early return that writes the outputs first."""
    x, j, acc = load("x"), lc("j", I), lc("acc")
    inner = ir.Loop(
        body=(
            ir.If(bi(B.GE, lc("q", I), c(3)), (ir.Break(),)),
            ir.If(bi(B.EQ, lc("q", I), c(1)), (ir.Continue(),)),
            assign("acc", add(acc, c(0.25))),
        ),
        continuing=(assign("q", add(lc("q", I), c(1))),),
    )
    outer = ir.Loop(
        body=(
            ir.If(bi(B.GE, j, c(6)), (ir.Break(),)),
            ir.If(bi(B.EQ, bi(B.REM, j, c(2)), c(1)), (ir.Continue(),)),
            decl("q", I, c(0)),
            inner,
            assign("acc", add(acc, x)),
        ),
        continuing=(assign("j", add(j, c(1))),),
    )
    body = [
        decl("acc", F, c(0.0)),
        ir.If(bi(B.LT, x, c(-3.0)), (store("y", c(-1.0)), store("k", c(-1)), ir.Return())),
        ir.If(
            bi(B.LT, x, c(-1.0)),
            (assign("acc", c(1.0)),),
            (ir.If(bi(B.LT, x, c(1.0)), (assign("acc", c(2.0)),), (assign("acc", c(3.0)),)),),
        ),
        decl("j", I, c(0)),
        outer,
        store("y", acc),
        store("k", j),
    ]
    params = [arr("x"), arr("y", out=True), arr("k", I, out=True)]
    return Sample(
        "control_flow",
        kern("control_flow", params, body),
        lambda r: {"x": _floats(r, 37), "y": np.zeros(37, np.float32), "k": np.zeros(37, np.int32)},
    )


def local_arrays() -> Sample:
    x, k = load("x"), cast(bi(B.REM, ir.LoopIndex(), c(4)), U)
    body = [
        decl("a", F, (x, c(1.0)), 4),
        decl("b", I, None, 3),
        decl("big", F, (x,), 32),
        decl("bb", BOOL, (c(True),), 2),
        ir.AssignElem("a", k, add(ir.LocalElem("a", k, F), c(10.0))),
        ir.AssignElem("b", c(2), c(7)),
        ir.AssignElem("big", c(31), mul(x, c(2.0))),
        store(
            "y",
            add(
                add(ir.LocalElem("a", c(1), F), ir.LocalElem("a", k, F)),
                add(ir.LocalElem("big", c(31), F), cast(ir.LocalElem("b", c(2), I), F)),
            ),
        ),
        store(
            "w",
            bi(B.LAND, ir.LocalElem("bb", c(0), BOOL), un(UO.NOT, ir.LocalElem("bb", c(1), BOOL))),
        ),
    ]
    params = [arr("x"), arr("y", out=True), arr("w", BOOL, out=True)]
    return Sample(
        "local_arrays",
        kern("local_arrays", params, body),
        lambda r: {"x": _floats(r, 37), "y": np.zeros(37, np.float32), "w": np.zeros(37, bool)},
    )


def functions() -> Sample:
    """By-value and by-reference parameters, a by-value parameter the callee assigns, a
    reference passed on, a call without result, a function that can fall off its end, and
    callers listed before callees."""
    v = lc("v")
    funcs = [
        fn(
            "accumulate",
            [("acc", F, True), ("v", F, False)],
            None,
            [ir.Call("sq", (v,), "t"), assign("acc", add(lc("acc"), lc("t")))],
        ),
        fn("sq", [("v", F, False)], F, [ir.Return(mul(v, v))]),
        fn(
            "clampx",
            [("v", F, False), ("lo", F, False)],
            F,
            [ir.If(bi(B.LT, v, lc("lo")), (assign("v", lc("lo")),)), ir.Return(v)],
        ),
        fn("sign_of", [("v", F, False)], F, [ir.If(bi(B.GT, v, c(0.0)), (ir.Return(c(1.0)),))]),
        fn(
            "pass_on",
            [("a", F, True), ("b", F, True)],
            None,
            [ir.Call("accumulate", (lc("a"), lc("b")))],
        ),
    ]
    funcs[0] = ir.Function(funcs[0].name, funcs[0].params, None, (decl("t", F),) + funcs[0].body)
    body = [
        decl("t", F, c(1.0)),
        ir.Call("accumulate", (lc("t"), load("x"))),
        decl("r", F),
        ir.Call("clampx", (load("x"), c(0.5)), "r"),
        ir.Call("sign_of", (load("x"),)),
        ir.Call("pass_on", (lc("t"), lc("r"))),
        store("y", add(lc("t"), lc("r"))),
    ]
    params = [arr("x"), arr("y", out=True)]
    return Sample(
        "functions",
        kern("functions", params, body, functions=funcs),
        lambda r: {"x": _floats(r, 37), "y": np.zeros(37, np.float32)},
    )


def names() -> Sample:
    """Names that collide with keywords, built-ins, the emitters' globals and helpers."""
    clashing = [
        "u",
        "i",
        "main",
        "b_x",
        "t_x",
        "o_y",
        "fn",
        "float",
        "sin",
        "select",
        "gl_Pos",
        "_x",
        "a__b",
        "kc_zero",
        "var",
        "let",
        "texture",
        "in",
        "out",
        "highp",
        "KcParams",
        "wg",
        "gid",
        "webgl_x",
        "x_",
        "sample",
        "kc_w_t_x",
    ]
    body = [decl(n, F, c(float(k))) for k, n in enumerate(clashing)]
    total: ir.Expr = load("x")
    for n in clashing:
        total = add(total, lc(n))
    body += [
        ir.Call("select", (total,), "u"),
        ir.Call("main", (lc("u"),)),
        ir.Call("i", (lc("u"),), "u"),
        store("y", lc("u")),
    ]
    funcs = [
        fn("main", [("main", F, True)], None, [assign("main", add(lc("main"), c(1.0)))]),
        fn("select", [("float", F, False)], F, [ir.Return(mul(lc("float"), c(2.0)))]),
        fn("i", [("gid", F, False)], F, [ir.Return(add(lc("gid"), c(0.5)))]),
    ]
    params = [arr("x"), arr("sample"), arr("_p"), arr("a__b"), sca("filter", F), arr("y", out=True)]
    return Sample(
        "names",
        kern("names", params, body, functions=funcs),
        lambda r: {
            "x": _floats(r, 37),
            "sample": _floats(r, 37),
            "_p": _floats(r, 37),
            "a__b": _floats(r, 37),
            "filter": 2.0,
            "y": np.zeros(37, np.float32),
        },
    )


def bool_arrays() -> Sample:
    b, old = load("b", BOOL), load("o", BOOL)
    flag = ir.RawLoad("m", ir.LoopIndex(), BOOL)
    body = [store("o", bi(B.NE, bi(B.LAND, b, flag), old))]
    params = [arr("m", BOOL, raw=True), arr("b", BOOL), arr("o", BOOL, out=True, reads_old=True)]
    return Sample(
        "bool_arrays",
        kern("bool_arrays", params, body),
        lambda r: {
            "m": r.integers(0, 2, 37).astype(bool),
            "b": r.integers(0, 2, 37).astype(bool),
            "o": r.integers(0, 2, 37).astype(bool),
        },
    )


def accumulate_old() -> Sample:
    body = [ir.If(bi(B.GT, load("x"), c(0.0)), (store("y", add(load("y"), load("x"))),))]
    params = [arr("x", ndim=2), arr("y", out=True, ndim=2, reads_old=True)]
    return Sample(
        "accumulate_old",
        kern("accumulate_old", params, body, ndim=2),
        lambda r: {"x": _floats(r, (4, 9)), "y": _floats(r, (4, 9))},
        loop_shape=(4, 9),
    )


def coords_3d() -> Sample:
    coord = add(add(mul(ir.LoopCoord(0), c(100)), mul(ir.LoopCoord(1), c(10))), ir.LoopCoord(2))
    body = [store("y", add(coord, ir.LoopShape(2))), store("z", mul(load("x"), c(2.0)))]
    params = [arr("x", ndim=3), arr("y", I, out=True, ndim=3), arr("z", out=True, ndim=3)]
    return Sample(
        "coords_3d",
        kern("coords_3d", params, body, ndim=3),
        lambda r: {
            "x": _floats(r, (3, 1, 5)),
            "y": np.zeros((3, 4, 5), np.int32),
            "z": np.zeros((3, 4, 5), np.float32),
        },
        loop_shape=(3, 4, 5),
    )


def const_hazards() -> Sample:
    """Operations on constants only: WGSL would evaluate them at shader creation and reject
    the overflow, the division by zero and the NaN."""
    y = add(bi(B.DIV, c(1.0), c(0.0)), m("sqrt", c(-1.0)))
    y = add(y, add(ir.Bitcast(c(0x7F800000), F), mul(c(2.0), c(3.0))))
    k = add(add(c(INT_MAX), c(1)), bi(B.SHL, c(1), c(31)))
    k = add(k, add(un(UO.NEG, c(INT_MIN)), add(bi(B.DIV, c(7), c(0)), bi(B.REM, c(7), c(0)))))
    w = add(bi(B.SHL, c(2**32 - 1, U), c(4, U)), sub(c(1, U), c(2, U)))
    params = [arr("y", out=True), arr("k", I, out=True), arr("w", U, out=True)]
    body = [store("y", y), store("k", k), store("w", w)]
    return Sample(
        "const_hazards",
        kern("const_hazards", params, body),
        lambda r: {
            "y": np.zeros(3, np.float32),
            "k": np.zeros(3, np.int32),
            "w": np.zeros(3, np.uint32),
        },
        loop_shape=(3,),
    )


def ieee_corners() -> Sample:
    """What drivers like to simplify: x * 0, x - x, x != x, x == x, x != y."""
    x, y = load("x"), load("y")
    body = [
        store("a", add(mul(x, c(0.0)), mul(c(-0.0), y))),
        store("d", sub(x, x)),
        store("n", bi(B.LAND, bi(B.NE, x, x), un(UO.NOT, bi(B.EQ, y, y)))),
        store("e", bi(B.NE, x, y)),
    ]
    params = [
        arr("x"),
        arr("y"),
        arr("a", out=True),
        arr("d", out=True),
        arr("n", BOOL, out=True),
        arr("e", BOOL, out=True),
    ]
    special = np.array([np.nan, np.inf, -np.inf, 1.0, -2.0, 0.0], np.float32)
    return Sample(
        "ieee_corners",
        kern("ieee_corners", params, body),
        lambda r: {
            "x": np.resize(special, 36),
            "y": np.repeat(special, 6),
            "a": np.zeros(36, np.float32),
            "d": np.zeros(36, np.float32),
            "n": np.zeros(36, bool),
            "e": np.zeros(36, bool),
        },
        loop_shape=(36,),
    )


def precedence() -> Sample:
    """Nested operators that need parentheses on one target or the other."""
    a, b, d = load("a", I), load("b", I), load("d", I)
    e1 = sub(a, sub(b, d))
    e2 = bi(B.DIV, a, mul(b, c(3)))
    e3 = mul(add(a, b), d)
    e4 = un(UO.NEG, add(a, un(UO.NEG, b)))
    e5 = cast(bi(B.EQ, bi(B.AND, a, b), d), I)
    e6 = bi(B.SHL, a, add(b, c(1)))
    e7 = bi(B.AND, bi(B.OR, a, b), bi(B.XOR, d, c(5)))
    e8 = cast(bi(B.LOR, bi(B.LAND, bi(B.LT, a, b), bi(B.GT, b, d)), bi(B.EQ, a, d)), I)
    e9 = cast(bi(B.EQ, bi(B.LT, a, b), bi(B.GT, b, d)), I)
    total = e1
    for e in (e2, e3, e4, e5, e6, e7, e8, e9):
        total = bi(B.XOR, mul(total, c(31)), e)
    params = [arr("a", I), arr("b", I), arr("d", I), arr("y", I, out=True)]
    return Sample(
        "precedence",
        kern("precedence", params, [store("y", total)]),
        lambda r: {
            "a": r.integers(-50, 50, 37).astype(np.int32),
            "b": r.integers(0, 20, 37).astype(np.int32),
            "d": r.integers(-50, 50, 37).astype(np.int32),
            "y": np.zeros(37, np.int32),
        },
    )


def raw_only() -> Sample:
    """Only raw arrays: the caller gives the size; the output is written at index i."""
    body = [ir.RawStore("b", ir.LoopIndex(), mul(ir.RawLoad("a", ir.LoopIndex(), F), c(2.0)))]
    params = [arr("a", raw=True), arr("b", raw=True, out=True)]
    return Sample(
        "raw_only",
        kern("raw_only", params, body),
        lambda r: {"a": _floats(r, 11), "b": np.zeros(11, np.float32)},
        loop_shape=(11,),
    )


def scatter() -> Sample:
    index = sub(sub(ir.ArrayInfo("b", "size"), c(1)), ir.LoopIndex())
    body = [ir.RawStore("b", index, ir.RawLoad("a", ir.LoopIndex(), F))]
    params = [arr("a", raw=True), arr("b", raw=True, out=True)]
    return Sample(
        "scatter",
        kern("scatter", params, body),
        lambda r: {"a": _floats(r, 11), "b": np.zeros(11, np.float32)},
        loop_shape=(11,),
        targets=("wgsl",),
    )


def four_outputs() -> Sample:
    x = load("x")
    body = [
        store("a", x),
        store("b", cast(x, I)),
        store("c", cast(x, U)),
        store("d", bi(B.GT, x, c(0.0))),
    ]
    params = [
        arr("x"),
        arr("a", out=True),
        arr("b", I, out=True),
        arr("c", U, out=True),
        arr("d", BOOL, out=True),
    ]
    return Sample(
        "four_outputs",
        kern("four_outputs", params, body),
        lambda r: {
            "x": _floats(r, 37),
            "a": np.zeros(37, np.float32),
            "b": np.zeros(37, np.int32),
            "c": np.zeros(37, np.uint32),
            "d": np.zeros(37, bool),
        },
    )


def six_outputs() -> Sample:
    """More outputs than WebGL2's 4 draw buffers (two GLSL output groups), old contents
    read in both groups (`a` in the first, only partly written `f` in the second)."""
    x = load("x")
    body = [
        store("a", add(load("a"), x)),
        store("b", cast(x, I)),
        store("c", cast(m("fabs", x), U)),
        store("d", bi(B.GT, x, c(0.0))),
        store("e", mul(x, x)),
        ir.If(bi(B.LT, x, c(0.0)), (store("f", sub(load("f", I), cast(x, I))),)),
    ]
    params = [
        arr("x", ndim=2),
        arr("a", out=True, ndim=2, reads_old=True),
        arr("b", I, out=True, ndim=2),
        arr("c", U, out=True, ndim=2),
        arr("d", BOOL, out=True, ndim=2),
        arr("e", out=True, ndim=2),
        arr("f", I, out=True, ndim=2, reads_old=True),
    ]
    shape = (6, 9)
    return Sample(
        "six_outputs",
        kern("six_outputs", params, body, ndim=2),
        lambda r: {
            "x": _floats(r, (1, 9), -40, 40),
            "a": _floats(r, shape),
            "b": np.zeros(shape, np.int32),
            "c": np.zeros(shape, np.uint32),
            "d": np.zeros(shape, bool),
            "e": np.zeros(shape, np.float32),
            "f": r.integers(-99, 99, shape).astype(np.int32),
        },
        loop_shape=shape,
    )


def loop_return_function() -> Sample:
    """A function whose only returns are inside an endless loop (naga wants a final one)."""
    f = fn(
        "first_above",
        [("v", F, False)],
        I,
        [
            decl("k", I, c(0)),
            ir.Loop(
                body=(ir.If(bi(B.GT, cast(lc("k", I), F), lc("v")), (ir.Return(lc("k", I)),)),),
                continuing=(assign("k", add(lc("k", I), c(1))),),
            ),
        ],
    )
    body = [
        decl("r", I),
        ir.Call("first_above", (m("fabs", load("x")),), "r"),
        store("y", lc("r", I)),
    ]
    params = [arr("x"), arr("y", I, out=True)]
    return Sample(
        "loop_return_function",
        kern("loop_return_function", params, body, functions=[f]),
        lambda r: {"x": _floats(r, 37), "y": np.zeros(37, np.int32)},
    )


def zero_d() -> Sample:
    """A 0-d loop: one element, no loop shape uniforms."""
    body = [store("y", mul(ir.ScalarArg("s", F), c(2.0)))]
    params = [sca("s", F), arr("y", out=True, ndim=0)]
    return Sample(
        "zero_d",
        kern("zero_d", params, body, ndim=0),
        lambda r: {"s": 1.25, "y": np.zeros((), np.float32)},
        loop_shape=(),
    )


def empty() -> Sample:
    return Sample("empty", kern("empty", [], [], ndim=0), None, loop_shape=())


SAMPLES: dict[str, Callable[[], Sample]] = {
    f.__name__: f
    for f in (
        squared_diff,
        scalars,
        raw_gather,
        constants,
        casts,
        bitcasts,
        int_ops,
        logic_select,
        control_flow,
        local_arrays,
        functions,
        names,
        bool_arrays,
        accumulate_old,
        coords_3d,
        const_hazards,
        ieee_corners,
        precedence,
        raw_only,
        zero_d,
        scatter,
        four_outputs,
        six_outputs,
        loop_return_function,
        empty,
    )
}


def math_kernel(fn_name: str, dt: DType = F) -> ir.Kernel:
    """`y = fn(x[, x2[, x3]])` for one built-in math function, on `dt` operands."""
    spec = builtins.MATH[fn_name]
    names = ("x", "x2", "x3")[: spec.arity]
    types, out = (dt,) * spec.arity, spec.result(dt)
    if spec.kind == "bits":  # the integer intrinsics have their own operand types
        types, out = bits.SIGNATURES[fn_name]
    call = ir.Math(fn_name, tuple(load(n, t) for n, t in zip(names, types)), out)
    params = [*(arr(n, t) for n, t in zip(names, types)), arr("y", out, out=True)]
    return kern(f"math_{fn_name}", params, [store("y", call)])


def atomics() -> Sample:
    """atomicAdd/Sub/Exch/Min/Max/And/Or/Xor/CAS on raw outputs (WGSL only), float add as
    a compare-exchange loop, and plain loads/stores of an atomically updated buffer. Each
    operation has its own elements, so the final contents do not depend on the order."""
    k = bi(B.REM, ir.LoopIndex(), c(4))
    x, n = load("x"), cast(ir.LoopIndex(), U)

    def slot(j: int) -> ir.Expr:
        return add(k, c(4 * j)) if j else k

    body = [decl("old", F), decl("oi", I), decl("ou", U)]
    body.append(ir.Atomic("add", "h", slot(0), x, None, "old"))
    body.append(ir.Atomic("sub", "h", slot(1), mul(x, c(0.5))))
    body += [
        ir.Atomic(op, "c", slot(j), cast(ir.LoopIndex(), I), None, "oi")
        for j, op in enumerate(("add", "max"))
    ]
    body += [
        ir.Atomic(op, "b", slot(j), n, None, "ou")
        for j, op in enumerate(("or", "xor", "and", "min", "sub"))
    ]
    body.append(ir.Atomic("cas", "c", slot(2), c(7), c(0), "oi"))
    body.append(ir.Atomic("exch", "h", c(8), c(1.5), None, "old"))
    body.append(
        ir.If(
            bi(B.EQ, ir.LoopIndex(), c(0)),
            (ir.RawStore("h", c(9), add(ir.RawLoad("h", c(9), F), c(1.0))),),
        )
    )
    params = [
        arr("x"),
        arr("h", raw=True, out=True),
        arr("c", I, raw=True, out=True),
        arr("b", U, raw=True, out=True),
    ]
    return Sample(
        "atomics",
        kern("atomics", params, body),
        lambda r: {
            "x": _floats(r, 37),
            "h": _floats(r, 10),
            "c": np.zeros(12, np.int32),
            "b": np.full(20, 0xF0F0F0F0, np.uint32),
        },
        targets=("wgsl",),
        rtol=1e-5,
    )


SAMPLES["atomics"] = atomics


def reduction() -> Sample:
    """A ReductionKernel: y = sqrt(sum(x * x)) over the first of x's two axes."""
    a, b = lc("a"), lc("b")
    combine = fn("kc_reduce", [("a", F, False), ("b", F, False)], F, [ir.Return(add(a, b))])
    red = ir.Reduction(
        F,
        1,
        (),
        c(0.0),
        (decl("kc_map", F, mul(load("x"), load("x"))),),
        "kc_map",
        "kc_reduce",
        "kc_acc",
        (store("y", m("sqrt", lc("kc_acc"))),),
    )
    params = (arr("x", ndim=2), arr("y", out=True))
    kernel = ir.Kernel("reduction", params, (combine,), (), 1, reduction=red)
    return Sample("reduction", kernel, None, loop_shape=(5,))


SAMPLES["reduction"] = reduction


def legalise(kernel: ir.Kernel, target: str) -> ir.Kernel:
    """The array-access legalisation and library linking the pipeline applies before
    emission."""
    from kernelc.ir.passes.array_access import lower_array_access, lower_reduction_access
    from kernelc.pipeline import link_library

    if kernel.reduction is not None:
        return link_library(lower_reduction_access(kernel, target), target)
    return link_library(lower_array_access(kernel, target), target)
