"""The cupy shim without Chainer: what `install()` registers, its refusal to hide a real
CuPy, `cupy.cuda.Device` as wgpy_runtime's devices, `memoize`/`fuse`/`RawKernel`, and the
NumPy/CuPy functions the shim adds (against NumPy, on both backends).

Rule: every test installs the shim through the `cupy` fixture, which removes it again, so
no other test sees a `cupy` module.
"""

from __future__ import annotations

import importlib
import math
import sys
import warnings

import numpy as np
import pytest

import wgpy_runtime as wp
from tests.runtime.helpers import wgpy_backend  # noqa: F401
from wgpy_runtime import cupy_shim
from wgpy_runtime import device as devices


@pytest.fixture
def cupy():
    saved = {n: m for n, m in sys.modules.items() if n.split(".")[0] in ("cupy", "cupyx")}
    module = cupy_shim.install()
    yield module
    cupy_shim.uninstall()
    sys.modules.update(saved)


def test_chainer_imports_resolve(cupy):
    import cupy as imported
    import cupyx
    import cupyx.scipy.linalg
    import cupyx.scipy.special
    from cupy import cuda, ndarray
    from cupy.cuda import Device, Event, Stream, cublas  # noqa: F401

    assert imported is cupy and cuda is cupy.cuda and ndarray is wp.ndarray
    assert cupyx.scipy.special is sys.modules["cupyx.scipy.special"]
    assert cupyx.scipy.linalg is sys.modules["cupyx.scipy.linalg"]
    from cupy._util import PerformanceWarning

    assert PerformanceWarning is wp.PerformanceWarning
    assert int(cupy.__version__.split(".")[0]) == 7
    with pytest.raises(ImportError):
        importlib.import_module("cupy.cudnn")  # so Chainer leaves cuDNN off
    with pytest.raises(ImportError):
        importlib.import_module("cupy.cuda.cudnn")


def test_install_is_idempotent_and_uninstall_removes(cupy):
    assert cupy_shim.install() is cupy and cupy_shim.installed()
    cupy_shim.uninstall()
    assert "cupy" not in sys.modules and not cupy_shim.installed()


def test_refuses_to_hide_a_real_cupy(tmp_path, monkeypatch):
    (tmp_path / "cupy").mkdir()
    (tmp_path / "cupy" / "__init__.py").write_text("REAL = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    saved = {n: m for n, m in sys.modules.items() if n.split(".")[0] in ("cupy", "cupyx")}
    try:
        with pytest.raises(cupy_shim.CupyShadowError, match="real CuPy"):
            cupy_shim.install()
        assert "cupy" not in sys.modules
        import cupy as real

        assert real.REAL
        with pytest.raises(cupy_shim.CupyShadowError):
            cupy_shim.install()  # an imported real CuPy is not replaced either
        shim = cupy_shim.install(force=True)
        import cupy

        assert cupy is shim and not hasattr(cupy, "REAL")
    finally:
        cupy_shim.uninstall()
        for name in [n for n in sys.modules if n.split(".")[0] == "cupy"]:
            del sys.modules[name]
        sys.modules.update(saved)


def test_device_is_the_runtime_device(cupy, wgpy_backend):
    a = cupy.arange(3)
    assert isinstance(a.device, cupy.cuda.Device)
    assert cupy.cuda.Device() is wp.current_device() is a.device
    for k, name in enumerate(devices.backend_order()):
        assert cupy.cuda.Device(k) is devices.get_device(name) and cupy.cuda.Device(k).id == k
    other = cupy.cuda.Device(1)
    with other:
        assert cupy.zeros(2).device is other and cupy.cuda.Device() is other
        assert cupy.cuda.get_device_id() == 1
    assert cupy.zeros(2).device is wp.current_device()
    with pytest.raises(cupy.cuda.runtime.CUDARuntimeError):
        cupy.cuda.Device(5)
    a.device.synchronize()
    cupy.cuda.runtime.deviceSynchronize()


def test_streams_and_events(cupy):
    start, end = cupy.cuda.Event(), cupy.cuda.Event()
    start.record()
    with cupy.cuda.Stream() as s:
        assert cupy.cuda.get_current_stream() is s
        cupy.arange(10).sum()
    end.record()
    end.synchronize()
    assert cupy.cuda.get_elapsed_time(start, end) >= 0
    assert cupy.cuda.get_current_stream() is cupy.cuda.Stream.null


def test_memoize_caches_per_args_and_device(cupy):
    calls = []

    @cupy.memoize(for_each_device=True)
    def make(n, scale=1):
        calls.append((n, scale))
        return [n * scale]

    assert make(2) is make(2) and make(2, scale=3) is make(2, scale=3)
    assert len(calls) == 2
    with cupy.cuda.Device(1 - cupy.cuda.Device().id):  # the other backend's device
        make(2)
    assert len(calls) == 3
    cupy.clear_memo()
    make(2)
    assert len(calls) == 4


def test_fuse_is_the_runtime_fusion(cupy):
    def f(x, y):
        return x * y + 1

    fused, named = cupy.fuse(f), cupy.fuse(kernel_name="f")(f)
    assert isinstance(fused, wp.fusion.Fused) and named.name == "f"
    x = cupy.arange(4, dtype=cupy.float32)
    assert fused(x, 2.0).tolist() == named(x, 2.0).tolist() == [1.0, 3.0, 5.0, 7.0]


def test_raw_kernels_raise_a_clear_error(cupy):
    with pytest.raises(NotImplementedError, match="ElementwiseKernel"):
        cupy.RawKernel('extern "C" __global__ void k() {}', "k")
    with pytest.raises(cupy_shim.RawKernelUnsupportedError):
        cupy.RawModule(code="")


def test_get_array_module_is_the_cupy_module(cupy):
    assert cupy.get_array_module(cupy.zeros(1), 1) is cupy
    assert cupy.get_array_module(np.zeros(1)) is np


def test_missing_names_are_attribute_errors(cupy):
    assert not hasattr(cupy, "lexsort") and not hasattr(cupy.fft, "rfft")
    with pytest.raises(AttributeError, match="wgpy_runtime does not implement"):
        cupy.lexsort  # noqa: B018
    with pytest.raises(AttributeError, match="'cupy.fft'.*does not implement"):
        cupy.fft.rfft  # noqa: B018
    assert sys.modules["cupy.fft"] is cupy.fft
    with pytest.raises(NotImplementedError, match="solve_triangular"):
        sys.modules["cupyx.scipy.linalg"].solve_triangular(None, None)


def test_copyto(cupy):
    dst = cupy.zeros((2, 3), dtype=np.float32)
    cupy.copyto(dst, cupy.arange(3, dtype=np.float32))
    np.testing.assert_array_equal(dst.get(), np.tile(np.arange(3, dtype=np.float32), (2, 1)))
    mask = cupy.asarray(np.array([[True, False, True]] * 2))
    cupy.copyto(dst, 7.0, where=mask)
    np.testing.assert_array_equal(dst.get()[:, 1], [1, 1])
    np.testing.assert_array_equal(dst.get()[:, 0], [7, 7])
    with pytest.raises(TypeError):
        cupy.copyto(cupy.zeros(3, dtype=np.int32), cupy.ones(3, dtype=np.float32))


@pytest.mark.parametrize(
    "key",
    [
        np.array([0, 3, 0, 0]),
        (slice(None), np.array([1, 1, 0])),
        (np.array([2, 2]), np.array([1, 1])),
        (slice(1, 3), 0),
        (slice(1, 3), slice(None, None, 2)),  # basic slices only: F.sum(v[1:3, ::2]).backward()
        (Ellipsis, None, 2),
        1,
    ],
)
def test_scatter_add_accumulates(cupy, key):
    import cupyx

    host = np.arange(12, dtype=np.float32).reshape(4, 3)
    values = np.random.default_rng(0).standard_normal(host[key].shape).astype(np.float32)
    a = cupy.asarray(host)
    with warnings.catch_warnings():
        warnings.simplefilter("error", wp.PerformanceWarning)  # WebGL too: on the device
        cupyx.scatter_add(a, key, cupy.asarray(values))
        a.scatter_add(key, 1.0)
    want = host.copy()
    np.add.at(want, key, values)
    np.add.at(want, key, 1.0)
    np.testing.assert_allclose(a.get(), want, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["int64", "float64", "int8", "int32"])
def test_scatter_add_of_dtypes_without_atomics(cupy, dtype):
    """float64 and 8-bit integers take the gather-add passes (on WebGL every dtype does);
    int64 is added word by word on WebGPU, the carry into 2**33 included."""
    import cupyx

    host = (np.arange(12).reshape(4, 3) + 2**33 * (dtype == "int64")).astype(dtype)
    key = (np.array([2, 2, 0]), np.array([1, 1, 2]))
    a = cupy.asarray(host)
    cupyx.scatter_add(a, key, cupy.asarray(np.array([3, 5, 7], dtype)))
    want = host.copy()
    np.add.at(want, key, np.array([3, 5, 7], dtype))
    np.testing.assert_array_equal(a.get(), want)


def test_pad_tril_triu_bincount(cupy):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(
        cupy.pad(cupy.asarray(x), ((1, 0), (2, 1)), constant_values=-1).get(),
        np.pad(x, ((1, 0), (2, 1)), constant_values=-1),
    )
    for k in (-1, 0, 2):
        np.testing.assert_array_equal(cupy.tril(cupy.asarray(x), k).get(), np.tril(x, k))
        np.testing.assert_array_equal(cupy.triu(cupy.asarray(x), k).get(), np.triu(x, k))
    ints = np.array([1, 4, 1, 0, 4, 4])
    np.testing.assert_array_equal(cupy.bincount(cupy.asarray(ints)).get(), np.bincount(ints))


def test_scatter_add_without_atomics_adds_each_segment_in_order(cupy, monkeypatch):
    """float64 (and every dtype on WebGL): each element adds its repeated values in
    index order, NumPy's add.at order, bit for bit; segments longer than a pass's chunk
    take several passes."""
    import cupyx

    from wgpy_runtime import indexing

    monkeypatch.setattr(indexing, "SEGMENT_CHUNK", 7)
    rng = np.random.default_rng(5)
    where = rng.integers(2, 9, 300)
    values = rng.standard_normal(300) * 10.0 ** rng.integers(-8, 8, 300)
    host = rng.standard_normal(12)
    a = cupy.asarray(host)
    cupyx.scatter_add(a, where, cupy.asarray(values))
    want = host.copy()
    np.add.at(want, where, values)
    np.testing.assert_array_equal(a.get(), want)


def test_bincount_of_many_repeats(cupy):
    """int64 counts of 20,000 values in 7 bins: one atomic pass on WebGPU (the gather
    passes would take one per repetition)."""
    ints = np.random.default_rng(3).integers(0, 7, 20_000)
    np.testing.assert_array_equal(cupy.bincount(cupy.asarray(ints)).get(), np.bincount(ints))


@pytest.mark.parametrize("values", [((1, 2), (3, 4)), ((5, 6),), (7,), 8, [[1], [2]]])
def test_pad_takes_per_axis_constant_values(cupy, values):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    got = cupy.pad(cupy.asarray(x), ((1, 2), (2, 1)), constant_values=values)
    np.testing.assert_array_equal(got.get(), np.pad(x, ((1, 2), (2, 1)), constant_values=values))
    with pytest.raises(ValueError, match="constant_values"):
        cupy.pad(cupy.asarray(x), 1, constant_values=((1, 2, 3),))
    scalar = cupy.pad(cupy.asarray(np.float32(3)), 1)  # 0-d: returned as it is
    assert scalar.shape == () and float(scalar.get()) == 3.0


def test_asfortranarray_lays_out_column_major(cupy):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for a in (cupy.asarray(x), cupy.asarray(x)[:, ::2], cupy.asarray(x).transpose(2, 0, 1)):
        f = cupy.asfortranarray(a)
        assert f.flags.f_contiguous
        np.testing.assert_array_equal(f.get(), a.get())
    f = cupy.asfortranarray(cupy.asarray(x), dtype=np.float16)
    assert f.dtype == np.float16 and f.flags.f_contiguous


def test_cupy_testing_random_saves_and_restores_states(cupy):
    import random

    import cupy.testing

    np.random.seed(5)
    cupy.random.seed(6)
    expected = (np.random.rand(), cupy.random.rand().get())
    np.random.seed(5)
    cupy.random.seed(6)
    cupy.testing.random.do_setup()
    seeded = (random.random(), np.random.rand(), cupy.random.rand().get())
    cupy.testing.random.do_teardown()
    assert (np.random.rand(), cupy.random.rand().get()) == expected
    cupy.testing.random.do_setup()
    assert (random.random(), np.random.rand(), cupy.random.rand().get()) == seeded
    cupy.testing.random.do_teardown()
    with pytest.raises(RuntimeError, match="without a do_setup"):
        cupy.testing.random.do_teardown()
    cupy.testing.assert_array_equal(cupy.arange(3), np.arange(3))
    with pytest.raises(AssertionError):
        cupy.testing.assert_allclose(cupy.arange(3) + 1, np.arange(3))


def test_rsqrt_and_special(cupy):
    import cupyx

    x = np.array([0.25, 1.0, 4.0], np.float32)
    y = cupyx.rsqrt(cupy.asarray(x), dtype=np.float32)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.get(), 1 / np.sqrt(x), rtol=1e-6)
    z = np.array([-1.0, 0.0, 0.5], np.float32)
    got = cupyx.scipy.special.erf(cupy.asarray(z)).get()
    np.testing.assert_allclose(got, [math.erf(v) for v in z], rtol=1e-5, atol=1e-6)
    with pytest.raises(NotImplementedError, match="digamma"):
        cupyx.scipy.special.digamma(cupy.asarray(z))


def test_numpy_scalars_promote_as_in_cupy_7(cupy):
    x = cupy.ones(3, dtype=np.float32)
    assert (x * np.float64(2)).dtype == np.float32  # NumPy 1.x and CuPy 7 agree
    assert (cupy.ones(2, dtype=np.int8) + np.int64(3)).dtype == np.int8
    assert (cupy.ones(2, dtype=np.int32) * np.float64(1.5)).dtype == np.float64
    cupy_shim.uninstall()
    assert (x * np.float64(2)).dtype == np.float64  # wgpy_runtime's own rule: NEP 50


def test_memory_pointers_make_views(cupy):
    """`a.data` is CuPy's MemoryPointer; `ndarray(shape, dtype, memptr, strides)` views that
    memory (Chainer's as_strided), offsets being `data.ptr - data.mem.ptr` in bytes."""
    base = cupy.arange(12, dtype=np.float32)
    view = base[3:]
    assert view.data.mem.size == 48 and view.data.ptr - view.data.mem.ptr == 12
    memptr = cupy.cuda.memory.MemoryPointer(base.data.mem, 8)
    a = cupy.ndarray((3, 2), np.float32, memptr, (12, 4))
    host = np.arange(12, dtype=np.float32)
    want = np.lib.stride_tricks.as_strided(host[2:], (3, 2), (12, 4))
    np.testing.assert_array_equal(a.get(), want)
    a[0, 0] = -1  # the view writes through to the memory
    assert base.get()[2] == -1
    with pytest.raises(ValueError, match="outside its memory"):
        cupy.ndarray((4, 2), np.float32, memptr, (12, 4))
    with pytest.raises(TypeError, match="view of float32 memory"):
        cupy.ndarray((2,), np.int32, memptr)
