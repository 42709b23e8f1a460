"""Tiled matmul against NumPy on both targets: kernelc's matmul programs launched from
their ABI by the native executors (every tile preset, edges, views), and
`matmul dot tensordot @` of wgpy_runtime on both backends (shapes, transposed and strided
views, batches, broadcast batch axes, dtypes), checked to pass views, not copies.

Rule: float32 results within rtol 1e-4 (atol 1e-4 for entries near zero) of NumPy's for
K up to 512; each test runs once per backend (executor tests on its target).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import kernelc
import wgpy_runtime as wp
from tests.runtime.helpers import (
    numpy_wgpy_allclose,
    numpy_wgpy_array_equal,
    shaped_random,
    wgpy_backend,  # noqa: F401  (runs every test on every backend)
)
from tests.support.kernel_call import executor_for
from wgpy_runtime import _fastpath, _matmul, linalg
from wgpy_runtime import device as devices

TARGET = {"webgpu": "wgsl", "webgl": "glsl"}
TOL = {"rtol": 1e-4, "atol": 1e-4}


def _random(shape, dtype="float32", seed=0) -> np.ndarray:
    return shaped_random(shape, np, dtype, scale=1, seed=seed)


# ---------------------------------------------------------------------------- programs


def _target() -> str:
    """The shader target of the backend this test runs on."""
    return TARGET[devices.get_device().name]


def _run_program(target: str, a: np.ndarray, b: np.ndarray, **options) -> list[np.ndarray]:
    """a @ b through each matmul program of `target`, operands as given (views): on GLSL
    the packed program on the native device and the plain one on the native executor."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    c = np.full(batch + (a.shape[-2], b.shape[-1]), np.nan, a.dtype)
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    translate = functools.partial(
        kernelc.translate_matmul, a.dtype, target=target, batch_ndim=len(batch), **options
    )
    if target == "wgsl":
        return [executor_for(target).run_matmul(translate(), a, b, c)]
    options.pop("tiles", None)
    plain = executor_for(target).run_matmul(translate(tiles=None, packed=False), a, b, c)
    return [_run_on_device(translate(tiles=None, packed=True), a, b), plain]


def _device_view(x: np.ndarray) -> wp.ndarray:
    """`x` on the device as the same view (offset and element strides) of its whole base."""
    root = x
    while isinstance(root.base, np.ndarray):
        root = root.base
    assert root.flags.c_contiguous and root.dtype == x.dtype
    item = x.dtype.itemsize
    offset = (x.__array_interface__["data"][0] - root.__array_interface__["data"][0]) // item
    buf = wp.asarray(root)
    strides = tuple(s // item for s in x.strides)
    return wp.ndarray._view(buf._buf, x.shape, strides, offset)


def _run_on_device(program, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b through `program` launched the runtime's way on the current device."""
    *batch, m, n = a.shape[:-1] + b.shape[-1:]
    c = wp.empty((*batch, m, n), a.dtype)
    args = {"A": _device_view(a), "B": _device_view(b), "C": c}
    _matmul._launch.dispatch(devices.get_device(), program, args, (*batch, m, n), (a.shape[-1],))
    return c.get()


def _assert_all_close(results: list[np.ndarray], want: np.ndarray, **tol) -> None:
    for got in results:
        np.testing.assert_allclose(got, want, **(tol or TOL))


# huge and (128, 128, 4, 16, 8): double-buffered tiles
@pytest.mark.parametrize("tiles", ["huge", "large", "tall", "wide", "small", (128, 128, 4, 16, 8)])
@pytest.mark.parametrize(
    "mkn", [(1, 1, 1), (17, 33, 65), (130, 9, 257), (5, 0, 3), (33, 100, 70), (129, 16, 65)]
)
def test_program_edges(tiles, mkn):
    m, k, n = mkn
    a, b = _random((m, k), seed=1), _random((k, n), seed=2)
    _assert_all_close(_run_program(_target(), a, b, tiles=tiles), a @ b)


@pytest.mark.parametrize("trans", [(False, False), (True, True)])
def test_program_views(trans):
    """Transposed, strided, offset and negative-stride operands, with either load order."""
    a = _random((70, 90), seed=3)[::-1, 5:].T  # (85, 70), M contiguous-ish
    b = _random((140, 41), seed=4)[::2, ::-2]  # (70, 21)
    _assert_all_close(_run_program(_target(), a, b, trans_a=trans[0], trans_b=trans[1]), a @ b)


def test_program_batches():
    target = _target()
    a, b = _random((3, 64, 32), seed=5), _random((3, 32, 48), seed=6)
    _assert_all_close(_run_program(target, a, b), a @ b)
    a, b = _random((2, 1, 33, 20), seed=7), _random((5, 20, 17), seed=8)  # broadcast batches
    _assert_all_close(_run_program(target, a, b, tiles="small"), a @ b)


def test_program_float16():
    a, b = _random((40, 30), "float16", seed=9), _random((30, 20), "float16", seed=10)
    results = _run_program(_target(), a, b, tiles="small")
    want = (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float16)
    _assert_all_close(
        [r.astype(np.float32) for r in results], want.astype(np.float32), rtol=2e-3, atol=2e-3
    )


# ---------------------------------------------------------------------------- wgpy_runtime


@pytest.mark.parametrize(
    "mkn", [(1, 1, 1), (17, 33, 65), (256, 256, 256), (64, 512, 48), (5, 0, 3)]
)
@numpy_wgpy_allclose(**TOL)
def test_matmul_shapes(mkn, xp):
    m, k, n = mkn
    a = shaped_random((m, k), xp, scale=1, seed=11)
    b = shaped_random((k, n), xp, scale=1, seed=12)
    return xp.matmul(a, b), a @ b


@numpy_wgpy_allclose(**TOL)
def test_transposed_views(xp):
    a = shaped_random((33, 17), xp, scale=1, seed=13)
    b = shaped_random((65, 33), xp, scale=1, seed=14)
    return a.T @ b.T, (b @ a).T, a.T @ a


@numpy_wgpy_allclose(**TOL)
def test_strided_views(xp):
    a = shaped_random((40, 60), xp, scale=1, seed=15)
    b = shaped_random((50, 31), xp, scale=1, seed=16)
    return a[::2, 1::3] @ b[:20, ::-2], a[3:, ::-1][:, :50] @ b[::-1]


@numpy_wgpy_allclose(**TOL)
def test_batched(xp):
    a = shaped_random((3, 64, 32), xp, scale=1, seed=17)
    b = shaped_random((3, 32, 48), xp, scale=1, seed=18)
    return a @ b, xp.matmul(a.transpose(0, 2, 1), a), a[:, ::2] @ b[::-1]


@numpy_wgpy_allclose(**TOL)
def test_broadcast_batches(xp):
    a = shaped_random((2, 1, 33, 20), xp, scale=1, seed=19)
    b = shaped_random((5, 20, 17), xp, scale=1, seed=20)
    c = shaped_random((20, 7), xp, scale=1, seed=21)
    return a @ b, a @ c, c.T @ b


@numpy_wgpy_allclose(**TOL)
def test_vectors_dot_tensordot(xp):
    a = shaped_random((9, 12), xp, scale=1, seed=22)
    v = shaped_random((12,), xp, scale=1, seed=23)
    t = shaped_random((3, 4, 12), xp, scale=1, seed=24)
    out = xp.zeros((9, 9), "float32")
    xp.matmul(a, a.T, out=out)
    return (
        v @ v,
        a @ v,
        v[:9] @ a,
        xp.dot(a, a.T),
        xp.dot(t, v),
        out,
        xp.tensordot(t, a, axes=([2], [1])),
        xp.tensordot(t, t, axes=([1, 2], [1, 2])),
    )


@pytest.mark.parametrize("dtype", ["float16", "float64"])
@numpy_wgpy_allclose(rtol=2e-3, atol=2e-3)
def test_dtypes(dtype, xp):
    a = shaped_random((20, 30), xp, dtype, scale=1, seed=25)
    b = shaped_random((30, 10), xp, dtype, scale=1, seed=26)
    return a @ b, a @ b.astype("int8")


@numpy_wgpy_array_equal()
def test_tensordot_dtypes_and_empty_operands(xp):
    """The batch summed over a contracted axis keeps the product's dtype."""
    a = shaped_random((3, 4, 5), xp, "int32", scale=5, seed=35)
    b = shaped_random((3, 2, 5, 4), xp, "int32", scale=5, seed=36)
    empty = xp.zeros((0, 4, 5), "float32")
    return (
        xp.tensordot(a, b, ((0, 2), (0, 2))),
        xp.tensordot(a.astype("bool"), b.astype("bool"), ((0, 2), (0, 2))),
        xp.tensordot(empty, empty, ((1, 2), (1, 2))),
        xp.tensordot(empty, empty, ((0, 2), (0, 2))),
    )


@numpy_wgpy_array_equal()
def test_integers_keep_the_simple_kernel(xp):
    a = shaped_random((7, 9), xp, "int32", scale=5, seed=27)
    return a @ a.T, a.astype("bool") @ a.T.astype("bool")


def test_views_are_not_copied(monkeypatch):
    """The program receives the operands' own buffers with their strides."""
    seen = {}

    def spy(device, program, args, loop_shape, reduce_shape=None):
        seen.update(
            args,
            kind=program.abi.kind,
            trans=(program.abi.trans_a, program.abi.trans_b),
            loop=loop_shape,
            k=reduce_shape,
        )
        return dispatch(device, program, args, loop_shape, reduce_shape)

    dispatch = _matmul._launch.dispatch
    monkeypatch.setattr(_matmul._launch, "dispatch", spy)
    a = wp.asarray(_random((2, 3, 16, 8), seed=28))
    b = wp.asarray(_random((16, 12), seed=29))
    result = a.transpose(0, 1, 3, 2)[:, :, ::2] @ b[:, ::2]
    assert seen["kind"] == "matmul" and seen["trans"] == (True, False)
    assert seen["A"]._buf is a._buf and seen["A"]._strides == (128, 2, 8)  # batch merged
    assert seen["B"]._buf is b._buf and seen["B"]._strides == (0, 12, 2)
    assert seen["loop"] == (6, 4, 6) and seen["k"] == (16,)
    want = a.get().transpose(0, 1, 3, 2)[:, :, ::2] @ b.get()[:, ::2]
    np.testing.assert_allclose(result.get(), want, **TOL)


def test_tensordot_of_im2col_columns_is_a_batch_of_views(monkeypatch):
    """Chainer's convolution: tensordot(col, W, ((1, 2, 3), (1, 2, 3))) with col (n, c, kh,
    kw, oh, ow) is n transposed products of col's own buffer, not a copy of col, where an
    image has enough rows (oh * ow) to fill the matmul's tiles."""
    seen = {}

    def spy(device, program, args, loop_shape, reduce_shape=None):
        if program.abi.kind == "matmul":  # not the sum over a batch
            seen.update(args, trans=(program.abi.trans_a, program.abi.trans_b), loop=loop_shape)
        return dispatch(device, program, args, loop_shape, reduce_shape)

    dispatch = _matmul._launch.dispatch
    monkeypatch.setattr(_matmul._launch, "dispatch", spy)
    col, w = _random((3, 4, 3, 3, 5, 6), seed=32), _random((7, 4, 3, 3), seed=33)
    x = wp.asarray(col)
    got = wp.tensordot(x, wp.asarray(w), ((1, 2, 3), (1, 2, 3)))
    assert seen["A"]._buf is not x._buf  # 30 rows an image: one product of a copy
    np.testing.assert_allclose(got.get(), np.tensordot(col, w, ((1, 2, 3), (1, 2, 3))), **TOL)
    monkeypatch.setattr(linalg, "MIN_BATCH_ROWS", 30)
    got = wp.tensordot(x, wp.asarray(w), ((1, 2, 3), (1, 2, 3)))
    assert seen["A"]._buf is x._buf and seen["A"]._strides == (1080, 1, 30)
    assert seen["trans"] == (True, True) and seen["loop"] == (3, 30, 7)  # W.T: a view too
    want = np.tensordot(col, w, ((1, 2, 3), (1, 2, 3)))
    assert got.shape == want.shape
    np.testing.assert_allclose(got.get(), want, **TOL)
    # the weight gradient: a batch over the contracted n, summed, instead of copying col
    gy = _random((3, 7, 5, 6), seed=34)
    got = wp.tensordot(wp.asarray(gy), x, ((0, 2, 3), (0, 4, 5)))
    assert seen["B"]._buf is x._buf and seen["loop"] == (3, 7, 36)
    np.testing.assert_allclose(got.get(), np.tensordot(gy, col, ((0, 2, 3), (0, 4, 5))), **TOL)
    # no view at all (the free axes interleave the contracted ones): a copy, same result
    mixed = np.tensordot(col, w, ((1, 3, 2), (1, 3, 2)))
    np.testing.assert_allclose(
        wp.tensordot(x, wp.asarray(w), ((1, 3, 2), (1, 3, 2))).get(), mixed, **TOL
    )


def test_plain_glsl_program_where_packed_textures_would_not_fit(monkeypatch):
    """A product whose packed operands exceed the device's texture takes the plain GLSL
    program (the packed one otherwise); both agree with NumPy."""
    if _target() != "glsl":
        pytest.skip("a WebGL choice")
    seen = []

    def spy(device, program, args, loop_shape, reduce_shape=None):
        seen.append(program.abi.launch.kind)
        return dispatch(device, program, args, loop_shape, reduce_shape)

    dispatch = _matmul._launch.dispatch
    monkeypatch.setattr(_matmul._launch, "dispatch", spy)
    a, b = _random((9, 40), seed=30), _random((40, 7), seed=31)
    np.testing.assert_allclose((wp.asarray(a) @ wp.asarray(b)).get(), a @ b, **TOL)
    monkeypatch.setattr(_matmul, "buffer_elements", lambda device: 9 * 10 - 1)  # pack_a: 90
    _fastpath.clear()  # a device of other limits: the calls replayed are this one's
    np.testing.assert_allclose((wp.asarray(a) @ wp.asarray(b)).get(), a @ b, **TOL)
    assert seen == ["packed_matmul", "fragment"]
