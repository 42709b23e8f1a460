"""Chainer 7.8.1's GPU code paths on the cupy shim: availability, devices, `to_gpu` /
`to_cpu`, `cuda.elementwise` / `cuda.reduce` / `cuda.raw`, and a Chainer kernel that WebGL
rejects (EmbedID's atomicAdd) running on the IR interpreter with a PerformanceWarning.

Rule: runs inside `.venv-chainer`; each GPU result is compared with CPU Chainer's.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from wgpy_runtime import cupy_shim
from wgpy_runtime import device as devices

cupy = cupy_shim.install()
import chainer
import chainer.functions as F
from chainer.backends import cuda

import wgpy_runtime as wp

BACKENDS = tuple(b for b in devices.BACKENDS if os.environ.get("WGPY_BACKEND", b) == b)


@pytest.fixture(params=BACKENDS, autouse=True)
def backend(request):
    previous = devices.set_device(request.param)
    yield request.param
    devices.set_device(previous)


def test_chainer_sees_cupy():
    assert cuda.available and not cuda.cudnn_enabled
    assert cuda.cupy is cupy and cuda.ndarray is wp.ndarray
    x = cuda.to_gpu(np.arange(6, dtype=np.float32))
    assert isinstance(x, wp.ndarray) and x.device is wp.current_device()
    assert chainer.backend.get_array_module(x) is cupy
    device = chainer.backend.get_device_from_array(x)
    assert isinstance(device, cuda.GpuDevice) and device.xp is cupy
    assert device == chainer.get_device(f"@cupy:{x.device.id}")
    np.testing.assert_array_equal(cuda.to_cpu(x), np.arange(6))
    with chainer.using_device(device):
        assert cupy.zeros(1).device is x.device


def test_variable_to_device_and_back():
    v = chainer.Variable(np.ones((2, 3), np.float32))
    v.to_device(chainer.get_device(f"@cupy:{wp.current_device().id}"))
    assert isinstance(v.array, wp.ndarray)
    y = F.sum(v * 3)
    y.backward()
    assert isinstance(v.grad, wp.ndarray)
    np.testing.assert_array_equal(cuda.to_cpu(v.grad), np.full((2, 3), 3, np.float32))
    v.to_cpu()
    assert isinstance(v.array, np.ndarray)


def test_cuda_elementwise_and_reduce():
    k = cuda.elementwise("T x, T y", "T z", "z = x * y + (T)1", "shim_fma")
    assert k is cuda.elementwise("T x, T y", "T z", "z = x * y + (T)1", "shim_fma")  # memoized
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(cuda.to_cpu(k(cuda.to_gpu(x), cuda.to_gpu(x))), x * x + 1)
    r = cuda.reduce("T x", "T y", "x * x", "a + b", "y = sqrt(a)", "0", "shim_l2")
    np.testing.assert_allclose(
        cuda.to_cpu(r(cuda.to_gpu(x), axis=1)), np.sqrt((x * x).sum(axis=1)), rtol=1e-6
    )


def test_cuda_raw_is_a_clear_error():
    with pytest.raises(NotImplementedError, match="RawKernel"):
        cuda.raw('extern "C" __global__ void k(float* x) {}', "k")


def test_embed_id_atomic_add_falls_back_on_webgl(backend):
    """EmbedID's backward scatters with atomicAdd: WebGL cannot, so the interpreter runs it
    (a PerformanceWarning, once per process: an earlier test may have seen it)."""
    ids = np.array([0, 2, 2, 1, 2], np.int32)
    w = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    gy = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)

    def grad_w(xp_ids, xp_w, xp_gy):
        W = chainer.Variable(xp_w)
        y = F.embed_id(xp_ids, W)
        y.grad = xp_gy
        y.backward()
        return cuda.to_cpu(W.grad)

    want = grad_w(ids, w, gy)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = grad_w(*(cuda.to_gpu(a) for a in (ids, w, gy)))
    np.testing.assert_allclose(got, want, rtol=1e-6)
    warned = [w for w in caught if issubclass(w.category, wp.PerformanceWarning)]
    assert _rejected("embed_id_bwd", wp.current_device().target) == (backend == "webgl")
    if backend == "webgpu":
        assert not warned


def _rejected(name: str, target: str) -> bool:
    """Whether kernel `name` was rejected by `target` (and so ran on the interpreter)."""
    from wgpy_runtime import _fallback

    return any(
        dict(k[1])["name"] == name and ("target", repr(target)) in k[2] for k in _fallback._REJECTED
    )


def test_get_item_backward_scatter_add():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    idx = np.array([0, 3, 0])

    def grad(xp_x):
        v = chainer.Variable(xp_x)
        F.sum(v[idx] * v[idx]).backward()
        return cuda.to_cpu(v.grad)

    np.testing.assert_allclose(grad(cuda.to_gpu(x)), grad(x), rtol=1e-6)


def test_lstm_double_backward_runs_chainer_fused_function_as_one_kernel(monkeypatch):
    """`F.lstm`'s second-order gradient is Chainer's `@cuda.fuse()` function
    `lstm_grad_grad`: on the GPU it is traced into one kernel, with the CPU's results."""
    from chainer.functions.rnn import lstm as lstm_module

    rng = np.random.default_rng(0)
    c = rng.uniform(-1, 1, (3, 4)).astype(np.float32)
    x = rng.uniform(-1, 1, (3, 16)).astype(np.float32)
    gc, gh = (rng.uniform(-1, 1, (3, 4)).astype(np.float32) for _ in range(2))

    def second_order(to):
        cv, xv = chainer.Variable(to(c)), chainer.Variable(to(x))
        c_next, h = F.lstm(cv, xv)
        gcv, gxv = chainer.grad(
            [c_next, h], [cv, xv], [to(gc), to(gh)], enable_double_backprop=True
        )
        (F.sum(gcv * gcv) + F.sum(gxv * gxv)).backward()
        return [cuda.to_cpu(v.grad) for v in (cv, xv)]

    want = second_order(lambda a: a)
    got = second_order(cuda.to_gpu)
    fused = lstm_module.lstm_grad_grad
    assert isinstance(fused, wp.fusion.Fused) and fused._plans
    assert all(plan is not None for plan in fused._plans.values())  # traced, not unfused
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


def test_fft_and_its_gradient_on_the_device():
    """F.fft / F.ifft take `xp.fft` (cupy.fft on the shim): values and gradients as on
    the CPU."""
    rng = np.random.default_rng(5)
    r, i = (rng.standard_normal((2, 8)).astype(np.float32) for _ in "ri")
    outs = {}
    for to in (cuda.to_cpu, cuda.to_gpu):
        vr, vi = chainer.Variable(to(r)), chainer.Variable(to(i))
        yr, yi = F.fft((vr, vi))
        zr, zi = F.ifft((yr * 2, yi))
        F.sum(zr * zr + zi).backward()
        outs[to] = [cuda.to_cpu(a) for a in (yr.array, yi.array, zr.array, vr.grad, vi.grad)]
    for cpu, gpu in zip(outs[cuda.to_cpu], outs[cuda.to_gpu]):
        np.testing.assert_allclose(gpu, cpu, rtol=1e-5, atol=1e-5)


def test_parameter_statistics_percentiles_on_the_device():
    """ParameterStatistics' percentile statistic (`xp.percentile` with a list of q)."""
    from chainer.training.extensions import parameter_statistics

    rng = np.random.default_rng(6)
    x = rng.standard_normal(1000).astype(np.float32)
    sigmas = (0.13, 2.28, 15.87, 50, 84.13, 97.72, 99.87)
    got = cupy.percentile(cuda.to_gpu(x), sigmas)
    np.testing.assert_array_equal(cuda.to_cpu(got), np.percentile(x, sigmas))
    link = chainer.links.Linear(3, 4)
    link.to_device(chainer.get_device(f"@cupy:{wp.current_device().id}"))
    stats = parameter_statistics.ParameterStatistics(link, prefix="p")
    assert "percentile" in stats.default_statistics
