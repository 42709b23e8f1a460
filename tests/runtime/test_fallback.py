"""Kernels a target rejects run on kernelc's IR interpreter (`wgpy_runtime._fallback`):
CuPy's results, one `PerformanceWarning` per kernel and target, no retranslation.

Rule: the same kernel runs on both backends; WebGL rejects scatter, atomics and more than
16 input textures, WebGPU runs them natively (and warns nothing).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import wgpy_runtime as wp
from tests.runtime.helpers import wgpy_backend  # noqa: F401
from wgpy_runtime import _fallback, _launch


def _calls(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [w for w in caught if issubclass(w.category, wp.PerformanceWarning)]


def _fresh_kernel(name: str, *args):
    # A new name each test, so "once per kernel" starts afresh.
    return wp.ElementwiseKernel(*args, name=f"{name}_{np.random.randint(1 << 30)}")


def test_scatter_runs_and_warns_once_on_webgl(wgpy_backend):
    k = _fresh_kernel("scatter", "T x, int32 idx", "raw T y", "y[idx] = x * 2")
    idx = wp.asarray(np.array([7, 5, 3, 1, 0], np.int32))
    y = wp.zeros(8, dtype=wp.float32)
    _, first = _calls(lambda: k(wp.arange(5, dtype=wp.float32), idx, y))
    _, second = _calls(lambda: k(wp.arange(5, dtype=wp.float32) + 1, idx, y))
    want = np.zeros(8, np.float32)
    want[[7, 5, 3, 1, 0]] = (np.arange(5) + 1) * 2
    np.testing.assert_array_equal(y.get(), want)
    assert len(first) == (wgpy_backend == "webgl") and not second
    if first:
        assert "IR interpreter" in str(first[0].message) and "scatter" in str(first[0].message)


def test_atomic_add_accumulates_repeated_indices(wgpy_backend):
    k = _fresh_kernel("histogram", "int32 idx, T v", "raw T y", "atomicAdd(&y[idx], v)")
    idx = np.array([0, 2, 2, 2, 1, 0], np.int32)
    y = wp.zeros(4, dtype=wp.float32)
    _, warned = _calls(lambda: k(wp.asarray(idx), wp.ones(6, dtype=wp.float32) * 0.5, y))
    np.testing.assert_allclose(y.get(), [1.0, 0.5, 1.5, 0.0])
    assert len(warned) == (wgpy_backend == "webgl")


def test_rejection_is_remembered(wgpy_backend, monkeypatch):
    k = _fresh_kernel("scatter_once", "T x, int32 idx", "raw T y", "y[idx] = x")
    idx = wp.asarray(np.array([1, 0], np.int32))
    y = wp.zeros(2, dtype=wp.float32)
    _calls(lambda: k(wp.ones(2, dtype=wp.float32), idx, y))
    tries, x = [], wp.full(2, 3, dtype=wp.float32)
    real = _launch.program_for

    def counted(kind, strings, **spec):
        tries.append(strings["name"])
        return real(kind, strings, **spec)

    monkeypatch.setattr(_launch, "program_for", counted)
    _calls(lambda: k(x, idx, y))
    tries = [name for name in tries if name == k.name]
    np.testing.assert_array_equal(y.get(), [3, 3])
    # WebGL: straight to the interpreter; WebGPU: the first call's launch replayed
    # (`_fastpath`), the program not even looked up again
    assert not tries


def test_strided_output_view_and_non_raw_outputs(wgpy_backend):
    k = _fresh_kernel("scatter_pair", "T x, int32 idx", "T z, raw T y", "y[idx] = x; z = x + 1")
    base = wp.zeros((4, 3), dtype=wp.float32)
    z = base[::2, 1]  # a strided view as the non-raw output
    y = wp.zeros(4, dtype=wp.float32)
    x, idx = wp.asarray(np.array([5.0, 6.0], np.float32)), wp.asarray(np.array([3, 1], np.int32))
    _calls(lambda: k(x, idx, z, y))
    np.testing.assert_array_equal(y.get(), [0, 6, 0, 5])
    want = np.zeros((4, 3), np.float32)
    want[::2, 1] = [6, 7]
    np.testing.assert_array_equal(base.get(), want)


def test_reduction_with_too_many_textures(wgpy_backend):
    n = 17
    name = f"many_inputs_{np.random.randint(1 << 30)}"
    r = wp.ReductionKernel(
        ", ".join(f"T x{k}" for k in range(n)),
        "T y",
        " + ".join(f"x{k}" for k in range(n)),
        "a + b",
        "y = a",
        "0",
        name,
    )
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    out, warned = _calls(lambda: r(*(wp.asarray(host + k) for k in range(n)), axis=1))
    np.testing.assert_allclose(out.get(), sum(host + k for k in range(n)).sum(axis=1))
    assert len(warned) == (wgpy_backend == "webgl")


def test_performance_warning_is_public():
    assert wp.PerformanceWarning is _fallback.PerformanceWarning
    assert issubclass(wp.PerformanceWarning, Warning)


@pytest.mark.parametrize("dtype", ("int32", "float32"))
def test_interpreted_results_keep_dtypes(wgpy_backend, dtype):
    k = _fresh_kernel("scatter_typed", "T x, int32 idx", "raw T y", "y[idx] = x")
    y = wp.full(3, 9, dtype=dtype)
    _calls(
        lambda: k(wp.asarray(np.array([4, 5], dtype)), wp.asarray(np.array([2, 0], np.int32)), y)
    )
    assert y.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(y.get(), np.array([5, 9, 4], dtype))
