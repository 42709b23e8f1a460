"""CUDA's `atomicAdd` on `__half` elements (Chainer's negative sampling and hierarchical
softmax backward kernels use it when T is float16): WebGPU runs kernelc's compare-exchange
on the containing 32-bit word; WebGL, which has no atomics, runs the kernel on kernelc's
IR interpreter.

Rule: many lanes add into few elements, some of them neighbours in one word, so lost
updates (a plain read-modify-write) or a clobbered neighbour lane show as wrong sums;
values are multiples of 1/4, so every order of the float16 adds gives the same sums.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import kernelc
import wgpy_runtime as wp
from kernelc.errors import KernelTypeError, UnsupportedOnTarget
from tests.runtime.helpers import wgpy_backend  # noqa: F401  (every test on every backend)
from tests.support.validate import validate_wgsl

N, BINS = 2000, 7  # sums stay below 512, where float16 still holds quarters


def _kernel():
    return wp.ElementwiseKernel(
        "T x, int32 k", "raw T y, T old", "old = atomicAdd(&y[k], x)", "test_half_atomic_add"
    )


def test_atomic_add_on_half_keeps_every_update():
    rng = np.random.default_rng(1)
    x = (rng.integers(1, 9, N) / 4).astype(np.float16)
    k = rng.integers(0, BINS, N).astype(np.int32)
    y = wp.asarray(np.full(BINS + 1, 0.5, np.float16))  # y[BINS], the last lane, is untouched
    old = wp.empty(N, np.float16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", wp.PerformanceWarning)  # WebGL: the interpreter
        _kernel()(wp.asarray(x), wp.asarray(k), y, old)
    want = np.full(BINS + 1, 0.5, np.float16)
    np.add.at(want, k, x)
    np.testing.assert_array_equal(y.get(), want)
    # Atomicity: per element, the old values seen are the running sums of some order.
    old = old.get().astype(np.float64)
    for b in range(BINS):
        seen, added = old[k == b], x[k == b].astype(np.float64)
        chain = np.sort(np.concatenate([[0.5], seen + added]))
        np.testing.assert_array_equal(chain, np.sort(np.concatenate([seen, [want[b]]])))


def test_atomic_add_on_half_rounds_the_operand_first():
    """CUDA converts the float operand to __half, then adds and rounds the sum."""
    y = wp.zeros(2, np.float16)
    x = np.array([1 + 2.0**-11 + 2.0**-13, 2049.0], np.float32)  # rounds up; 2049 -> 2048
    k = wp.ElementwiseKernel(
        "float32 x, int32 k",
        "raw float16 y",
        "atomicAdd(&y[k], (__half)x)",
        "test_half_atomic_round",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", wp.PerformanceWarning)
        k(wp.asarray(x), wp.asarray(np.array([0, 1], np.int32)), y)
    np.testing.assert_array_equal(y.get(), x.astype(np.float16))


def test_half_atomics_translate_for_wgsl_and_are_refused_clearly():
    program = kernelc.translate_elementwise(
        "T x, int32 k",
        "raw T y",
        "atomicAdd(&y[k], x)",
        "half_add",
        target="wgsl",
        types={"T": "float16"},
    )
    validate_wgsl(program.code)
    assert "atomicCompareExchangeWeak" in program.code
    with pytest.raises(KernelTypeError, match="only atomicAdd"):
        kernelc.translate_elementwise(
            "T x, int32 k",
            "raw T y",
            "atomicSub(&y[k], x)",
            "half_sub",
            target="wgsl",
            types={"T": "float16"},
        )
    with pytest.raises(UnsupportedOnTarget, match="atomic operations are not possible"):
        kernelc.translate_elementwise(
            "T x, int32 k",
            "raw T y",
            "atomicAdd(&y[k], x)",
            "half_add",
            target="glsl",
            types={"T": "float16"},
        )
