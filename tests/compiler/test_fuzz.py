"""Hypothesis fuzzing: random expression kernels run against a NumPy evaluation with C
semantics, and mangled kernel text / parameter strings that must never crash the compiler.

Rule: a random float expression is compared only where its value is stable: the evaluator
carries an error bound per element (GPU ops may be a few ULP off; drivers fuse a*b+c and
reassociate sums), and
an element whose comparison or floor could flip within that bound is left out. Integer
expressions are exact. Anything the translator raises besides `KernelCompileError` is a
bug, and so is taking longer than `TIME_LIMIT` seconds.
"""

from __future__ import annotations

import contextlib
import os
import signal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kernelc
from tests.compiler.csem import cdiv, cmod, i32, shl, u32
from tests.compiler.kernel_corpus import CORPUS
from tests.support.kernel_call import call_elementwise
from tests.support.validate import validate_glsl, validate_wgsl

TARGETS = ("wgsl", "glsl")
SIZE = 1024
TIME_LIMIT = 10  # seconds for one translation
SCALE = float(os.environ.get("KERNELC_FUZZ_SCALE", "1"))  # e.g. 20 for a long local run
RUN = settings(
    max_examples=int(30 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TEXT = settings(
    max_examples=int(60 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# ================================================================== float expressions
#
# A tree is a tuple: ("x",), ("c", value), (op, child, ...). `render` writes C, `evaluate`
# gives (value: float32, err: float64 bound on |gpu - value|, unstable: bool) per element.

F_CONSTS = (0.0, 0.5, 1.0, -1.5, 2.0, 3.0, 0.1)
F_UNARY = ("neg", "fabs", "floor", "trunc", "sqrt", "exp")
F_BINARY = ("add", "sub", "mul", "div", "fmin", "fmax", "min", "max")
F_COMPARE = ("<", ">=", "==", "!=")


def float_trees():
    leaf = st.one_of(
        st.sampled_from([("x",), ("y",)]), st.sampled_from(F_CONSTS).map(lambda v: ("c", v))
    )

    def extend(children):
        return st.one_of(
            st.tuples(st.sampled_from(F_UNARY), children),
            st.tuples(st.sampled_from(F_BINARY), children, children),
            st.tuples(
                st.just("?:"), st.sampled_from(F_COMPARE), children, children, children, children
            ),
        )

    return st.recursive(leaf, extend, max_leaves=12)


def render_float(t) -> str:
    match t:
        case ("x",) | ("y",):
            return t[0]
        case ("c", v):
            return f"({v!r}f)" if v < 0 else f"{v!r}f"
        case ("neg", a):
            return f"(-({render_float(a)}))"
        case ("fabs", a):
            return f"fabsf({render_float(a)})"
        case ("floor", a):
            return f"floorf({render_float(a)})"
        case ("trunc", a):
            return f"truncf({render_float(a)})"
        case ("sqrt", a):
            return f"sqrtf(fabsf({render_float(a)}))"
        case ("exp", a):
            return f"expf(fminf({render_float(a)}, 10.0f))"
        case ("div", a, b):
            return f"({render_float(a)} / (fabsf({render_float(b)}) + 1.0f))"
        case (("add" | "sub" | "mul") as op, a, b):
            sign = {"add": "+", "sub": "-", "mul": "*"}[op]
            return f"({render_float(a)} {sign} {render_float(b)})"
        case ((("fmin" | "fmax") as op), a, b):
            return f"{op}f({render_float(a)}, {render_float(b)})"
        case ((("min" | "max") as op), a, b):
            return f"{op}({render_float(a)}, {render_float(b)})"
        case ("?:", cmp, a, b, c, d):
            return (
                f"({render_float(a)} {cmp} {render_float(b)} ? {render_float(c)} : "
                f"{render_float(d)})"
            )
    raise AssertionError(t)


def _ulp(v: np.ndarray) -> np.ndarray:
    return np.spacing(np.abs(v).astype(np.float32)).astype(np.float64)


def evaluate_float(t, env: dict):
    """(value, error bound, unstable) of tree `t` over the input arrays in `env`."""
    f32, zero = np.float32, np.zeros(env["x"].shape)
    no = np.zeros(env["x"].shape, bool)
    match t:
        case ("x",) | ("y",):
            return env[t[0]], zero, no
        case ("c", v):
            return np.full(env["x"].shape, v, np.float32), zero, no
        case ("?:", cmp, *kids):
            (a, ea, ua), (b, eb, ub), (c, ec, uc), (d, ed, ud) = (
                evaluate_float(k, env) for k in kids
            )
            cond = {"<": a < b, ">=": a >= b, "==": a == b, "!=": a != b}[cmp]
            close = np.abs(a.astype(np.float64) - b) <= ea + eb
            fragile = close & (ea + eb > 0)
            return (
                np.where(cond, c, d),
                np.where(cond, ec, ed),
                ua | ub | fragile | np.where(cond, uc, ud),
            )
    a, ea, ua = evaluate_float(t[1], env)
    if len(t) == 2:
        return _float_unary(t[0], a, ea, ua)
    b, eb, ub = evaluate_float(t[2], env)
    op, a64, b64 = t[0], a.astype(np.float64), b.astype(np.float64)
    if op in ("add", "sub", "mul"):
        v = {"add": a + b, "sub": a - b, "mul": a * b}[op]
        if op == "mul":
            err = np.abs(a64) * eb + np.abs(b64) * ea + ea * eb + 2 * _ulp(v)
        else:  # the driver may reassociate sums: round off relative to the terms' size
            err = ea + eb + 2 * _ulp(_sum_magnitude(t, env))
        return v, err, ua | ub | _huge(v)
    if op == "div":
        d = np.abs(b) + f32(1)
        ed = eb + _ulp(d)
        v = a / d
        err = (ea + np.abs(v.astype(np.float64)) * ed) / np.maximum(d - ed, 0.5) + 4 * _ulp(v)
        return v, err, ua | ub | _huge(v)
    v = np.fmin(a, b) if op in ("fmin", "min") else np.fmax(a, b)
    return v, np.maximum(ea, eb), ua | ub


def _sum_magnitude(t, env: dict) -> np.ndarray:
    """Sum of |terms| of the +/- subtree at `t`: bounds every partial sum of a reordering."""
    if t[0] in ("add", "sub"):
        return _sum_magnitude(t[1], env) + _sum_magnitude(t[2], env)
    if t[0] == "neg":
        return _sum_magnitude(t[1], env)
    return np.abs(evaluate_float(t, env)[0].astype(np.float64))


def _float_unary(op: str, a, ea, ua):
    f32 = np.float32
    if op in ("neg", "fabs"):
        return (-a if op == "neg" else np.abs(a)), ea, ua
    if op in ("floor", "trunc"):
        v = np.floor(a) if op == "floor" else np.trunc(a)
        lo, hi = a - ea, a + ea
        rounding = np.floor if op == "floor" else np.trunc
        return v, np.zeros_like(ea), ua | (rounding(lo) != rounding(hi))
    if op == "sqrt":
        v = np.sqrt(np.abs(a))
        return v, np.sqrt(ea) + 2 * _ulp(v), ua
    m = np.minimum(a, f32(10))
    v = np.exp(m)
    return v, v * np.expm1(ea) + 16 * _ulp(v), ua | _huge(v)


def _huge(v) -> np.ndarray:
    return ~(np.abs(v) < 1e30)


def _float_inputs(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-4, 4, SIZE).astype(np.float32)
    y = rng.uniform(-4, 4, SIZE).astype(np.float32)
    x[:8] = [0.0, 0.5, -1.5, 2.0, 1.0, 3.0, -0.0, 4.0]  # equal to constants: exact ties
    y[:8] = [0.0, 0.5, 2.0, -1.5, 1.0, 3.0, 0.0, -4.0]
    return {"x": x, "y": y}


@pytest.mark.parametrize("target", TARGETS)
@RUN
@given(trees=st.lists(float_trees(), min_size=1, max_size=4), seed=st.integers(0, 2**32 - 1))
def test_random_float_expressions(target, trees, seed):
    env = _float_inputs(seed)
    outs = ", ".join(f"float32 r{k}" for k in range(len(trees)))
    body = "\n".join(f"r{k} = {render_float(t)};" for k, t in enumerate(trees))
    got = call_elementwise(
        target, "float32 x, float32 y", outs, body, env["x"], env["y"], name="fuzz_float"
    )
    got = got if isinstance(got, tuple) else (got,)
    with np.errstate(all="ignore"):
        for k, (tree, actual) in enumerate(zip(trees, got)):
            want, err, unstable = evaluate_float(tree, env)
            ok = unstable | (np.abs(actual.astype(np.float64) - want) <= err + 1e-30)
            bad = np.flatnonzero(~ok)
            assert bad.size == 0, (
                f"r{k} = {render_float(tree)}: at {bad[:5]} x={env['x'][bad[:5]]} "
                f"y={env['y'][bad[:5]]} got {actual[bad[:5]]} want {want[bad[:5]]} "
                f"(bound {err[bad[:5]]})"
            )


# ================================================================== int32 expressions

I_CONSTS = (0, 1, -1, 2, 3, 7, 31, 1000, -1000, 65536, 2147483647)
I_UNARY = ("neg", "bnot", "lnot", "abs")
I_BINARY = (
    "+",
    "-",
    "*",
    "/",
    "%",
    "&",
    "|",
    "^",
    "<<",
    ">>",
    "lshr",
    "min",
    "max",
    "<",
    "<=",
    "==",
    "!=",
    ">",
    ">=",
    "&&",
    "||",
)


def int_trees():
    leaf = st.one_of(
        st.sampled_from([("a",), ("b",)]), st.sampled_from(I_CONSTS).map(lambda v: ("c", v))
    )

    def extend(children):
        return st.one_of(
            st.tuples(st.sampled_from(I_UNARY), children),
            st.tuples(st.sampled_from(I_BINARY), children, children),
            st.tuples(st.just("?:"), children, children, children),
        )

    return st.recursive(leaf, extend, max_leaves=12)


def render_int(t) -> str:
    r = render_int
    match t:
        case ("a",) | ("b",):
            return t[0]
        case ("c", v):
            return f"({v})" if v < 0 else str(v)
        case ("neg", a):
            return f"(-({r(a)}))"
        case ("bnot", a):
            return f"(~{r(a)})"
        case ("lnot", a):
            return f"(!{r(a)})"
        case ("abs", a):
            return f"abs({r(a)})"
        case ("?:", c, a, b):
            return f"({r(c)} ? {r(a)} : {r(b)})"
        case (("/" | "%") as op, a, b):
            return f"({r(a)} {op} (({r(b)}) == 0 ? 1 : ({r(b)})))"
        case (("<<" | ">>") as op, a, b):
            return f"({r(a)} {op} ({r(b)} & 31))"
        case ("lshr", a, b):
            return f"(int)((unsigned int)({r(a)}) >> ({r(b)} & 31))"
        case (("min" | "max") as op, a, b):
            return f"{op}({r(a)}, {r(b)})"
        case (op, a, b):
            return f"({r(a)} {op} {r(b)})"
    raise AssertionError(t)


def evaluate_int(t, env: dict) -> np.ndarray:
    """The int32 value of `t` with C semantics (wraparound, truncating / and %)."""
    ev = evaluate_int
    match t:
        case ("a",) | ("b",):
            return env[t[0]]
        case ("c", v):
            return np.full(env["a"].shape, v, np.int32)
        case ("neg", a):
            return i32(-ev(a, env).astype(np.int64))
        case ("bnot", a):
            return ~ev(a, env)
        case ("lnot", a):
            return (ev(a, env) == 0).astype(np.int32)
        case ("abs", a):
            return i32(np.abs(ev(a, env).astype(np.int64)))
        case ("?:", c, a, b):
            return np.where(ev(c, env) != 0, ev(a, env), ev(b, env)).astype(np.int32)
    a, b = ev(t[1], env), ev(t[2], env)
    a64, b64 = a.astype(np.int64), b.astype(np.int64)
    match t[0]:
        case "+" | "-" | "*":
            return i32({"+": a64 + b64, "-": a64 - b64, "*": a64 * b64}[t[0]])
        case "/" | "%":
            d = np.where(b == 0, 1, b).astype(np.int32)
            return cdiv(a, d) if t[0] == "/" else cmod(a, d)
        case "<<":
            return shl(a, b & 31)
        case ">>":
            return a >> (b & 31)
        case "lshr":
            return i32(u32(a) >> u32(b & 31))
        case "min" | "max":
            return (np.minimum if t[0] == "min" else np.maximum)(a, b)
        case "&&" | "||":
            both = (a != 0) & (b != 0) if t[0] == "&&" else (a != 0) | (b != 0)
            return both.astype(np.int32)
        case "&" | "|" | "^":
            return {"&": a & b, "|": a | b, "^": a ^ b}[t[0]]
    cmp = {"<": a < b, "<=": a <= b, "==": a == b, "!=": a != b, ">": a > b, ">=": a >= b}
    return cmp[t[0]].astype(np.int32)


def _int_inputs(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    small = rng.integers(-40, 40, SIZE)
    big = rng.integers(-(2**31), 2**31, SIZE)
    pick = rng.random(SIZE) < 0.5
    a = np.where(pick, small, big).astype(np.int32)
    b = np.where(rng.random(SIZE) < 0.5, rng.integers(-40, 40, SIZE), big[::-1]).astype(np.int32)
    a[:6] = [0, -7, 7, -(2**31), 2**31 - 1, -1]
    b[:6] = [0, 2, -2, -1, 1, 31]
    return {"a": a, "b": b}


@pytest.mark.parametrize("target", TARGETS)
@RUN
@given(trees=st.lists(int_trees(), min_size=1, max_size=4), seed=st.integers(0, 2**32 - 1))
def test_random_int_expressions(target, trees, seed):
    env = _int_inputs(seed)
    outs = ", ".join(f"int32 r{k}" for k in range(len(trees)))
    body = "\n".join(f"r{k} = {render_int(t)};" for k, t in enumerate(trees))
    got = call_elementwise(
        target, "int32 a, int32 b", outs, body, env["a"], env["b"], name="fuzz_int"
    )
    got = got if isinstance(got, tuple) else (got,)
    for k, (tree, actual) in enumerate(zip(trees, got)):
        want = evaluate_int(tree, env)
        bad = np.flatnonzero(actual != want)
        assert bad.size == 0, (
            f"r{k} = {render_int(tree)}: at {bad[:5]} a={env['a'][bad[:5]]} "
            f"b={env['b'][bad[:5]]} got {actual[bad[:5]]} want {want[bad[:5]]}"
        )


# ================================================================== robustness


class TranslationHang(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float):
    def on_alarm(signum, frame):
        raise TranslationHang(f"translation took over {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def translate_or_reject(*args, **kwargs):
    """Translate; a `KernelCompileError` is a fine outcome, anything else fails the test.
    A translated program must also be accepted by the target's real shader compiler."""
    try:
        with time_limit(TIME_LIMIT):
            program = kernelc.translate_elementwise(*args, **kwargs)
    except kernelc.KernelCompileError as err:
        str(err)  # rendering must not fail either
        return None
    if program.abi.target == "wgsl":
        validate_wgsl(program.code)
    else:
        validate_glsl(program.code)
    return program


SNIPPETS = (
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ";",
    ",",
    "?",
    ":",
    "=",
    "+=",
    "++",
    "--",
    "<<",
    ">>",
    "<",
    ">",
    "&",
    "*",
    "/",
    "/*",
    "*/",
    "//",
    "#",
    "#define",
    "\\",
    "'",
    '"',
    "0x",
    "1e",
    ".",
    "f",
    "u",
    "i",
    "x",
    "y",
    "_ind",
    "raw",
    "T",
    "int",
    "float",
    "return",
    "break",
    "continue",
    "for",
    "while",
    "do",
    "if",
    "else",
    "template",
    "__device__",
    "static_cast<",
    "\n",
    " ",
    "\t",
    "é",
    "\x00",
)
SECTIONS = ("operation", "preamble", "in_params", "out_params", "loop_prep")


@st.composite
def mutations(draw, text: str):
    """`text` after 1-4 random deletions, insertions, duplications or swaps."""
    for _ in range(draw(st.integers(1, 4))):
        n = len(text)
        at = draw(st.integers(0, n))
        kind = draw(st.sampled_from(["delete", "insert", "duplicate", "swap"]))
        if kind == "delete" and n:
            text = text[:at] + text[at + draw(st.integers(1, 4)) :]
        elif kind == "insert":
            snippet = draw(st.sampled_from(SNIPPETS) | st.text(max_size=3))
            text = text[:at] + snippet + text[at:]
        elif kind == "duplicate":
            piece = text[at : at + draw(st.integers(1, 12))]
            text = text[:at] + piece + text[at:]
        elif n >= 2:
            a, b = sorted((at % n, draw(st.integers(0, n - 1))))
            text = text[:a] + text[b : b + 1] + text[a + 1 : b] + text[a : a + 1] + text[b + 1 :]
    return text


@st.composite
def mutated_kernels(draw):
    kernel = draw(st.sampled_from(CORPUS))
    kwargs = kernel.translate_kwargs()
    parts = {
        "in_params": kernel.in_params,
        "out_params": kernel.out_params,
        "operation": kernel.operation,
        "preamble": kernel.preamble,
        "loop_prep": kernel.loop_prep,
    }
    section = draw(st.sampled_from(SECTIONS).filter(lambda s: parts[s]) | st.just("operation"))
    parts[section] = draw(mutations(parts[section]))
    kwargs.update(preamble=parts["preamble"], loop_prep=parts["loop_prep"])
    return parts, kwargs


@pytest.mark.parametrize("target", TARGETS)
@TEXT
@given(case=mutated_kernels())
def test_mutated_kernels_only_raise_compile_errors(target, case):
    parts, kwargs = case
    translate_or_reject(
        parts["in_params"], parts["out_params"], parts["operation"], target=target, **kwargs
    )


PARAM_WORDS = (
    "raw",
    "_non_const",
    "const",
    "T",
    "U",
    "float32",
    "int32",
    "uint32",
    "bool",
    "float",
    "int64",
    "x",
    "y",
    "z",
    "i",
    "n",
    "_x",
    "9a",
    "a-b",
    "for",
    "é",
    "T*",
)


@st.composite
def param_strings(draw):
    def item():
        return st.lists(st.sampled_from(PARAM_WORDS), min_size=0, max_size=4).map(" ".join)

    separator = st.sampled_from([",", ", ", " ,", ",,", ";"])
    items = draw(st.lists(item(), min_size=0, max_size=4))
    text = draw(separator).join(items) if items else ""
    if draw(st.booleans()):
        text = draw(mutations(text or "T x"))
    return text


@pytest.mark.parametrize("target", TARGETS)
@TEXT
@given(ins=param_strings() | st.text(max_size=20), outs=param_strings())
def test_random_params_only_raise_compile_errors(target, ins, outs):
    translate_or_reject(
        ins, outs, "", "params_fuzz", target=target, types={"T": "float32", "U": "int32"}
    )
