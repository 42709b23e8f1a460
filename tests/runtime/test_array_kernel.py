"""`ElementwiseKernel` and `ReductionKernel` with CuPy's call semantics on both backends
(cupy-kernel-semantics.md §1-2): placeholders, broadcasting, scalars, `size=`, given and
strided outputs (GLSL's dense-output rule), raw arrays, reads of old outputs, CuPy's
errors, and the program caches.

Rule: expected values are computed with NumPy from the same inputs; errors are CuPy's
types (and messages where CuPy's are stable).
"""

from __future__ import annotations

import numpy as np
import pytest

import wgpy_runtime as wp
from tests.runtime.helpers import (  # noqa: F401
    shaped_arange,
    under_fast_64bit_policy,
    wgpy_backend,
)
from wgpy_runtime import _fastpath, _launch

SQUARED_DIFF = wp.ElementwiseKernel("T x, T y", "T z", "z = (x - y) * (x - y)", "squared_diff")


def _host(shape, dtype="float32", seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", ("int8", "int32", "uint16", "float16", "float32", "float64"))
def test_placeholder_types_and_broadcast(dtype):
    x = (_host((3, 4), seed=1) * 5).astype(dtype)
    y = (_host((4,), seed=2) * 5).astype(dtype)
    z = SQUARED_DIFF(wp.asarray(x), wp.asarray(y))
    assert z.dtype == np.dtype(dtype) and z.shape == (3, 4)
    want = ((x - y) * (x - y)).astype(dtype)
    np.testing.assert_allclose(z.get().astype(float), want.astype(float), rtol=2e-3)


def test_scalar_argument_takes_the_parameter_type():
    x = _host((5,))
    z = SQUARED_DIFF(wp.asarray(x), 1.5)
    np.testing.assert_allclose(z.get(), (x - 1.5) ** 2, rtol=1e-6)
    k = wp.ElementwiseKernel("T x, int32 n", "T y", "y = x * n", "times_n")
    np.testing.assert_allclose(k(wp.asarray(x), 3.9).get(), x * 3, rtol=1e-6)  # truncated


def test_output_arguments_and_strided_outputs():
    x, y = _host((4, 6), seed=3), _host((4, 6), seed=4)
    out = wp.zeros((8, 6), "float32")
    view = out[::2]
    result = SQUARED_DIFF(wp.asarray(x), wp.asarray(y), view)
    assert result is view
    want = np.zeros((8, 6), np.float32)
    want[::2] = (x - y) ** 2
    np.testing.assert_allclose(out.get(), want, rtol=1e-6)
    back = wp.zeros((6, 4), "float32").T[::-1]
    SQUARED_DIFF(wp.asarray(x), wp.asarray(y), back)
    np.testing.assert_allclose(back.get(), (x - y) ** 2, rtol=1e-6)


def test_reading_the_old_output():
    acc = wp.ElementwiseKernel("T x", "T y", "y += x", "accumulate")
    base = _host((5, 4), seed=5)
    y = wp.asarray(base)
    view = y[1::2, ::-1]
    acc(wp.ones((2, 4), "float32"), view)
    want = base.copy()
    want[1::2, ::-1] += 1
    np.testing.assert_allclose(y.get(), want, rtol=1e-6)


def test_early_return_keeps_old_values():
    k = wp.ElementwiseKernel("T x", "T y", "if (x < 0) return; y = x * 2", "positive_twice")
    x = _host((7,), seed=6)
    y = wp.full((14,), -9.0, "float32")
    k(wp.asarray(x), y[::2])
    want = np.full(14, -9.0, np.float32)
    want[::2] = np.where(x < 0, -9.0, x * 2)
    np.testing.assert_allclose(y.get(), want, rtol=1e-6)


def test_raw_inputs_and_size():
    reverse = wp.ElementwiseKernel("raw T x", "T y", "y = x[_ind.size() - i - 1]", "reverse")
    x = _host((6,), seed=7)
    np.testing.assert_array_equal(reverse(wp.asarray(x), wp.empty(6, "float32")).get(), x[::-1])
    fill = wp.ElementwiseKernel("T v", "raw T y", "y[i] = v * i", "fill_ramp")
    y = wp.zeros(5, "float32")
    fill(2.0, y, size=5)
    np.testing.assert_array_equal(y.get(), np.arange(5) * 2.0)


def test_raw_input_of_a_strided_view():
    k = wp.ElementwiseKernel("raw T x", "T y", "y = x[i]", "raw_copy")
    x = _host((4, 6), seed=8)
    v = wp.asarray(x)[::-1, 1::2]
    np.testing.assert_array_equal(k(v, wp.empty(12, "float32")).get(), x[::-1, 1::2].reshape(-1))


def test_loop_prep_after_loop_preamble():
    k = wp.ElementwiseKernel(
        "T x",
        "T y",
        "y = scale(x) + offset",
        "prep",
        preamble="__device__ float scale(float v) { return v * 3.0f; }",
        loop_prep="float offset = 0.5f;",
    )
    x = _host((9,), seed=9)
    np.testing.assert_allclose(k(wp.asarray(x)).get(), x * 3 + 0.5, rtol=1e-6)


def test_multiple_outputs_return_tuple_no_return():
    k = wp.ElementwiseKernel("T x", "T a, T b", "a = x + 1; b = x * 2", "two")
    x = _host((3,), seed=10)
    a, b = k(wp.asarray(x))
    np.testing.assert_allclose(a.get(), x + 1)
    np.testing.assert_allclose(b.get(), x * 2)
    one = wp.ElementwiseKernel("T x", "T y", "y = x", "one", return_tuple=True)
    assert isinstance(one(wp.asarray(x)), tuple)
    none = wp.ElementwiseKernel("T x", "T y", "y = x", "none", no_return=True)
    assert none(wp.asarray(x)) is None


def test_reduce_dims_false_sees_the_index():
    k = wp.ElementwiseKernel("T x", "T y", "y = _ind.get()[1]", "col", reduce_dims=False)
    y = k(wp.zeros((3, 4), "int32"))
    np.testing.assert_array_equal(y.get(), np.tile(np.arange(4), (3, 1)))


def test_output_shape_decides_the_loop():
    k = wp.ElementwiseKernel("T v", "T y", "y = v + i", "ramp")
    np.testing.assert_array_equal(
        k(1.0, wp.zeros((2, 3), "float32")).get(), 1 + np.arange(6.0).reshape(2, 3)
    )


def test_empty_loop_returns_without_launch():
    x = wp.zeros((0, 3), "float32")
    assert SQUARED_DIFF(x, x).shape == (0, 3)


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "args,error",
    [
        (("T x, T i", "T y", "y = x"), ValueError),
        (("T", "T y", "y = 1"), Exception),
        (("const T x", "T y", "y = x"), Exception),
        (("T x", "floaty y", "y = x"), TypeError),
        (("T x", "float y", "y = x"), ValueError),
    ],
)
def test_constructor_errors(args, error):
    with pytest.raises(error):
        wp.ElementwiseKernel(*args)


def test_call_errors():
    x = wp.zeros(3, "float32")
    with pytest.raises(TypeError, match="Wrong number of arguments"):
        SQUARED_DIFF(x)
    with pytest.raises(TypeError, match="Type is mismatched"):
        SQUARED_DIFF(x, wp.zeros(3, "int32"))
    with pytest.raises(TypeError):
        SQUARED_DIFF(x, np.zeros(3, np.float32))
    with pytest.raises(TypeError):
        SQUARED_DIFF(x, x, bogus=1)
    with pytest.raises(ValueError, match="Out shape is mismatched"):
        SQUARED_DIFF(wp.zeros((2, 3), "float32"), x, x)
    with pytest.raises(ValueError):
        SQUARED_DIFF(x, x, block_size=0)
    with pytest.raises(ValueError, match="could not be broadcast"):
        SQUARED_DIFF(x, wp.zeros(4, "float32"))


def test_placeholder_bound_only_by_scalars_is_a_key_error():
    with pytest.raises(KeyError, match="placeholder 'T' of 'x' cannot be determined"):
        SQUARED_DIFF(1.0, 2.0, size=3)


def test_only_scalars_is_cupys_loop_size_error():
    """CuPy broadcasts before it binds types: no array and no size says so first."""
    with pytest.raises(ValueError, match="Loop size is undecided"):
        SQUARED_DIFF(1.0, 2.0)
    with pytest.raises(ValueError, match="Loop size is undecided"):
        SQUARED_DIFF(np.float32(1.0), 2)


def test_size_rules():
    raw = wp.ElementwiseKernel("raw T x", "T y", "y = x[i]", "raw_only")
    with pytest.raises(ValueError, match="Loop size is undecided"):
        wp.ElementwiseKernel("T v", "raw T y", "y[i] = v", "k1")(1.0, wp.zeros(3, "float32"))
    with pytest.raises(ValueError, match="can be used only if all of the ndarray are 'raw'"):
        raw(wp.zeros(3, "float32"), wp.zeros(3, "float32"), size=3)
    with pytest.raises(ValueError, match="Output array size is Undecided"):
        wp.ElementwiseKernel("T x", "raw T y", "y[i] = x", "k2")(wp.zeros(3, "float32"))


def test_kernel_text_errors_point_at_the_text():
    import kernelc

    bad = wp.ElementwiseKernel("T x", "T y", "y = x +* 2", "broken")
    with pytest.raises(kernelc.KernelCompileError, match="broken:1:"):
        bad(wp.zeros(2, "float32"))


# ---------------------------------------------------------------------------- reductions

MY_SUM = wp.ReductionKernel("T x", "T y", "x", "a + b", "y = a", "0", "my_sum")


@pytest.mark.parametrize("axis", [None, 0, 1, 2, (0, 2), (-1, -2), ()])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_axes(axis, keepdims):
    x = _host((3, 4, 5), seed=11)
    got = MY_SUM(wp.asarray(x), axis=axis, keepdims=keepdims)
    want = x.sum(axis=axis, keepdims=keepdims)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.get(), want, rtol=1e-5, atol=1e-5)


def test_reduction_of_strided_views():
    x = _host((6, 8, 4), seed=12)
    v = wp.asarray(x)[::-2, 1::3].transpose(2, 0, 1)
    np.testing.assert_allclose(
        MY_SUM(v, axis=(1, 2)).get(), x[::-2, 1::3].transpose(2, 0, 1).sum(axis=(1, 2)), rtol=1e-5
    )


def test_reduction_with_scalars_and_broadcast_inputs():
    k = wp.ReductionKernel(
        "T x, T w, float32 alpha", "T y", "x * w", "a + b", "y = a * alpha", "0", "weighted"
    )
    x, w = _host((4, 5), seed=13), _host((5,), seed=14)
    got = k(wp.asarray(x), wp.asarray(w), 2.0, axis=1)
    np.testing.assert_allclose(got.get(), (x * w).sum(axis=1) * 2, rtol=1e-5)


def test_reduction_outputs_and_identity():
    x = _host((3, 4), seed=15)
    out = wp.zeros(3, "float32")
    assert MY_SUM(wp.asarray(x), out=out, axis=1) is out
    np.testing.assert_allclose(out.get(), x.sum(axis=1), rtol=1e-5)
    empty = MY_SUM(wp.zeros((0, 3), "float32"), axis=0)
    np.testing.assert_array_equal(empty.get(), np.zeros(3))
    k = wp.ReductionKernel("T x", "T y", "x", "a + b", "y = a", "0", "firsts")
    y = wp.zeros(4, "float32")
    k(wp.asarray(x), y, axis=0)
    np.testing.assert_allclose(y.get(), x.sum(axis=0), rtol=1e-5)


def test_reduction_sees_the_reduced_index():
    first_positive = wp.ReductionKernel(
        "T x, int32 n", "int32 y", "x > 0 ? _J : n", "min(a, b)", "y = a", "n", "first_positive"
    )
    x = _host((5, 7), seed=16)
    got = first_positive(wp.asarray(x), 7, axis=1).get()
    want = np.where((x > 0).any(axis=1), (x > 0).argmax(axis=1), 7)
    np.testing.assert_array_equal(got, want)


def test_reduction_errors():
    x = wp.zeros((2, 3), "float32")
    no_identity = wp.ReductionKernel("T x", "T y", "x", "a + b", "y = a", None, "noid")
    with pytest.raises(ValueError, match="which has no identity"):
        no_identity(wp.zeros((0, 3), "float32"))
    with pytest.raises(np.exceptions.AxisError):
        MY_SUM(x, axis=2)
    with pytest.raises(ValueError, match="duplicate value in 'axis'"):
        MY_SUM(x, axis=(0, -2))
    with pytest.raises(TypeError):
        MY_SUM()
    with pytest.raises(ValueError, match="Out shape is mismatched"):
        MY_SUM(x, out=wp.zeros(4, "float32"), axis=1)
    with pytest.raises(ValueError):
        MY_SUM(x, wp.zeros(2, "float32"), out=wp.zeros(2, "float32"), axis=1)
    two = wp.ReductionKernel("T x", "T y, T z", "x", "a + b", "y = a, z = a", "0", "two")
    with pytest.raises(NotImplementedError):
        two(x, out=wp.zeros(3, "float32"))
    raw = wp.ReductionKernel("raw T x, T w", "T y", "w", "a + b", "y = a", "0", "raw_red")
    with pytest.raises(NotImplementedError, match="Illegal conditions"):
        raw(x, x, axis=1)


# ---------------------------------------------------------------------------- caches


def test_programs_are_cached():
    k = wp.ElementwiseKernel("T x, T y", "T z", "z = x * y - 1", "cached_once")
    x = wp.asarray(_host((5,), seed=17))
    k(x, x)
    before = _launch.cached_programs()
    k(x, x)
    k(wp.asarray(_host((2, 3), seed=18)), wp.asarray(_host((2, 3), seed=19)))  # 1-d loop too
    assert _launch.cached_programs() == before
    k(x, 0.5)
    assert _launch.cached_programs() == before + 1  # the scalar specialisation is new


def test_precompiled_cache_is_used(monkeypatch):
    k = wp.ElementwiseKernel("T x, T cap", "T y", "y = min(max(x, (T)0), cap)", "clipped_relu_fwd")
    x = _host((6,), seed=19)
    args = wp.asarray(x), wp.full(6, 0.5, "float32"), wp.empty(6, "float32")
    monkeypatch.setattr(_launch, "_PROGRAMS", {})

    def no_translation(*args, **kwargs):
        raise AssertionError("translated although the precompiled cache has it")

    monkeypatch.setattr(_launch, "_translate", no_translation)
    y = k(*args)
    np.testing.assert_allclose(y.get(), np.minimum(np.maximum(x, 0), 0.5), rtol=1e-6)


def test_recording_notes_origin_and_caller(monkeypatch):
    """`_launch.recording()`: each program obtained, precompiled or translated, with its
    specialisation and the module that called the kernel (not the runtime's own)."""
    cached = wp.ElementwiseKernel(
        "T x, T cap", "T y", "y = min(max(x, (T)0), cap)", "clipped_relu_fwd"
    )
    fresh = wp.ElementwiseKernel("T x", "T y", "y = x * 3 - 1", "not_precompiled")
    x = wp.asarray(_host((6,), seed=20))
    monkeypatch.setattr(_launch, "_PROGRAMS", {})
    _fastpath.clear()  # replay plans hold programs obtained by earlier tests
    with _launch.recording() as record:
        cached(x, wp.full(6, 0.5, "float32"))
        fresh(x)
        fresh(x)  # in memory now: not obtained again
        x + x  # a ufunc: the runtime's kernel
    fresh(x.reshape(2, 3)[:, :2])  # after the block: not recorded
    got = {p["strings"]["name"]: p for p in record.programs.values()}
    assert got["clipped_relu_fwd"]["precompiled"] and not got["not_precompiled"]["precompiled"]
    assert got["not_precompiled"]["caller"] == got["clipped_relu_fwd"]["caller"] == __name__
    assert got["not_precompiled"]["spec"]["ndim"] == 1
    others = [
        p["caller"] for n, p in got.items() if n not in ("clipped_relu_fwd", "not_precompiled")
    ]
    assert others and all(c.startswith("wgpy_runtime") for c in others)
    assert len(got) == len(record.programs) == 2 + len(others)


def test_helpers_shaped_arange_is_used():
    assert shaped_arange((2,), wp).shape == (2,)
