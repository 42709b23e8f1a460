"""float64 trigonometric functions, hypot, cbrt, fma and frexp under the exact 64-bit
policy (`kernelc/lib/float64_trig.cu`, `float64.cu`) on both native backends.

Rule: each function is compiled once per backend and run on one dense set of points (the
whole finite range, huge arguments and neighbours of multiples of pi/2 for sin/cos/tan,
subnormals, the ends of the domains), compared with mpmath at 120 bits in ulp: within
CUDA's documented double-precision bound (`CUDA_ULP`). Special values (+-0, +-Inf, NaN)
must give NumPy's bits. fma and frexp are compared bit for bit. `python -m
tests.runtime.test_exact64_trig` prints the table of docs/math-accuracy.md.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np
import pytest

import wgpy_runtime as wp
from tests.compiler.test_lib_float64 import SPECIAL, same
from tests.runtime.helpers import wgpy_backend  # noqa: F401  (runs every test on every backend)
from tests.runtime.test_exact64 import exact_policy, float_operands, ulps  # noqa: F401

# CUDA C Programming Guide, double-precision maximum ulp errors.
CUDA_ULP = {
    "sin": 2,
    "cos": 2,
    "tan": 2,
    "sinpi": 2,
    "cospi": 2,
    "asin": 2,
    "acos": 2,
    "atan": 2,
    "atan2": 2,
    "hypot": 2,
    "cbrt": 1,
}
TWO_ARGUMENTS = {"atan2", "hypot"}
NUMPY = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "atan2": "arctan2"}
SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1.0, -1.0])


def _mpmath():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.prec = 120
    return mpmath


def _exact(op: str, m, x, y=None):
    match op:
        case "sinpi" | "cospi":
            return getattr(m, op)(x)
        case "cbrt":
            return m.sign(x) * m.cbrt(abs(x))
        case "atan2":
            return m.atan2(x, y)
        case "hypot":
            return m.sqrt(x * x + y * y)
    return getattr(m, op)(x)


def _magnitudes(rng, n: int, lo: float, hi: float) -> np.ndarray:
    """Log-uniform magnitudes 10^lo .. 10^hi with random signs."""
    return 10.0 ** rng.uniform(lo, hi, n) * rng.choice([-1.0, 1.0], n)


def _near_pio2_multiples(rng) -> np.ndarray:
    """Doubles next to k pi/2 (small k, and k up to 2^60), where the reduced argument is
    tiny: the reduction must keep its leading bits."""
    k = np.concatenate([np.arange(1, 400), rng.integers(1, 2**60, 300).astype(np.float64)])
    near = (k * (np.pi / 2)).view(np.int64)
    steps = rng.integers(-2, 3, near.size)
    worst = [6381956970095103.0 * 2.0**797, 5.319372648326541e255, 1.7976931348623157e308]
    return np.concatenate([(near + steps).view(np.float64), worst, np.negative(worst)])


def points(op: str) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(11)
    if op in ("sin", "cos", "tan"):
        x = np.concatenate(
            [
                np.linspace(-10, 10, 1601),
                _magnitudes(rng, 1200, -320, 308.25),
                rng.uniform(-1e6, 1e6, 400),
                _near_pio2_multiples(rng),
            ]
        )
        return (x,)
    if op in ("sinpi", "cospi"):
        quarters = np.arange(-40, 40) * 0.25
        x = np.concatenate(
            [
                np.linspace(-8, 8, 2001),
                quarters,
                np.nextafter(quarters, np.inf),
                _magnitudes(rng, 600, -320, 0),
                _magnitudes(rng, 300, 0, 18),
            ]
        )
        return (x,)
    if op in ("asin", "acos"):
        ones = 1.0 - 10.0 ** rng.uniform(-16.5, 0, 500)
        x = np.concatenate(
            [np.linspace(-1, 1, 2001), ones, -ones, _magnitudes(rng, 500, -320, 0), [-1.0, 1.0]]
        )
        return (x,)
    if op == "atan":
        x = np.concatenate([np.linspace(-4, 4, 1601), _magnitudes(rng, 1600, -320, 308.25)])
        return (x,)
    if op == "cbrt":
        x = np.concatenate([np.linspace(-8, 8, 1601), _magnitudes(rng, 2000, -323.5, 308.25)])
        return (x,)
    # atan2 and hypot: operands of every relative size, every quadrant, subnormals
    n = 3000
    x = _magnitudes(rng, n, -320, 308)
    with np.errstate(over="ignore"):
        y = x * _magnitudes(rng, n, -25, 25)
    y[: n // 6] = _magnitudes(rng, n // 6, -320, 308)  # unrelated magnitudes
    unit = np.linspace(-2, 2, 41)
    a, b = (v.ravel() for v in np.meshgrid(unit, unit))
    finite = np.isfinite(y)
    return np.concatenate([x[finite], a]), np.concatenate([y[finite], b])


@functools.cache
def reference(op: str) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """The points of `op` and mpmath's values there, rounded to float64 (once)."""
    m = _mpmath()
    args = points(op)
    exact = [_exact(op, m, *map(m.mpf, map(float, values))) for values in zip(*args)]
    return args, np.array([float(v) for v in exact])


@functools.cache
def kernel(op: str) -> wp.ElementwiseKernel:
    ins = "float64 x, float64 y" if op in TWO_ARGUMENTS else "float64 x"
    call = f"{op}(x, y)" if op in TWO_ARGUMENTS else f"{op}(x)"
    return wp.ElementwiseKernel(ins, "float64 r", f"r = {call}", f"exact64_{op}")


def run(op: str, *args: np.ndarray) -> np.ndarray:
    return kernel(op)(*map(wp.asarray, args)).get()


def numpy_value(op: str, *args: np.ndarray) -> np.ndarray:
    """NumPy's float64 result (sinpi and cospi as NumPy users write them: NumPy has none)."""
    with np.errstate(all="ignore"):
        if op in ("sinpi", "cospi"):
            return getattr(np, op[:3])(np.pi * args[0])
        return getattr(np, NUMPY.get(op, op))(*args)


@pytest.mark.parametrize("op", CUDA_ULP)
def test_float64_trig_within_cuda_bounds(op):
    args, want = reference(op)
    got = run(op, *args)
    worst = ulps(got, want).max()
    assert worst <= CUDA_ULP[op], (op, worst)


@pytest.mark.parametrize("op", CUDA_ULP)
def test_float64_trig_special_values(op):
    if op in TWO_ARGUMENTS:
        x, y = (v.ravel() for v in np.meshgrid(SPECIALS, SPECIALS))
        args = (x, y)
    else:
        args = (SPECIALS,)
    got = run(op, *args)
    want = numpy_value(op, *args)
    if op == "sinpi":  # an exact zero of x's sign at the integers (C23)
        want = np.where(np.abs(args[0]) == 1.0, np.copysign(0.0, args[0]), want)
    tiny = np.abs(args[0]) == 5e-324
    exact = same(got, want) | (tiny & (ulps(got, want) <= CUDA_ULP[op]))
    assert exact.all(), (op, args[0][~exact], got[~exact], want[~exact])


def test_huge_arguments_reduce_exactly():
    """sin, cos and tan of the largest doubles and of 2^k: each a fresh Payne-Hanek
    window of 2/pi."""
    m = _mpmath()
    x = np.concatenate([2.0 ** np.arange(20, 1024), np.nextafter(np.inf, 0) * 0.5 ** np.arange(8)])
    for op in ("sin", "cos", "tan"):
        want = np.array([float(getattr(m, op)(m.mpf(float(v)))) for v in x])
        assert ulps(run(op, x), want).max() <= CUDA_ULP[op], op


def fma_operands() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Specials in every triple, random bits, products cancelled by c (the rounding of
    a * b given as c), tiny and huge products, subnormal results."""
    rng = np.random.default_rng(12)
    s = np.array(SPECIAL[:16])
    a, b, c = (v.ravel() for v in np.meshgrid(s, s, s[::3]))
    x, y = float_operands(500)
    with np.errstate(all="ignore"):
        near = x * y
    z = np.concatenate([near[: x.size // 2], -near[x.size // 2 :]])
    r = rng.integers(0, 2**64, (3, 1500), dtype=np.uint64).view(np.float64)
    u = rng.uniform(1, 2, (3, 1500)) * 2.0 ** rng.integers(-540, -500, (3, 1500))
    return (
        np.concatenate([a, x, r[0], u[0]]),
        np.concatenate([b, y, r[1], u[1]]),
        np.concatenate([c, z, r[2], -u[2] * 2.0**-1000]),
    )


def fma_reference(a: float, b: float, c: float) -> float:
    """a * b + c rounded once (IEEE, round to nearest even)."""
    if np.isfinite(a) and np.isfinite(b) and np.isinf(c):
        return c  # a finite product never overflows inside fma
    if not all(np.isfinite((a, b, c))):
        with np.errstate(all="ignore"):
            return float(np.float64(a) * np.float64(b) + np.float64(c))
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    if exact == 0:
        if a == 0 or b == 0:
            return float(np.copysign(0.0, a) * np.copysign(1.0, b) + c)
        return 0.0
    try:
        return float(exact)
    except OverflowError:
        return np.inf if exact > 0 else -np.inf


def test_fma_is_correctly_rounded():
    a, b, c = fma_operands()
    k = wp.ElementwiseKernel(
        "float64 a, float64 b, float64 c", "float64 r", "r = fma(a, b, c)", "exact64_fma"
    )
    got = k(wp.asarray(a), wp.asarray(b), wp.asarray(c)).get()
    want = np.array([fma_reference(*t) for t in zip(a.tolist(), b.tolist(), c.tolist())])
    bad = ~same(got, want)
    assert not bad.any(), (a[bad][:4], b[bad][:4], c[bad][:4], got[bad][:4], want[bad][:4])


def test_frexp_through_a_reference_argument():
    x, _ = float_operands()
    k = wp.ElementwiseKernel(
        "float64 x", "float64 m, int32 e", "int n; m = frexp(x, &n); e = n;", "exact64_frexp"
    )
    m, e = (v.get() for v in k(wp.asarray(x)))
    want_m, want_e = np.frexp(x)
    assert same(m, want_m).all()
    assert (e == np.where(np.isfinite(x), want_e, 0)).all()


def test_modf_and_remquo_through_reference_arguments():
    """modf's parts are NumPy's bit for bit; remquo's value is remainder's and its
    quotient the sign and low 3 bits of the exact reference's n."""
    from kernelc.ir import special

    x, y = float_operands()
    x, y = x[::4], y[::4]
    k = wp.ElementwiseKernel(
        "float64 x, float64 y",
        "float64 f, float64 ip, float64 r, int32 q",
        "double t; f = modf(x, &t); ip = t; int n; r = remquo(x, y, &n); q = n;",
        "exact64_modf_remquo",
    )
    f, ip, r, q = (v.get() for v in k(wp.asarray(x), wp.asarray(y)))
    with np.errstate(invalid="ignore"):  # modf of NaN
        want_f, want_ip = np.modf(x)
    assert same(f, want_f).all() and same(ip, want_ip).all()
    assert same(r, np.array([special.remainder(a, b) for a, b in zip(x, y)])).all()
    quo = np.array([special.remquo_quo(a, b) for a, b in zip(x, y)])
    assert (q == quo).all(), (x[q != quo][:4], y[q != quo][:4], q[q != quo][:4], quo[q != quo][:4])


def test_sincos_stores_both_results():
    """sincos(x, &s, &c) gives sin's and cos's bits (sincospi is lowered the same way,
    `tests/compiler/test_math_accuracy.py`; its kernel alone takes a minute to compile)."""
    x = points("sin")[0][::3]
    k = wp.ElementwiseKernel("float64 x", "float64 s, float64 c", "sincos(x, &s, &c);", "sincos64")
    s, c = (v.get() for v in k(wp.asarray(x)))
    assert same(s, run("sin", x)).all() and same(c, run("cos", x)).all()


def test_numpy_ufuncs_reach_the_float64_library():
    x = np.linspace(-0.99, 0.99, 101)
    got = wp.arcsin(wp.asarray(x)).get()
    assert ulps(got, np.arcsin(x)).max() <= 2
    for name in ("arctan2", "hypot"):
        got = getattr(wp, name)(wp.asarray(x), wp.asarray(x[::-1].copy())).get()
        assert ulps(got, getattr(np, name)(x, x[::-1])).max() <= 2, name


def table() -> str:
    """docs/math-accuracy.md's rows: max ulp per backend, CUDA's bound, NumPy's error."""
    from wgpy_runtime import device as devices

    previous_policy = wp.get_64bit_policy()
    wp.set_64bit_policy("exact")
    rows = ["| function | webgpu (lavapipe) | webgl (llvmpipe) | CUDA's bound | NumPy | points |"]
    rows.append("| --- | --- | --- | --- | --- | --- |")
    try:
        for op in CUDA_ULP:
            args, want = reference(op)
            measured = []
            for backend in devices.BACKENDS:
                previous = devices.set_device(backend)
                measured.append(int(ulps(run(op, *args), want).max()))
                devices.set_device(previous)
            numpy_err = str(int(ulps(numpy_value(op, *args), want).max()))
            if op in ("sinpi", "cospi"):
                numpy_err = "none"  # sin(np.pi * x) is off by pi x's rounding, not comparable
            cells = [f"`{op}`", *map(str, measured), str(CUDA_ULP[op]), numpy_err]
            rows.append("| " + " | ".join([*cells, f"{want.size:,}"]) + " |")
    finally:
        wp.set_64bit_policy(previous_policy)
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
