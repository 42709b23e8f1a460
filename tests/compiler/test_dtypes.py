"""Every parameter dtype on both targets (docs/dtypes.md): storage round trips, C wraparound
of 8/16-bit integers on every store, float16 rounding, concurrent stores into neighbouring
elements of one packed word, the 64-bit policy (warning, conversion, overflow), and the
uses of complex that stay unsupported. Every shader run here is first checked by a real compiler.

Rule: results are compared exactly with NumPy (which converts like C: integers wrap,
float16 rounds to nearest even and overflows to Inf).
"""

from __future__ import annotations

import numpy as np
import pytest

import kernelc
from kernelc.abi.contract import PackedLayout
from kernelc.errors import UnsupportedFeatureError, UnsupportedOnTarget
from kernelc.ir.interp import run_reduction
from kernelc.pipeline import lower_reduction_kernel
from tests.support.interp_call import call_elementwise_interpreted
from tests.support.kernel_call import call_elementwise, executor_for
from tests.support.reduction_call import call_reduction
from tests.support.validate import glslang_available, validate_glsl, validate_wgsl

TARGETS = ("wgsl", "glsl")
NARROW_INTS = ("int8", "uint8", "int16", "uint16")
ALL_DTYPES = (
    "bool",
    *NARROW_INTS,
    "int32",
    "uint32",
    "int64",
    "uint64",
    "float16",
    "float32",
    "float64",
)
N = 1001  # not a multiple of 4: the last packed word is partly padding


class Validating:
    """An executor that has every program checked by the target's real compiler first."""

    def __init__(self, target: str):
        if target == "glsl" and not glslang_available():
            pytest.skip("glslangValidator is not here")
        self.target = target
        self.programs: list[kernelc.Program] = []

    def run(self, program, args, loop_shape):
        (validate_wgsl if self.target == "wgsl" else validate_glsl)(program.code)
        self.programs.append(program)
        return executor_for(self.target).run(program, args, loop_shape)


def call(target: str, in_params: str, out_params: str, operation: str, *args, **kwargs):
    return call_elementwise(
        target, in_params, out_params, operation, *args, executor=Validating(target), **kwargs
    )


def wrap(values, dtype: str) -> np.ndarray:
    """C's conversion of integer values to `dtype` (modulo 2**bits)."""
    return np.asarray(values, np.int64).astype(dtype)


def sample(dtype: str, n: int = N, seed: int = 0) -> np.ndarray:
    """`n` values of `dtype`: its extremes and specials first, then random ones (64-bit
    integers within the 32-bit range they are held in; float64 exact in float32)."""
    r = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return r.integers(0, 2, n).astype(bool)
    if dt.kind in "iu":
        info = np.iinfo(dt if dt.itemsize < 8 else dtype.replace("64", "32"))
        edges = [info.min, info.max, 0, 1, info.max - 1, info.min + 1]
        if info.min < 0:
            edges.append(-1)
        rand = r.integers(int(info.min), int(info.max) + 1, n, dtype=np.int64)
        return np.concatenate([edges, rand])[:n].astype(dt)
    specials = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.5]
    if dt == np.float16:
        specials += [65504.0, -65504.0, 2.0**-14, 2.0**-24, -3 * 2.0**-24, 1023 * 2.0**-24]
        rand = r.uniform(-1000, 1000, n)
    else:
        specials += [3.4028234663852886e38, 2.0**-126, 2.0**-149]
        rand = r.uniform(-1e6, 1e6, n)
    values = np.concatenate([specials, rand])[:n].astype(dt)
    return values.astype(np.float32).astype(dt) if dt == np.float64 else values


# ---------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_every_dtype_in_and_out(dtype, target):
    """Non-raw, raw and scalar inputs; non-raw and raw outputs, element for element."""
    x, r = sample(dtype), sample(dtype, seed=1)
    s = sample(dtype, seed=2)[1]  # the dtype's maximum (True for bool)
    outs = [np.zeros(N, dtype) for _ in range(3)]
    y, z, w = call(
        target,
        "T x, raw T r, T s",
        "T y, raw T z, T w",
        "y = x;\nz[i] = r[i];\nw = s;",
        x,
        r,
        s,
        *outs,
    )
    for got, want in ((y, x), (z, r), (w, np.full(N, s, dtype))):
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_every_dtype_read_and_updated_in_place(dtype, target):
    """An output whose old contents are read (a `previous` texture on GLSL, a packed
    word loaded atomically on WGSL), through an offset, strided view."""
    base = sample(dtype, 3 * N + 2, seed=3)
    keep = base.copy()
    view = base[1 : 1 + 3 * N : 3]
    flag = np.arange(N) % 3 == 0
    call(target, "bool f", "T y", "if (f) y = T();", flag, view)
    want = keep.copy()
    want[1 : 1 + 3 * N : 3][flag] = np.zeros((), dtype)
    np.testing.assert_array_equal(base, want)


# ---------------------------------------------------------------------------- wraparound

WRAP_PREAMBLE = """
template <typename T> __device__ void bump(T &a) { a += 100; }
__device__ int widen(signed char c) { return c; }
"""


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("dtype", NARROW_INTS)
def test_narrow_integers_wrap_on_every_store(dtype, target):
    """int8 127 + 1 == -128, uint8 255 + 1 == 0, ...: in outputs, locals, compound
    assignments, a reference argument and a by-value parameter."""
    x = sample(dtype)
    outs = [np.zeros(N, dtype), np.zeros(N, dtype), np.zeros(N, np.int32), np.zeros(N, dtype)]
    y, z, w, v = call(
        target,
        "T x",
        "T y, T z, int32 w, raw T v",
        "y = x + 1;\nT t = x;\nt *= 3;\nz = t;\nbump(y);\nw = widen(x + 200);\nv[i] = x - 1;",
        x,
        *outs,
        preamble=WRAP_PREAMBLE,
    )
    x64 = x.astype(np.int64)
    np.testing.assert_array_equal(y, wrap(wrap(x64 + 1, dtype).astype(np.int64) + 100, dtype))
    np.testing.assert_array_equal(z, wrap(x64 * 3, dtype))
    np.testing.assert_array_equal(w, wrap(x64 + 200, "int8").astype(np.int32))
    np.testing.assert_array_equal(v, wrap(x64 - 1, dtype))
    info = np.iinfo(dtype)
    assert y[1] == wrap(int(info.min) + 100, dtype)  # max + 1 wrapped to min, then + 100
    assert v[0] == info.max  # min - 1


def test_wraparound_examples_from_the_issue():
    for dtype, value, want in (
        ("int8", 127, -128),
        ("uint8", 255, 0),
        ("int16", 32767, -32768),
        ("uint16", 65535, 0),
    ):
        for target in TARGETS:
            y = call(target, "T x", "T y", "y = x + 1;", np.full(5, value, dtype))
            assert (y == want).all(), (dtype, target, y)


@pytest.mark.parametrize("target", TARGETS)
def test_templates_deduce_narrow_types(target):
    """`twice(x)` with an int8 `x` instantiates T = signed char, as C++ does: the result
    wraps before it is widened into an int32 output (a float16 one rounds)."""
    pre = "template <typename T> __device__ T twice(T v) { return v * 2; }"
    x = np.array([100, -100, 5, 127], np.int8)
    h = np.array([1000, 3, 0.1, 65504], np.float16)
    y, z = call(
        target,
        "int8 x, float16 h",
        "int32 y, float32 z",
        "y = twice(x);\nz = twice(h);",
        x,
        h,
        preamble=pre,
    )
    np.testing.assert_array_equal(y, [-56, 56, 10, -2])
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(z, (h.astype(np.float32) * 2).astype(np.float16))


@pytest.mark.parametrize("dtype", NARROW_INTS + ("float16",))
def test_interpreter_agrees(dtype):
    x = sample(dtype, 64)
    op = "y = x + 1;\nT t = x;\nt *= 3;\nz = t;"
    want = call("wgsl", "T x", "T y, T z", op, x)
    got = call_elementwise_interpreted("T x", "T y, T z", op, x)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_reduction_sums_int8_with_wraparound():
    """CuPy's test_reduction: an int8 `my_sum` equals NumPy's sum(dtype='b')."""
    kernel, _ = lower_reduction_kernel(
        "T x",
        "T out",
        "x",
        "a + b",
        "out = a",
        "0",
        "my_sum",
        types={"T": "int8"},
        ndim=1,
        reduce_ndim=1,
    )
    x = np.random.default_rng(4).integers(-128, 128, (300, 7)).astype(np.int8)
    out = np.zeros(7, np.int8)
    run_reduction(kernel, {"x": x, "out": out}, (7,), (300,))
    np.testing.assert_array_equal(out, x.sum(axis=0, dtype="b"))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("dtype", ["int8", "uint16", "float16", "int64"])
def test_reduction_on_narrow_and_wide_dtypes(dtype, target):
    """The same sum on the GPU: partial sums wrap (round) in the reduce type, as in CuPy."""
    r = np.random.default_rng(9)
    shape = (513, 3)
    x = (r.uniform(-2, 2, shape) if dtype == "float16" else r.integers(0, 200, shape)).astype(dtype)
    y = call_reduction(
        target, "T x", "T out", "x", "a + b", "out = a", "0", x, name="my_sum", axis=0
    )
    if dtype == "float16":  # rounding after every addition, in any order: close, not equal
        np.testing.assert_allclose(y, x.astype(np.float64).sum(axis=0), rtol=0.02, atol=0.5)
    else:
        np.testing.assert_array_equal(y, x.sum(axis=0, dtype=dtype))


# ---------------------------------------------------------------------------- neighbours


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("dtype", (*NARROW_INTS, "float16"))
@pytest.mark.parametrize("layout", ["contiguous_offset", "strided"])
def test_neighbouring_elements_written_at_once(dtype, target, layout):
    """Invocations i and i+1 write bytes (halves) of the same word concurrently; every
    write must survive, and the elements between the view's stay as they were."""
    n = 4099  # several workgroups, and a tail that is not a whole word
    x = sample(dtype, n, seed=5)
    base = np.full(3 * n + 7, 77, dtype)
    view = base[1 : n + 1] if layout == "contiguous_offset" else base[2 : 2 + 3 * n : 3]
    want = base.copy()
    want_view = want[1 : n + 1] if layout == "contiguous_offset" else want[2 : 2 + 3 * n : 3]
    want_view[...] = x
    call(target, "T x", "T y", "y = x;", x, view)
    np.testing.assert_array_equal(base, want)


@pytest.mark.parametrize("dtype", (*NARROW_INTS, "float16"))
def test_raw_scatter_into_shared_words(dtype):
    """WGSL: a raw scatter whose targets interleave, so each word receives lanes from
    invocations far apart, and a neighbour swap (i writes i^1: the same word)."""
    n = 4103
    x = sample(dtype, n, seed=6)
    y, z = call(
        "wgsl",
        "raw T x",
        "raw T y, raw T z",
        "int n = _ind.size();\ny[(i * 7) % n] = x[i];\nif ((i ^ 1) < n) z[i ^ 1] = x[i];",
        x,
        np.zeros(n, dtype),
        np.zeros(n, dtype),
        size=n,
    )
    want_y = np.zeros(n, dtype)
    want_y[(np.arange(n) * 7) % n] = x
    want_z = np.zeros(n, dtype)
    k = np.arange(n)
    ok = (k ^ 1) < n
    want_z[(k ^ 1)[ok]] = x[ok]
    np.testing.assert_array_equal(y, want_y)
    np.testing.assert_array_equal(z, want_z)


def test_raw_scatter_is_refused_on_glsl():
    with pytest.raises(UnsupportedOnTarget):
        call(
            "glsl",
            "raw int8 x",
            "raw int8 y",
            "y[(i * 7) % 5] = x[i];",
            sample("int8", 5),
            np.zeros(5, np.int8),
            size=5,
        )


def test_atomics_on_narrow_elements_are_refused():
    with pytest.raises(UnsupportedFeatureError, match="'atomicAdd' on int16 elements"):
        kernelc.translate_elementwise(
            "raw int16 x",
            "raw int16 y",
            "atomicAdd(&y[0], x[i]);",
            target="wgsl",
            raw={"x": (1, True), "y": (1, True)},
        )


# ---------------------------------------------------------------------------- float16


def float16_cases() -> np.ndarray:
    """float32 values around every rounding decision of float16."""
    ulp_1 = 2.0**-10
    ties = [1 + ulp_1 / 2, 1 + 3 * ulp_1 / 2, -(1 + ulp_1 / 2), 2048 + 1, 2048 + 3]
    near = [1 + ulp_1 / 2 + 2.0**-20, 1 + ulp_1 / 2 - 2.0**-20, 0.1, -0.3, 1 / 3]
    overflow = [65504, 65519.99, 65520, -65520, 65536, 1e6, 3e38, np.inf, -np.inf, np.nan]
    tiny = [
        2.0**-24,
        2.0**-25,
        3 * 2.0**-25,
        2.0**-25 + 2.0**-35,
        2.0**-26,
        1e-10,
        -(2.0**-25),
        2.0**-14,
        2.0**-14 - 2.0**-25,
        2.0**-14 - 2.0**-26,
        5.5 * 2.0**-24,
        1e-40,
        -0.0,
    ]
    r = np.random.default_rng(7)
    rand = r.choice([-1, 1], 2000) * np.exp2(r.uniform(-28, 17, 2000))
    return np.concatenate([ties, near, overflow, tiny, rand]).astype(np.float32)


@pytest.mark.parametrize("target", TARGETS)
def test_float16_stores_round_to_nearest_even(target):
    x = float16_cases()
    with np.errstate(all="ignore"):
        want = x.astype(np.float16)
    y = call(target, "float32 x", "float16 y", "y = x;", x)
    np.testing.assert_array_equal(y, want)  # bit-exact, signs and subnormals included
    assert np.array_equal(np.signbit(y), np.signbit(want))


@pytest.mark.parametrize("target", TARGETS)
def test_float16_arithmetic_is_float32_rounded_on_store(target):
    x = sample("float16", seed=8)
    op = "y = x * x;\nhalf h = x * 3.0f;\nz = h;\nfloat16 q = x;\nq += 0.1f;\nw = q;"
    y, z, w = call(target, "T x", "T y, float32 z, float32 w", op, x)
    x32 = x.astype(np.float32)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(y, (x32 * x32).astype(np.float16))
        np.testing.assert_array_equal(z, (x32 * 3).astype(np.float16).astype(np.float32))
        want_w = (x32 + np.float32(0.1)).astype(np.float16).astype(np.float32)
    np.testing.assert_array_equal(w, want_w)


def test_float16_rounding_folds_like_numpy():
    """Constant stores are rounded by the constant folder (cvalues.f16)."""
    y, z = call(
        "wgsl",
        "float32 x",
        "float16 y, float16 z",
        "y = 65519.0f;\nz = 1.0009765625f / 2;",
        np.zeros(3, np.float32),
    )
    assert (y == np.float16(65504)).all() and (z == np.float16(1.0009765625 / 2)).all()


# ---------------------------------------------------------------------------- 64-bit


def test_64bit_parameters_warn_at_their_location():
    program = kernelc.translate_elementwise(
        "T x, int64 k", "float64 y", "y = x + k;", name="wide", target="wgsl", types={"T": "uint64"}
    )
    found = {
        (w.message.split(")")[0], w.to_json()["line"], w.to_json()["column"])
        for w in program.warnings
    }
    assert found == {
        ("parameter 'x' (uint64", 1, 1),
        ("parameter 'k' (int64", 1, 6),
        ("parameter 'y' (float64", 1, 1),
    }
    text = str(program.warnings[1])
    assert text.startswith(
        "wide:1:6: warning: parameter 'k' (int64) is held and computed in "
        "32 bits (int32): WebGPU and WebGL have no 64-bit types"
    )
    assert "^~~~~" in text and "in_params" in text
    params = {p.name: (p.dtype, p.storage_dtype) for p in program.abi.params}
    assert params == {
        "x": ("uint64", "uint32"),
        "k": ("int64", "int32"),
        "y": ("float64", "float32"),
    }


def test_64bit_types_in_bodies_warn():
    program = kernelc.translate_elementwise(
        "float32 x",
        "float32 y",
        "ptrdiff_t k = i;\nsize_t s = 2;\nlong long q = k;\ndouble d = x;\ny = d + q + s;",
        target="glsl",
    )
    messages = [(w.to_json()["line"], w.message) for w in program.warnings]
    assert [line for line, _ in messages] == [1, 2, 3, 4]
    assert "'ptrdiff_t' is computed in 32 bits" in messages[0][1]
    assert "double-precision arithmetic is computed in float32" in messages[3][1]


@pytest.mark.parametrize("target", TARGETS)
def test_64bit_arrays_convert_both_ways(target):
    x = np.array([-(2**31), 2**31 - 1, 0, -5, 12], np.int64)
    u = np.array([0, 2**32 - 1, 7, 8, 9], np.uint64)
    d = np.array([0.1, 1e300, -2.5, np.nan, 1e-300])
    y, v, e = call(
        target,
        "int64 x, uint64 u, float64 d",
        "int64 y, uint64 v, float64 e",
        "y = x / 2;\nv = u + 1;\ne = d * 2;",
        x,
        u,
        d,
    )
    assert y.dtype == np.int64 and v.dtype == np.uint64 and e.dtype == np.float64
    np.testing.assert_array_equal(y, [-(2**30), 2**30 - 1, 0, -2, 6])
    np.testing.assert_array_equal(v, [1, 0, 8, 9, 10])  # uint32 wraparound
    with np.errstate(all="ignore"):
        want = (d.astype(np.float32) * np.float32(2)).astype(np.float64)
    np.testing.assert_array_equal(e, want)  # 1e300 is Inf in float32, 1e-300 is 0


@pytest.mark.parametrize("target", TARGETS)
def test_int64_that_does_not_fit_raises(target):
    x = np.array([1, 2**31, 3], np.int64)
    with pytest.raises(
        OverflowError,
        match=r"int64 argument 'x' holds 2147483648, outside "
        r"the int32 range",
    ):
        call(target, "int64 x", "int64 y", "y = x;", x)
    with pytest.raises(OverflowError, match="uint64 argument 'u' holds 4294967296"):
        call(target, "uint64 u", "uint64 y", "y = u;", np.array([2**32], np.uint64))
    with pytest.raises(OverflowError, match="holds -2147483649"):
        call(target, "T x, int64 s", "T y", "y = x + s;", np.ones(3, np.float32), -(2**31) - 1)


def test_int64_outside_the_view_is_not_checked():
    base = np.array([2**40, 1, 2, 3, 2**40], np.int64)
    y = call("wgsl", "int64 x", "int64 y", "y = x * 2;", base[1:4])
    np.testing.assert_array_equal(y, [2, 4, 6])


# ---------------------------------------------------------------------------- complex


@pytest.mark.parametrize(
    "in_params, operation, preamble, message",
    [
        ("float32 x", "complex<float> z[2];\ny = x;", "", "array 'z' of complex values"),
        (
            "float32 x",
            "y = x;",
            "const complex<float> c = 1;",
            "a complex variable in the preamble",
        ),
    ],
)
def test_complex_uses_that_stay_unsupported(in_params, operation, preamble, message):
    """Complex kernel text works (tests/compiler/test_complex_kernels.py) except these."""
    with pytest.raises(UnsupportedFeatureError) as info:
        kernelc.translate_elementwise(
            in_params, "float32 y", operation, target="wgsl", preamble=preamble
        )
    assert info.value.message.startswith(message)


# ---------------------------------------------------------------------------- the ABI


def test_abi_describes_storage():
    params = ("int8 a, uint8 b, int16 c, uint16 d, float16 e, bool f, uint8 s", "int8 p, float16 q")
    op = "p = a + b + c + d + s + f;\nq = e;"
    wgsl = kernelc.translate_elementwise(*params, op, target="wgsl", scalars=("s",))
    glsl = kernelc.translate_elementwise(*params, op, target="glsl", scalars=("s",))
    bindings = {b.param: b for b in wgsl.abi.bindings if b.resource == "storage"}
    assert bindings["a"].packed == PackedLayout(dtype="int8", per_word=4)
    assert bindings["d"].packed == PackedLayout(dtype="uint16", per_word=2)
    assert bindings["q"].to_json() == {
        "binding": 8,
        "resource": "storage",
        "param": "q",
        "access": "read_write",
        "element": "u32",
        "packed": {"dtype": "float16", "per_word": 2},
    }
    assert bindings["f"].packed is None and bindings["f"].element == "u32"
    assert "var<storage, read_write> b_p: array<atomic<u32>>;" in wgsl.code
    assert "var<storage, read> b_a: array<u32>;" in wgsl.code
    formats = {t.param: t.format for t in glsl.abi.textures}
    assert formats == {
        "a": "r8i",
        "b": "r8ui",
        "c": "r16i",
        "d": "r16ui",
        "e": "r16f",
        "f": "r32ui",
    }
    assert [o.format for o in glsl.abi.outputs] == ["r8i", "r16f"]
    scalar = next(m for m in wgsl.abi.uniforms if m.key.param == "s")
    assert scalar.type == "i32"  # a uint8 is computed as int
    assert all(p.storage_dtype == p.dtype for p in wgsl.abi.params)
