"""Replayed kernel calls (`wgpy_runtime._fastpath`): a call signature launched once skips
type inference, broadcasting and encoding afterwards, with the general path's results and
errors.

Rule: every test calls one kernel (or ufunc) repeatedly, so the second and later calls
are replays, and checks them against NumPy; `_general_calls` counts the calls that took
the general path.
"""

from __future__ import annotations

import numpy as np
import pytest

import wgpy_runtime as wp
from tests.runtime.helpers import under_fast_64bit_policy, wgpy_backend  # noqa: F401
from wgpy_runtime import _fastpath, _launch, kernel, linalg


def _counted(monkeypatch, owner, name: str) -> list:
    """A list that grows by one per call of `owner.name` (patched for the test)."""
    calls = []
    real = getattr(owner, name)

    def counted(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(owner, name, counted)
    return calls


@pytest.fixture
def general(monkeypatch):
    """A list that grows by one per kernel call taking the general path."""
    return _counted(monkeypatch, kernel, "decide_types")


def _sq():
    return wp.ElementwiseKernel(
        "T x, T y", "T z", "z = (x - y) * (x - y)", f"sq_{np.random.randint(1 << 30)}"
    )


def test_repeated_calls_replay_with_fresh_buffers(general):
    k = _sq()
    for n in range(4):
        x = wp.asarray(np.arange(8, dtype=np.float32) + n)
        y = wp.asarray(np.full(8, 2.0, np.float32))
        np.testing.assert_array_equal(k(x, y).get(), (np.arange(8) + n - 2.0) ** 2)
    assert len(general) == 1


def test_given_outputs_and_views(general):
    k = _sq()
    base = wp.asarray(np.arange(24, dtype=np.float32).reshape(4, 6))
    host = base.get()
    for step in range(3):
        out = wp.zeros((4, 3), dtype=wp.float32)
        view = base[:, step : step + 3]  # another offset, the same strides
        k(view, 1.5, out)
        np.testing.assert_array_equal(out.get(), (host[:, step : step + 3] - 1.5) ** 2)
    strided = base[::2, ::3]
    np.testing.assert_array_equal(k(strided, strided).get(), np.zeros((2, 2)))
    broadcast = k(base, wp.asarray(np.arange(6, dtype=np.float32)))
    np.testing.assert_array_equal(broadcast.get(), (host - np.arange(6)) ** 2)


def test_size_calls_replay_by_size(general):
    """`size=` is part of the key: each size replays, a new size takes the general path."""
    k = wp.ElementwiseKernel(
        "raw T x, T a", "raw T y", "y[i] = x[i] * a", f"scale_{np.random.randint(1 << 30)}"
    )
    x = wp.asarray(np.arange(10, dtype=np.float32))
    for size in (4, 7, 4, 7, -1 + 5):
        y = wp.asarray(np.zeros(10, np.float32))
        k(x, np.float32(3), y, size=size)
        want = np.zeros(10, np.float32)
        want[:size] = np.arange(size) * 3
        np.testing.assert_array_equal(y.get(), want)
    assert len(general) == 2
    with pytest.raises(ValueError, match="Loop size is undecided"):
        k(x, np.float32(3), y)  # no size: the general path's error, not a size plan
    with pytest.raises(ValueError, match="Loop size is undecided"):
        k(x, np.float32(3), y, size=-1)


def test_scalars_are_converted_every_call():
    def make():  # a kernel nobody called: its first call takes the general path
        return wp.ElementwiseKernel(
            "T x, float32 a, int32 b", "T y", "y = x * a + b", f"axb_{np.random.randint(1 << 30)}"
        )

    k = make()
    x = wp.asarray(np.arange(4, dtype=np.float32))
    cases = [
        (2.0, 1),
        (np.float32(0.5), np.int32(-3)),
        (1e39, 2),
        (-1e39, 2),
        (0.1, 7),
        (3.4028235e38, 0),
        (float("nan"), 1),
        (3, True),
        (2.5, -(2**31)),
        (1.0, 2**31 - 1),
    ]
    for a, b in cases:
        np.testing.assert_array_equal(k(x, a, b).get(), make()(x, a, b).get())
    for a, b in [(1.0, 2**31), (1.0, 2**40)]:  # out of int32: wrapped as CuPy does
        np.testing.assert_array_equal(k(x, a, b).get(), make()(x, a, b).get())


@under_fast_64bit_policy
def test_int64_scalar_that_does_not_fit_raises_on_replay():
    k = wp.ElementwiseKernel("T x, int64 a", "T y", "y = x + a", "add64_fp")
    x = wp.asarray(np.arange(3, dtype=np.int32))
    np.testing.assert_array_equal(k(x, 5).get(), [5, 6, 7])
    with pytest.raises(OverflowError):
        k(x, 1 << 40)
    np.testing.assert_array_equal(k(x, -1).get(), [-1, 0, 1])


def test_errors_of_other_signatures_are_kept():
    k = wp.ElementwiseKernel("T x, T y", "T z", "z = x + y", "same_t_fp")
    x = wp.asarray(np.arange(3, dtype=np.float32))
    k(x, x)
    with pytest.raises(TypeError):
        k(x, wp.asarray(np.arange(3, dtype=np.int32)))
    with pytest.raises(ValueError):
        k(x, x, wp.zeros(4, dtype=wp.float32))
    with pytest.raises(TypeError):
        k(x, [1, 2, 3])


def test_aliased_buffers_after_a_replay_of_distinct_ones():
    k = wp.ElementwiseKernel("T x, T y", "T z", "z = x + 2 * y", "alias_fp")
    x = wp.asarray(np.arange(4, dtype=np.float32))
    y = wp.asarray(np.ones(4, np.float32))
    z = wp.zeros(4, dtype=wp.float32)
    k(x, y, z)
    k(x, y, z)
    k(x, y, y)  # same signature, the output is an input's buffer
    np.testing.assert_array_equal(y.get(), np.arange(4) + 2)
    np.testing.assert_array_equal(z.get(), np.arange(4) + 2)


def test_strided_outputs_replay_or_take_the_general_path():
    k = wp.ElementwiseKernel("T x", "T y", "y = x * 3", "triple_fp")
    base = wp.zeros((4, 4), dtype=wp.float32)
    for _ in range(3):
        k(wp.asarray(np.arange(4, dtype=np.float32)), base[:, 1])  # a strided output view
    want = np.zeros((4, 4), np.float32)
    want[:, 1] = np.arange(4) * 3
    np.testing.assert_array_equal(base.get(), want)


def test_no_return_and_tuples():
    k = wp.ElementwiseKernel("T x", "T y, T z", "y = x; z = -x", "pair_fp")
    x = wp.asarray(np.arange(3, dtype=np.float32))
    for _ in range(2):
        _, z = k(x)
        np.testing.assert_array_equal(z.get(), -np.arange(3))
    k.no_return = True
    assert k(x) is None


def test_ufuncs_replay(general):
    x = wp.asarray(np.arange(6, dtype=np.float32))
    y = wp.asarray(np.full(6, 2.0, np.float32))
    for _ in range(3):
        np.testing.assert_array_equal((x + y).get(), np.arange(6) + 2.0)
    calls = len(general)
    for s in (1.5, 2.5, 3):
        np.testing.assert_array_equal((x * s).get(), np.arange(6, dtype=np.float32) * s)
    z = wp.zeros(6, dtype=wp.float32)
    for _ in range(3):
        wp.add(x, y, out=z)
    np.testing.assert_array_equal(z.get(), np.arange(6) + 2.0)
    assert len(general) - calls <= 3  # x * float, x * int, add(out=)
    a = wp.asarray(np.arange(6, dtype=np.float32))
    for _ in range(3):
        a += 1
    np.testing.assert_array_equal(a.get(), np.arange(6) + 3)
    b, host = wp.asarray(np.arange(6, dtype=np.int32)), np.arange(6, dtype=np.int32)
    for _ in range(2):
        wp.add(b[1:], b[:-1], out=b[1:])  # overlapping views: inputs read before writing
        np.add(host[1:], host[:-1], out=host[1:])
    np.testing.assert_array_equal(b.get(), host)
    i = wp.asarray(np.arange(3, dtype=np.int8))
    (i + 1).get()
    with pytest.raises(OverflowError):
        i + 300


def test_clearing_the_program_cache_drops_plans(general):
    k = _sq()
    x = wp.asarray(np.arange(3, dtype=np.float32))
    k(x, x)
    k(x, x)
    wp.clear_program_cache()
    k(x, x)
    assert len(general) == 2
    assert not _fastpath.find(wp.ElementwiseKernel("T x", "T y", "y = x", "never_fp"), (x,))
    assert _launch.cached_programs() >= 1


@pytest.mark.parametrize(
    "params",
    [
        ("T x", "T y", "y += x"),  # reads its output's old contents
        ("raw T x, int32 idx", "T y", "y = x[idx]"),
        (
            "T x",
            "T a, T b, T c, T d, T e, T f",
            "a = x; b = x + 1; c = x + 2; d = x + 3; e = x + 4; f = x + 5",
        ),  # output groups on GLSL
        ("T x", "raw T y", "y[i] = x * 2"),
    ],
)
def test_replays_match_the_general_path(params, general):
    def make():
        return wp.ElementwiseKernel(*params, f"k_{np.random.randint(1 << 30)}")

    def args():
        x = wp.asarray(np.arange(5, dtype=np.float32) * 1.5)
        if "idx" in params[0]:
            return [x, wp.asarray(np.array([4, 0, 3, 1, 2], np.int32))], 5
        return [x], 5

    k = make()
    for _ in range(3):
        (ins, n), (ins2, _) = args(), args()
        outs = [wp.asarray(np.full(n, 7.0, np.float32)) for _ in params[1].split(",")]
        outs2 = [wp.asarray(np.full(n, 7.0, np.float32)) for _ in params[1].split(",")]
        k(*ins, *outs)
        make()(*ins2, *outs2)
        for o, o2 in zip(outs, outs2):
            np.testing.assert_array_equal(o.get(), o2.get())
    assert len(general) == 1 + 3  # k once; each fresh kernel once


def test_in_place_ufuncs_read_the_output_and_replay(general, monkeypatch):
    """`z += x` runs a kernel that reads `z` through its output binding (no copy of `z`
    first), replays, and a call of the same signature on distinct buffers does not take
    the in-place plan."""
    copies = []
    real = wp.ndarray.copy
    monkeypatch.setattr(wp.ndarray, "copy", lambda self, *a, **k: copies.append(1) or real(self))
    x = wp.asarray(np.arange(6, dtype=np.float32))
    z, host = wp.asarray(np.ones(6, np.float32)), np.ones(6, np.float32)
    for _ in range(3):
        z += x
        host += np.arange(6, dtype=np.float32)
    np.testing.assert_array_equal(z.get(), host)
    calls = len(general)
    assert calls == 1  # the first call only
    for _ in range(2):
        w = wp.asarray(np.full(6, 5.0, np.float32))
        wp.add(w, x, out=z)  # same signature as z += x, another buffer: not in place
        np.testing.assert_array_equal(z.get(), 5.0 + np.arange(6))
        wp.add(x, z, out=z)  # the second input in place
        np.testing.assert_array_equal(z.get(), 5.0 + 2 * np.arange(6))
    m = wp.asarray(np.arange(12, dtype=np.float32).reshape(3, 4))
    m[1] -= m[2]  # a view in place
    np.testing.assert_array_equal(m.get()[1], [-4, -4, -4, -4])
    assert not copies


def test_launches_between_waits_keep_their_own_uniforms_and_buffers():
    """Launches recorded back to back, without a wait: one block of uniforms is shared by
    consecutive launches only when its bytes are the same (scalars differ: refilled), and
    programs of one layout and one set of buffers each run their own code."""
    k = wp.ElementwiseKernel("T x, T a", "T y", "y = x * a", "scale_fp")
    x = wp.asarray(np.arange(8, dtype=np.float32))
    y = wp.asarray(np.ones(8, np.float32))
    factors = [2, 2, 3, 3, 2, -1]
    outs = [k(x, np.float32(a)) for a in factors]
    z, w = wp.empty(8, np.float32), wp.empty(8, np.float32)
    wp.add(x, y, out=z)
    wp.multiply(x, y, out=z)  # same buffers and uniforms, another program
    wp.subtract(z, y, out=w)
    for a, out in zip(factors, outs):
        np.testing.assert_array_equal(out.get(), np.arange(8) * a)
    np.testing.assert_array_equal(w.get(), np.arange(8) - 1)


def test_replays_see_host_writes_and_reused_buffers():
    """A replayed launch binds the buffers of the moment: host writes between launches are
    read, and a pooled buffer taken again under another dtype is not bound as the old one."""
    x = wp.asarray(np.arange(6, dtype=np.float32))
    z = wp.asarray(np.zeros(6, np.float32))
    for k in range(3):
        z += x
        z[...] = wp.asarray(np.full(6, k, np.float32))
        z += x
        np.testing.assert_array_equal(z.get(), k + np.arange(6))
    k = wp.ElementwiseKernel("T x", "T y", "y = x + 1", "plus_one_fp")
    for _ in range(2):
        a = wp.asarray(np.arange(6, dtype=np.float32))
        np.testing.assert_array_equal(k(a).get(), np.arange(6) + 1)
        del a  # its buffer goes back to the pool: the int32 array below may take it
        b = wp.asarray(np.arange(6, dtype=np.int32))
        got = k(b)
        assert got.dtype == np.int32
        np.testing.assert_array_equal(got.get(), np.arange(6) + 1)
        del b


def test_overlapping_given_outputs_copy_on_every_replay(general):
    """An input overlapping the output (not the same view) is copied on every call, replays
    included; a call of that signature on distinct buffers takes a plan of its own."""
    host = np.arange(8, dtype=np.float32)
    m = wp.asarray(host)
    for _ in range(3):
        wp.add(m[:-1], m[1:], out=m[1:])
        host[1:] = host[:-1] + host[1:]
        np.testing.assert_array_equal(m.get(), host)
    a, b = wp.asarray(np.ones(8, np.float32)), wp.asarray(np.zeros(8, np.float32))
    for _ in range(2):
        wp.add(a[:-1], a[1:], out=b[1:])
        np.testing.assert_array_equal(b.get(), [0] + [2] * 7)


def test_ufunc_scalars_convert_as_numpy_on_replay():
    x = wp.asarray(np.arange(4, dtype=np.float32))
    h = np.arange(4, dtype=np.float32)
    i = wp.asarray(np.arange(4, dtype=np.int16))
    hi = np.arange(4, dtype=np.int16)
    with np.errstate(all="ignore"):
        for _ in range(2):
            for s in (2.0, 0.1, 1e39, -1e300, float("nan"), 3):
                np.testing.assert_array_equal((x * s).get(), h * s)
            for s in (2, -7, 32767, True):
                np.testing.assert_array_equal((i + s).get(), hi + s)
    with pytest.raises(OverflowError):
        i + 40000


# ---------------------------------------------------------------------------- matmul


@pytest.fixture
def products(monkeypatch):
    """A list that grows by one per product taking `matmul`'s general path."""
    return _counted(monkeypatch, linalg._products, "launch")


def _mat(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


MATMUL_TOL = {"rtol": 1e-5, "atol": 1e-5}


def test_matmul_of_transposed_operands_replays(products):
    """Linear layers: x @ W.T and gy.T @ x, fresh arrays each call; one general call each."""
    for step in range(3):
        x, w, gy = _mat((16, 64), step), _mat((32, 64), 10 + step), _mat((16, 32), 20 + step)
        y = wp.asarray(x).dot(wp.asarray(w).T)
        gw = wp.asarray(gy).T.dot(wp.asarray(x))
        np.testing.assert_allclose(y.get(), x @ w.T, **MATMUL_TOL)
        np.testing.assert_allclose(gw.get(), gy.T @ x, **MATMUL_TOL)
    assert len(products) == 2


def test_matmul_into_out_replays_and_sees_host_writes(products):
    x, w = wp.asarray(_mat((8, 24), 1)), wp.asarray(_mat((12, 24), 2))
    out = wp.zeros((8, 12), dtype=wp.float32)
    for step in range(3):
        host = _mat((8, 24), 3 + step)
        x._buf.write(0, host)  # the same buffer, new contents
        assert wp.dot(x, w.T, out=out) is out
        np.testing.assert_allclose(out.get(), host @ w.get().T, **MATMUL_TOL)
    assert len(products) == 1


def test_matmul_out_sharing_an_operand_takes_the_general_path(products):
    """A plan recorded on distinct buffers is not replayed for an output that is an
    operand's buffer: NumPy reads the operands before writing."""
    w = _mat((6, 6), 4)
    for _ in range(2):
        wp.matmul(wp.asarray(_mat((6, 6), 5)), wp.asarray(w), out=wp.zeros((6, 6), wp.float32))
    x = wp.asarray(_mat((6, 6), 6))
    want = x.get() @ w
    wp.matmul(x, wp.asarray(w), out=x)
    np.testing.assert_allclose(x.get(), want, **MATMUL_TOL)
    assert len(products) == 2


def test_matmul_replays_keep_the_general_paths_errors_and_other_forms(products):
    a, b = wp.asarray(_mat((4, 5), 7)), wp.asarray(_mat((5, 3), 8))
    for _ in range(2):
        np.testing.assert_allclose((a @ b).get(), a.get() @ b.get(), **MATMUL_TOL)
    with pytest.raises(ValueError, match="mismatch in its core dimension"):
        wp.matmul(a, a)
    v = wp.asarray(_mat((5,), 9))
    for _ in range(2):  # squeezed results and int operands: never replayed
        np.testing.assert_allclose((a @ v).get(), a.get() @ v.get(), **MATMUL_TOL)
    i = wp.asarray(np.arange(20, dtype=np.int32).reshape(4, 5))
    for _ in range(2):
        got = wp.matmul(i, b)
        assert got.dtype == np.float64 or got.dtype == np.float32
        np.testing.assert_allclose(got.get(), i.get() @ b.get(), rtol=1e-5)
    assert len(products) == 1 + 2 + 2


def test_matmul_replays_make_its_temporaries_again(products):
    """A long K with few outputs runs as partial products of chunks of K and their sum:
    the partials are a temporary, made again by every replay."""
    k = 2 * linalg._products.MIN_K
    assert linalg._products.k_splits(20 * 24, k) > 1
    for step in range(3):
        a, b = _mat((20, k), 30 + step), _mat((k, 24), 40 + step)
        got = wp.asarray(a) @ wp.asarray(b)
        np.testing.assert_allclose(got.get(), a @ b, rtol=1e-4, atol=1e-3)
    assert len(products) == 1


def test_float64_products_by_slices_replay_bit_for_bit(products, monkeypatch):
    """A float64 product by slices makes eight temporaries (maxima, slices, magnitudes,
    slice products, ...): its replays give the general path's results bit for bit. (GLSL
    writes its slice products, views of one buffer, through dense temporaries: not a
    direct launch, so never replayed.)"""
    monkeypatch.setattr(linalg._products, "SPLIT_MULTIPLY_ADDS", 1)
    monkeypatch.setattr(linalg._products, "UNFOLDED_SPLIT_MULTIPLY_ADDS", 1)
    rng = np.random.default_rng(50)
    operands = [(rng.standard_normal((9, 40)), rng.standard_normal((40, 7))) for _ in range(3)]
    replayed = [(wp.asarray(a) @ wp.asarray(b)).get() for a, b in operands]
    assert len(products) == (1 if wp.device.current_device().capabilities.can_scatter else 3)
    _fastpath.clear()
    for (a, b), got in zip(operands, replayed):
        general = (wp.asarray(a) @ wp.asarray(b)).get()
        np.testing.assert_array_equal(got, general)
        np.testing.assert_allclose(got, a @ b, rtol=1e-13, atol=1e-13)
    _fastpath.clear()  # later tests of this shape take their own rule


def test_replays_hold_a_temporary_from_its_first_launch_to_its_last():
    """Arrays 0 and 1, temporaries 2 and 3: each is made before its first launch and let
    go after its last, as the general path's temporaries come and go."""
    steps = [("l0", (0, 2)), ("l1", (2, 3)), ("l2", (3, 1))]
    got = _fastpath._with_temporaries(steps, 2, ["t2", "t3"])
    assert [(made, dropped) for *_, made, dropped in got] == [
        (((2, "t2"),), ()),
        (((3, "t3"),), (2,)),
        ((), (3,)),
    ]


def _capture_with_temporary(a, made: str):
    """(a + t) with t a temporary made by a fill kernel, written from the host, or copied
    on the device from one made by a fill kernel."""
    with _fastpath.capturing() as launches:
        if made == "host":
            t = wp.asarray(np.full(a.shape, 2, np.float32))
        else:
            t = wp.full(a.shape, 2.0, dtype=np.float32)
            t = t.copy() if made == "copy" else t
        out = wp.add(a, t)
    return out, launches


@pytest.mark.parametrize("made, replayed", [("host", False), ("copy", False), ("fill", True)])
def test_a_call_is_replayed_only_where_its_launches_are_all_it_did(made, replayed):
    a = wp.asarray(np.arange(6, dtype=np.float32))
    out, launches = _capture_with_temporary(a, made)
    _fastpath.record_call(_capture_with_temporary, (a,), [out], launches)
    plan = _fastpath.find(_capture_with_temporary, (a,))
    _capture_with_temporary.__dict__.pop("_fast_plans", None)
    assert (plan is not None) is replayed
    if replayed:
        np.testing.assert_array_equal(plan((a,))[0].get(), np.arange(6) + 2.0)


def test_ufunc_calls_with_a_dtype_replay_by_dtype(general):
    """Chainer's relu: `maximum(x, 0, dtype=x.dtype)`; the dtype is part of the key."""
    h = np.linspace(-2, 2, 12, dtype=np.float32)
    for step in range(3):
        x = wp.asarray(h + step)
        got = wp.maximum(x, 0, dtype=x.dtype)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got.get(), np.maximum(h + step, 0, dtype=np.float32))
    assert len(general) == 1
    for _ in range(2):
        wide = wp.maximum(x, 0, dtype=np.dtype(np.float64))
        assert wide.dtype == np.float64
        np.testing.assert_array_equal(wide.get(), np.maximum(h + 2, 0, dtype=np.float64))
    assert len(general) == 2
    for _ in range(2):  # a dtype given as a string: the ufunc's general path, its kernel's plan
        np.testing.assert_array_equal(wp.maximum(x, 0, dtype="f4").get(), np.maximum(h + 2, 0))
    assert len(general) == 2


# ---------------------------------------------------------------------------- copies


@pytest.fixture
def copies(monkeypatch):
    """A list that grows by one per copy taking `copy_into`'s general path."""
    return _counted(monkeypatch, _launch, "copy_into")


@pytest.mark.parametrize("dtype", ["float32", "complex64", "int8"])
def test_strided_copies_replay(copies, dtype):
    """`ascontiguousarray` of a rolled view (a convolution's output, every iteration):
    fresh arrays each call, one general copy; contiguous copies are device copies, taken
    every time."""
    rng = np.random.default_rng(0)
    for _ in range(3):
        host = (rng.standard_normal((2, 3, 4, 5)) * 9).astype(dtype)
        got = wp.ascontiguousarray(wp.rollaxis(wp.asarray(host), 3, 1))
        np.testing.assert_array_equal(got.get(), np.ascontiguousarray(np.rollaxis(host, 3, 1)))
        assert got.flags.c_contiguous
        np.testing.assert_array_equal(wp.asarray(host).copy().get(), host)
    assert len(copies) == 1 + 3


def test_a_capture_inside_another_shows_the_outer_one_its_launches():
    """A strided copy captures its own launch; an enclosing capture (a function of several
    launches around it) still sees that launch, so it never records a plan without it."""
    view = wp.rollaxis(wp.asarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4)), 2, 0)
    with _fastpath.capturing() as outer:
        wp.ascontiguousarray(view)
    assert [program.abi.kernel for _, program, *_ in outer] == ["wp_copy"]
