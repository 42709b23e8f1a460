"""The device protocol (docs/protocol.md) on both native devices: conformance, kernels.

Rule: every test runs on WebGPU and WebGL through the `Device` commands alone, and
compares with NumPy. Kernels are real kernelc programs; `launch` below builds the
`dispatch` values from NumPy views of device buffers the way the runtime does.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import kernelc
from kernelc.abi import contract
from tests.support.views import describe
from wgpy_runtime import device as devices
from wgpy_runtime.device import DeviceError, get_device
from wgpy_runtime.device.pool import Pool, size_class

DTYPES = ("bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "float16", "float32")
NARROW = ("int8", "uint8", "int16", "uint16", "float16")


@pytest.fixture(params=devices.BACKENDS, scope="module")
def dev(request):
    return get_device(request.param)


def sample(dtype: str, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.integers(0, 2, n).astype(bool)
    if np.dtype(dtype).kind == "f":
        return (rng.standard_normal(n) * 100).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -(2**31)), min(info.max, 2**31 - 1), n).astype(dtype)


def upload(dev, a: np.ndarray) -> int:
    buf = dev.alloc(a.size, a.dtype.name)
    dev.write(buf, 0, np.ascontiguousarray(a).tobytes())
    return buf


def download(dev, buf: int, count: int, dtype: str, start: int = 0) -> np.ndarray:
    return np.frombuffer(dev.read(buf, start, count), dtype)


# ------------------------------------------------------------------ buffers


@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip(dev, dtype):
    a = sample(dtype, 4099)  # more than one 4096-texel row on WebGL
    buf = upload(dev, a)
    np.testing.assert_array_equal(download(dev, buf, a.size, dtype), a)
    for start, count in [(0, 1), (1, 3), (3, 5), (4095, 3), (4098, 1), (7, 4090)]:
        np.testing.assert_array_equal(download(dev, buf, count, dtype, start), a[start:][:count])
    assert dev.read(buf, 5, 0) == b""
    dev.free(buf)


@pytest.mark.parametrize("dtype", DTYPES)
def test_partial_writes(dev, dtype):
    model = sample(dtype, 9000)
    buf = upload(dev, model)
    for k, (start, count) in enumerate([(1, 1), (3, 6), (2, 2), (4094, 5), (5, 8190), (8999, 1)]):
        chunk = sample(dtype, count, seed=k + 1)
        dev.write(buf, start, chunk.tobytes())
        model[start : start + count] = chunk
    np.testing.assert_array_equal(download(dev, buf, model.size, dtype), model)


@pytest.mark.parametrize("dtype", DTYPES)
def test_copy(dev, dtype):
    a, b = sample(dtype, 5000, 1), sample(dtype, 4200, 2)
    src, dst = upload(dev, a), upload(dev, b)
    for s, d, count in [(0, 0, 4200), (1, 2, 7), (3, 0, 4100), (4097, 3, 900), (5, 4199, 1)]:
        dev.copy(src, dst, s, d, count)
        b[d : d + count] = a[s : s + count]
    np.testing.assert_array_equal(download(dev, dst, b.size, dtype), b)
    dev.copy(dst, dst, 1, 3, 4000)  # overlapping, inside one buffer
    b[3:4003] = b[1:4001].copy()
    np.testing.assert_array_equal(download(dev, dst, b.size, dtype), b)


def test_free_and_reuse(dev):
    a = np.arange(1000, dtype=np.float32)
    buf = upload(dev, a)
    dev.free(buf)
    hits = dev.pool.stats.hits
    again = upload(dev, a + 1)
    assert dev.pool.stats.hits == hits + 1  # the freed buffer came back
    np.testing.assert_array_equal(download(dev, again, 1000, "float32"), a + 1)
    with pytest.raises(DeviceError, match="unknown buffer"):
        dev.read(buf, 0, 1)
    with pytest.raises(DeviceError):
        dev.free(buf)
    dev.free(again)
    assert dev.trim() > 0 and dev.pool.stats.held == 0


def test_errors(dev):
    buf = dev.alloc(10, "int32")
    with pytest.raises(DeviceError, match="outside"):
        dev.write(buf, 8, np.zeros(3, np.int32).tobytes())
    with pytest.raises(DeviceError, match="outside"):
        dev.read(buf, 0, 11)
    with pytest.raises(DeviceError):
        dev.copy(buf, dev.alloc(10, "float32"), 0, 0, 1)
    with pytest.raises(DeviceError, match="allocate"):
        dev.alloc(1 << 40, "float32")
    with pytest.raises(ValueError):
        dev.alloc(4, "complex64")  # (64-bit dtypes are device dtypes: the exact policy)
    dev.write(buf, 0, np.arange(10, dtype=np.int32).tobytes())  # still usable
    np.testing.assert_array_equal(download(dev, buf, 10, "int32"), np.arange(10))


def test_webgl_device_belongs_to_its_thread():
    import threading

    dev = get_device("webgl")
    buf = upload(dev, np.arange(4, dtype=np.float32))
    caught = []

    def other_thread():
        try:
            dev.read(buf, 0, 4)
        except RuntimeError as e:
            caught.append(e)

    worker = threading.Thread(target=other_thread, name="worker")
    worker.start()
    worker.join()
    assert "the webgl device belongs to the thread that created it" in str(caught[0])
    assert "'worker'" in str(caught[0]) and "EGL" not in str(caught[0])
    assert download(dev, buf, 4, "float32").tolist() == [0, 1, 2, 3]  # still usable
    dev.free(buf)


def test_get_device(monkeypatch):
    monkeypatch.setenv("WGPY_BACKEND", "webgl")
    assert get_device().name == "webgl"
    monkeypatch.delenv("WGPY_BACKEND")
    assert get_device().name == "webgpu" and get_device() is get_device("webgpu")
    previous = devices.set_device("webgl")
    try:
        assert get_device() is get_device("webgl")
    finally:
        devices.set_device(previous)
    with pytest.raises(ValueError):
        get_device("cuda")


# ------------------------------------------------------------------ kernels


def elementwise(dev, in_params, out_params, operation, types, ndim=1, **kw):
    return kernelc.translate_elementwise(
        in_params,
        out_params,
        operation,
        name=kw.pop("name", "k"),
        target=dev.target,
        types=types,
        ndim=ndim,
        **kw,
    )


def launch(dev, program, args: dict, loop_shape, reduce_shape=None) -> dict:
    """Bind NumPy views (sharing a device buffer when they share memory) and scalars,
    dispatch, and return every output as the device left it, viewed like its argument
    (and under "_buffers" and "_values" what the dispatch was given)."""
    lead = tuple(reduce_shape or ())
    values = {contract.SIZE: math.prod(loop_shape)}
    values.update({contract.loop_shape(d): e for d, e in enumerate(loop_shape)})
    if reduce_shape is not None:
        values[contract.REDUCE_SIZE] = math.prod(reduce_shape)
        values.update({contract.reduce_shape(d): e for d, e in enumerate(reduce_shape)})
    buffers, views, uploaded = {}, {}, {}
    for p in program.abi.params:
        name, a = p.name, args[p.name]
        if p.kind == "scalar":
            values[contract.scalar_value(name)] = a
            continue
        if p.kind == "array" and p.role == "in":
            a = np.broadcast_to(a, lead + tuple(loop_shape))
        view = describe(a)
        key = (view.data.__array_interface__["data"][0], view.data.size)
        if key not in uploaded:
            uploaded[key] = upload(dev, view.data)
        buffers[name], views[name] = uploaded[key], view
        values[contract.array_offset(name)], values[contract.array_size(name)] = view.offset, a.size
        values.update({contract.array_stride(name, d): s for d, s in enumerate(view.strides)})
        values.update({contract.array_shape(name, d): e for d, e in enumerate(a.shape)})
    dev.dispatch(program, buffers, values)
    out = {"_buffers": buffers, "_values": values}
    for p in program.abi.params:
        if p.role == "out":
            data = views[p.name].data
            whole = download(dev, buffers[p.name], data.size, data.dtype.name)
            out[p.name] = views[p.name].view(whole)
    return out


def test_strided_views_and_scalars(dev):
    program = elementwise(
        dev, "T x, T y, T a", "T z", "z = x * y + a", {"T": "float32"}, ndim=2, scalars=("a",)
    )
    base = np.arange(200, dtype=np.float32)
    x = base[3:198].reshape(-1, 13)[:5, ::-2]  # offset, a row stride, a negative stride
    y = np.linspace(-1, 1, 7, dtype=np.float32)  # broadcast along axis 0
    out = launch(
        dev, program, {"x": x, "y": y, "a": 0.5, "z": np.zeros((5, 7), np.float32)}, (5, 7)
    )
    np.testing.assert_allclose(out["z"], x * y + np.float32(0.5), rtol=1e-6)


def test_strided_output_webgpu():
    dev = get_device("webgpu")
    program = elementwise(dev, "T x", "T y", "y = x * 2", {"T": "int32"})
    y = np.full(30, -1, np.int32)
    out = launch(dev, program, {"x": np.arange(10, dtype=np.int32), "y": y[1::3]}, (10,))
    expected = y.copy()
    expected[1::3] = np.arange(10) * 2
    np.testing.assert_array_equal(download(dev, out["_buffers"]["y"], 30, "int32"), expected)


def test_prepared_launch_checks_reused_buffers_webgpu():
    """A prepared launch's bind groups are cached by GPU buffer and dtype: a pooled buffer
    taken again under another dtype is checked as `dispatch` checks it."""
    dev = get_device("webgpu")
    program = elementwise(dev, "T x", "T y", "y = x * 2", {"T": "float32"})
    values = {contract.SIZE: 4, contract.loop_shape(0): 4}
    for name in "xy":
        values.update({contract.array_offset(name): 0, contract.array_stride(name, 0): 1})
    prepared = dev.prepare(program, values)
    x, y = upload(dev, np.arange(4, dtype=np.float32)), dev.alloc(4, "float32")
    dev.launch(prepared, (x, y))
    np.testing.assert_array_equal(download(dev, y, 4, "float32"), np.arange(4) * 2)
    dev.free(y)
    y = dev.alloc(4, "int32")  # the same GPU buffer, from the pool
    with pytest.raises(DeviceError, match="int32 buffer"):
        dev.launch(prepared, (x, y))
    dev.free(x)
    dev.free(y)


def test_releasing_a_buffer_keeps_other_bind_groups_webgpu():
    """A buffer the pool releases drops the cached bind groups that bind it, and only
    those: a launch on other buffers makes no new group afterwards."""
    dev = get_device("webgpu")
    program, values, n = _accumulate(dev, 64)
    x, y = upload(dev, np.ones(n, np.float32)), upload(dev, np.zeros(n, np.float32))
    prepared = dev.prepare(program, values)
    dev.launch(prepared, (x, y))
    other = dev.alloc(n, "float32")
    dev.dispatch(program, {"x": x, "y": other}, values)
    made = []
    create = dev._device.create_bind_group
    dev._device.create_bind_group = lambda **kw: made.append(1) or create(**kw)
    try:
        released = dev._buffers[other].gpu
        dev.free(other)
        dev.trim()  # the pool releases `other`'s buffer
        assert released.uid not in dev._groups_binding
        assert dev._groups and all(released.uid not in dict(key[2]).values() for key in dev._groups)
        dev.launch(prepared, (x, y))
        dev.dispatch(program, {"x": x, "y": y}, values)
        assert made == []
    finally:
        dev._device.create_bind_group = create
    np.testing.assert_array_equal(download(dev, y, n, "float32"), 3)
    dev.free(x)
    dev.free(y)


def test_prepared_launch_reads_old_contents(dev):
    """A prepared `y += x` (WebGL: its output's old contents sampled from a copy) adds
    into whichever buffers it is given, call after call."""
    program, values, n = _accumulate(dev, 5000)
    prepared = dev.prepare(program, values)
    assert prepared is not None
    x = upload(dev, np.arange(n, dtype=np.float32))
    ys = [upload(dev, np.full(n, k, np.float32)) for k in (10, 20)]
    for y in ys * 2:
        dev.launch(prepared, tuple(x if name == "x" else y for name in prepared.params))
    for y, k in zip(ys, (10, 20)):
        np.testing.assert_array_equal(download(dev, y, n, "float32"), k + 2 * np.arange(n))


def test_prepared_launch_keeps_what_it_does_not_draw(dev):
    """A prepared `y += x` over the first n elements of a longer `y` (WebGL: the draw
    covers part of y's texture, so its old contents are copied, not renewed) leaves the
    rest of `y` as it was, while a `y` it covers whole (WebGL: rendered into a fresh
    texture, the old one sampled) is updated through every id and view of it."""
    program, values, n = _accumulate(dev, 3000)
    prepared = dev.prepare(program, values)
    x = upload(dev, np.arange(n, dtype=np.float32))
    longer = upload(dev, np.full(n + 500, 7, np.float32))
    whole = upload(dev, np.full(n, 1, np.float32))
    for _ in range(3):
        for y in (longer, whole):
            dev.launch(prepared, tuple(x if name == "x" else y for name in prepared.params))
    got = download(dev, longer, n + 500, "float32")
    np.testing.assert_array_equal(got[:n], 7 + 3 * np.arange(n))
    np.testing.assert_array_equal(got[n:], 7)
    np.testing.assert_array_equal(download(dev, whole, n, "float32"), 1 + 3 * np.arange(n))
    np.testing.assert_array_equal(
        download(dev, whole, 10, "float32", start=n - 10), got[n - 10 : n] - 6
    )
    for buf in (x, longer, whole):
        dev.free(buf)


def test_several_outputs_and_reads_old(dev):
    program = elementwise(
        dev, "T x", "T y, int32 k, bool b", "y += x; k = (int)x * 3; b = x > 0", {"T": "float32"}
    )
    x = np.linspace(-5, 5, 5000, dtype=np.float32)
    y = np.arange(5000, dtype=np.float32)
    args = {"x": x, "y": y, "k": np.zeros(5000, np.int32), "b": np.zeros(5000, bool)}
    out = launch(dev, program, args, (5000,))
    np.testing.assert_array_equal(out["y"], y + x)
    np.testing.assert_array_equal(out["k"], x.astype(np.int32) * 3)
    np.testing.assert_array_equal(out["b"], x > 0)


@pytest.mark.parametrize("operation", ["y = x * 2 + 1", "y += x * 2 + 1"])
def test_input_aliasing_output(dev, operation):
    program = elementwise(dev, "T x", "T y", operation, {"T": "int32"})
    a = np.arange(300, dtype=np.int32)
    out = launch(dev, program, {"x": a, "y": a}, (300,))  # one buffer, bound twice
    expected = a * 2 + 1 + (a if "+=" in operation else 0)
    np.testing.assert_array_equal(out["y"], expected)


def test_raw_arrays(dev):
    program = elementwise(
        dev,
        "raw T x",
        "T y",
        "y = x[_ind.size() - 1 - i] + x[0]",
        {"T": "float32"},
        raw={"x": (1, True)},
    )
    x = np.arange(4500, dtype=np.float32)
    out = launch(dev, program, {"x": x, "y": np.zeros(4500, np.float32)}, (4500,))
    np.testing.assert_array_equal(out["y"], x[::-1] + x[0])


@pytest.mark.parametrize("dtype", NARROW)
def test_narrow_dtypes(dev, dtype):
    program = elementwise(dev, "T x, T y", "T z", "z = x + y", {"T": dtype})
    base = sample(dtype, 1001)
    x, y = base[1:1000], sample(dtype, 999, 3)  # x starts mid-word
    z = np.zeros(999, dtype)
    out = launch(dev, program, {"x": x, "y": y, "z": z}, (999,))
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(out["z"], x + y)


def _doubled_sum(dev, name: str):
    """A reduction of one axis: y = sum(x * 2) + 1, float32."""
    return kernelc.translate_reduction(
        "T x",
        "T y",
        "x * 2",
        "a + b",
        "y = a + 1",
        "0",
        name=name,
        target=dev.target,
        types={"T": "float32"},
        ndim=1,
        reduce_ndim=1,
    )


@pytest.mark.parametrize("shape", [(3, 20000), (50, 7), (4, 0), (1, 1 << 17)])
def test_reduction(dev, shape):
    """Split WGSL stages and several GLSL passes, one stage/pass, an empty reduction."""
    program = _doubled_sum(dev, "dsum")
    x = np.random.default_rng(5).integers(-8, 8, shape).astype(np.float32)
    # reduced axes first: view x (m, r) as (r, m), reducing axis 1 of x
    y = np.zeros(shape[0], np.float32)
    out = launch(dev, program, {"x": x.T, "y": y}, shape[:1], shape[1:])
    np.testing.assert_array_equal(out["y"], (x * 2).sum(axis=1) + 1)


def test_prepared_one_pass_reduction(dev):
    """A reduction of one pass is prepared (WebGL: its partials sampler bound, unread)
    and launched again on other buffers of the same layout."""
    program = _doubled_sum(dev, "dsum1")
    x = np.arange(60, dtype=np.float32).reshape(3, 20)  # 20 reduced elements: one pass
    out = launch(dev, program, {"x": x.T, "y": np.zeros(3, np.float32)}, (3,), (20,))
    prepared = dev.prepare(program, out["_values"])
    assert prepared is not None
    buffers = {"x": upload(dev, x + 1), "y": dev.alloc(3, "float32")}
    dev.launch(prepared, tuple(buffers[name] for name in prepared.params))
    got = download(dev, buffers["y"], 3, "float32")
    np.testing.assert_array_equal(got, ((x + 1) * 2).sum(axis=1) + 1)


def test_atomics_webgpu():
    dev = get_device("webgpu")
    program = elementwise(
        dev,
        "T x",
        "raw int32 hist",
        "atomicAdd(&hist[x % 4], 1)",
        {"T": "int32"},
        raw={"hist": (1, True)},
    )
    x = np.arange(10001, dtype=np.int32)
    out = launch(dev, program, {"x": x, "hist": np.zeros(4, np.int32)}, (10001,))
    np.testing.assert_array_equal(out["hist"], np.bincount(x % 4))


def test_bad_shader_names_kernel(dev):
    program = elementwise(dev, "T x", "T y", "y = x", {"T": "float32"}, name="my_broken")
    broken = dataclasses.replace(program, code=program.code.replace("main", "mian", 1) + "@!")
    with pytest.raises(DeviceError, match="my_broken"):
        launch(dev, broken, {"x": np.ones(4, np.float32), "y": np.ones(4, np.float32)}, (4,))
    out = launch(dev, program, {"x": np.ones(4, np.float32), "y": np.zeros(4, np.float32)}, (4,))
    np.testing.assert_array_equal(out["y"], 1)  # the device is still usable


def _accumulate(dev, n: int = 1000):
    """`y += x` over n float32 elements: (program, dispatch values, n)."""
    program = elementwise(dev, "T x", "T y", "y += x", {"T": "float32"})
    values = {contract.SIZE: n, contract.loop_shape(0): n}
    for name in "xy":
        values.update({contract.array_offset(name): 0, contract.array_stride(name, 0): 1})
    return program, values, n


def test_ordering_and_batching(dev):
    program, values, n = _accumulate(dev)
    x, y = upload(dev, np.ones(n, np.float32)), upload(dev, np.zeros(n, np.float32))
    dev.synchronize()
    submits = getattr(dev, "stats", {}).get("submits", 0)
    for _ in range(150):  # several WebGPU batches, no read in between
        dev.dispatch(program, {"x": x, "y": y}, values)
    if dev.name == "webgpu":  # batches of 1, 2, 4, ... after the wait, then batch_size
        full, size, left = 0, 1, 150
        while left >= size:
            full, left, size = full + 1, left - size, min(2 * size, dev.batch_size)
        assert dev.stats["submits"] - submits == full
    dev.write(x, 0, np.full(n, 2, np.float32).tobytes())  # must not overtake the dispatches
    dev.dispatch(program, {"x": x, "y": y}, values)
    np.testing.assert_array_equal(download(dev, y, n, "float32"), 152)
    dev.synchronize()


def test_writes_between_queued_dispatches(dev):
    """Writes made while commands are queued land in order, each with its own bytes (on
    WebGPU through staging buffers, without submitting the queue)."""
    program, values, n = _accumulate(dev)
    x, y = upload(dev, np.ones(n, np.float32)), upload(dev, np.zeros(n, np.float32))
    dev.synchronize()
    for _ in range(40):  # WebGPU: batches of 1, 2, 4, 8, 16 submitted, 9 of 32 queued
        dev.dispatch(program, {"x": x, "y": y}, values)
    submits = getattr(dev, "stats", {}).get("submits", 0)
    for k in (2, 3, 4):
        dev.write(x, 0, np.full(n, k, np.float32).tobytes())
        dev.dispatch(program, {"x": x, "y": y}, values)
    dev.write(x, 7, np.full(3, 100, np.float32).tobytes())  # a part, at an offset
    if dev.name == "webgpu":
        assert dev.stats["submits"] == submits
    expected = np.full(n, 40 + 2 + 3 + 4, np.float32)
    np.testing.assert_array_equal(download(dev, y, n, "float32"), expected)
    expected_x = np.full(n, 4, np.float32)
    expected_x[7:10] = 100
    np.testing.assert_array_equal(download(dev, x, n, "float32"), expected_x)


def test_pool_without_device():
    released = []
    pool = Pool(released.append, limit=100)
    assert [size_class(n) for n in (1, 16, 17, 33, 1000, 1025)] == [16, 16, 20, 40, 1024, 1280]
    assert pool.take("a") is None
    pool.give("a", "A1", 60)
    pool.give("b", "B1", 30)
    assert pool.take("a") == "A1" and pool.take("a") is None
    pool.give("a", "A2", 60)
    pool.give("a", "A3", 60)  # past the limit: the oldest (B1, then A2) go
    assert released == ["B1", "A2"] and pool.stats.held_bytes == 60
    assert pool.trim() == 60 and released[-1] == "A3"
    assert (pool.stats.hits, pool.stats.misses, pool.stats.held) == (1, 2, 0)


# Objects given back in another order than they were taken (js_bridge/pool.js: the same
# steps in tests/browser/test_pool_js.py)
POOL_STEPS = ([0, 1, 2, 3, 4], [3, 0, 4, 2, 1], [4, 3, 2, 1, 0])


def test_pool_hands_out_the_same_objects_whatever_the_free_order():
    """Objects of a class come back in the order of their first arrival, so a step that
    takes and gives them in another order than the last step still takes the same ones."""
    pool = Pool(lambda _: None)
    for order in POOL_STEPS:
        for k in order:
            pool.give("a", k, 8)
        taken = [pool.take("a") for _ in range(3)]
        assert taken == [0, 1, 2]
        for k in reversed(taken):
            pool.give("a", k, 8)
        assert [pool.take("a") for _ in range(5)] == [0, 1, 2, 3, 4]


def test_ordering_narrow(dev):
    """Unaligned packed writes and copies keep their place among dispatches."""
    program = elementwise(dev, "T x", "T y", "y = x + 1", {"T": "int8"})
    n = 103
    x, y = upload(dev, np.zeros(n, np.int8)), upload(dev, np.zeros(n, np.int8))
    values = {contract.SIZE: n, contract.loop_shape(0): n}
    for name in "xy":
        values.update({contract.array_offset(name): 0, contract.array_stride(name, 0): 1})
    dev.dispatch(program, {"x": x, "y": y}, values)  # y = 1
    dev.write(y, 5, np.full(3, 7, np.int8).tobytes())  # y[5:8] = 7
    dev.copy(y, x, 4, 1, 5)  # x[1:6] = 1 7 7 7 1
    dev.dispatch(program, {"x": x, "y": y}, values)  # y = x + 1
    expected = np.ones(n, np.int8)
    expected[1:6] = [2, 8, 8, 8, 2]
    np.testing.assert_array_equal(download(dev, y, n, "int8"), expected)


def test_staging_buffers_kept_are_bounded(monkeypatch):
    """WebGPU keeps the staging buffers of writes behind queued commands for reuse, up to
    STAGING_KEPT_BYTES; the rest are destroyed once their copies are submitted."""
    from wgpy_runtime.device import webgpu

    dev = get_device("webgpu")
    monkeypatch.setattr(webgpu, "STAGING_KEPT_BYTES", 3 * 4096)
    program, values, n = _accumulate(dev, 1024)  # 4 KiB a write
    x, y = upload(dev, np.ones(n, np.float32)), upload(dev, np.zeros(n, np.float32))
    dev.trim()  # no staging buffer kept from earlier writes
    assert dev._staging_bytes() == 0
    dev.dispatch(program, {"x": x, "y": y}, values)  # one queued command: writes are staged
    for k in range(6):
        dev.write(x, 0, np.full(n, k, np.float32).tobytes())
    dev.synchronize()
    assert dev._staging_bytes() <= 3 * 4096
    np.testing.assert_array_equal(download(dev, x, n, "float32"), 5)
    np.testing.assert_array_equal(download(dev, y, n, "float32"), 1)
