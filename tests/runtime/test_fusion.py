"""`fuse`: a function of elementwise operations runs as one kernel and returns exactly
what the same function returns unfused (same dtypes, same bits), on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import wgpy_runtime as wp
from tests.runtime.helpers import wgpy_backend  # noqa: F401  (runs each test per backend)
from wgpy_runtime import _fusion_reroll, fusion
from wgpy_runtime._fusion_reroll import reroll
from wgpy_runtime.device import current_device


@pytest.fixture
def launches(monkeypatch):
    """The number of programs the current device has launched since the fixture (its
    `dispatch`, and `launch` of prepared calls)."""
    count = [0]
    device = current_device()
    for name in ("dispatch", "launch"):
        method = getattr(device, name, None)
        if method is not None:
            monkeypatch.setattr(device, name, _counted(method, count))
    return count


def _counted(method, count):
    def counting(*args, **kwargs):
        count[0] += 1
        return method(*args, **kwargs)

    return counting


def _sigmoid(x):
    half = x.dtype.type(0.5)  # as Chainer's fused LSTM helpers write it
    return wp.tanh(x * half) * half + half


def arithmetic(x, y):
    return wp.exp(x) * y + 2.5, x > y


def mixed(x, i, s):
    return (x * i - s) // 3, i % 4 + 1, wp.maximum(x, s).astype(np.float16)


def selected(x, y):
    return wp.where(x > 0, x, y * 2) + abs(y)


def lstm_like(c_prev, a, i, f):
    c = wp.tanh(a) * _sigmoid(i) + _sigmoid(f) * c_prev
    return c, wp.tanh(c)


FUNCTIONS = [arithmetic, mixed, selected, lstm_like]


def _arguments(function, rng):
    x = rng.standard_normal(257).astype(np.float32)
    y = rng.standard_normal(257).astype(np.float32)
    if function is mixed:
        return [x, rng.integers(-50, 50, 257).astype(np.int32), 1.75]
    if function is lstm_like:
        return [x, y, x[::-1].copy(), y[::-1].copy()]
    return [x, y]


def _device(args):
    return [wp.asarray(a) if isinstance(a, np.ndarray) else a for a in args]


def _host(result):
    return [r.get() for r in (result if isinstance(result, tuple) else (result,))]


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.__name__)
def test_a_fused_function_is_one_launch_with_the_unfused_results(function, launches):
    args = _arguments(function, np.random.default_rng(0))
    eager = _host(function(*_device(args)))
    launches[0] = 0
    fused = _host(wp.fuse(function)(*_device(args)))
    assert launches[0] == 1
    assert [r.dtype for r in fused] == [r.dtype for r in eager]
    for got, want in zip(fused, eager):
        np.testing.assert_array_equal(got, want)


def test_broadcasting_and_a_second_call_reuse_the_trace(launches):
    fused = wp.fuse(kernel_name="scaled_sum")(lambda x, y: x * 2 + y)
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    y = np.arange(4, dtype=np.float32)
    for _ in range(2):
        launches[0] = 0
        got = fused(wp.asarray(x), wp.asarray(y)).get()
        assert launches[0] == 1
        np.testing.assert_array_equal(got, x * 2 + y)
    assert len(fused._plans) == 1


def test_inputs_assigned_in_place_are_written_and_read_before():
    @wp.fuse
    def step(x, g, lr):
        y = x * 1  # reads x before the update below
        x -= lr * g
        g[:] = g * 0
        return y

    x0 = np.linspace(-1, 1, 50, dtype=np.float32)
    g0 = np.full(50, 3, np.float32)
    x, g = wp.asarray(x0), wp.asarray(g0)
    y = step(x, g, 0.5)
    np.testing.assert_array_equal(y.get(), x0)
    np.testing.assert_array_equal(x.get(), x0 - np.float32(0.5) * g0)
    np.testing.assert_array_equal(g.get(), np.zeros(50, np.float32))


def test_what_cannot_be_fused_runs_unfused(launches):
    @wp.fuse
    def normalised(x):
        return x / x.sum()  # a reduction: not one elementwise kernel

    x = np.arange(1, 9, dtype=np.float32)
    np.testing.assert_allclose(normalised(wp.asarray(x)).get(), x / x.sum(), rtol=1e-6)
    assert launches[0] > 1


def test_host_arguments_only_call_the_function():
    assert wp.fuse(lambda a, b: a * b + 1)(3, 4) == 13


def test_a_loop_of_the_function_unrolls_into_the_kernel_with_shared_constants(launches):
    """The Mandelbrot iteration composed from ops, fused: one launch, the composed counts,
    and the constants of the loop (2, 4, 0.0, -0.0) passed once each."""

    def mandelbrot(cx, cy):
        zr, zi, count = cx * 0.0, cx * -0.0, (cx * 0).astype(np.int32)
        for _ in range(12):
            zr, zi = zr * zr - zi * zi + cx, 2 * zr * zi + cy
            count += (zr * zr + zi * zi <= 4).astype(np.int32)
        return count, zi

    grid = np.linspace(-2, 1, 24, dtype=np.float32)
    cx = np.repeat(grid[None, :], 24, axis=0)
    cy = cx.T * 1.0
    fused = wp.fuse(mandelbrot)
    count, _ = fused(wp.asarray(cx), wp.asarray(cy))
    assert launches[0] == 1
    eager_count, _ = mandelbrot(wp.asarray(cx), wp.asarray(cy))
    np.testing.assert_array_equal(count.get(), eager_count.get())
    (plan,) = fused._plans.values()
    assert len(plan.constants) == 5  # 0.0, -0.0, 0, 2, 4


def _unrolled(monkeypatch, function, *args):
    """`function` fused with its loop left unrolled, as the reference."""
    with monkeypatch.context() as m:
        m.setattr(fusion, "reroll", lambda lines: lines)
        return _host(wp.fuse(function)(*args))


def test_a_long_loop_is_rerolled_into_a_loop_with_the_same_bits(monkeypatch):
    """200 traced iterations become a `for` loop of 25 iterations over 8 copies (the
    source stays small enough for WebGL's shader compilers); the counts and the last zi,
    carried out of the loop, are the unrolled kernel's bit for bit."""

    def mandelbrot(cx, cy):
        zr, zi, count = cx * 0.0, cx * 0.0, (cx * 0).astype(np.int32)
        for _ in range(200):
            zr, zi = zr * zr - zi * zi + cx, 2 * zr * zi + cy
            count += (zr * zr + zi * zi <= 4).astype(np.int32)
        return count, zi

    cx = np.repeat(np.linspace(-2, 1, 16, dtype=np.float32)[None, :], 16, axis=0)
    args = (wp.asarray(cx), wp.asarray(cx.T * 1.0))
    fused = wp.fuse(mandelbrot)
    with np.errstate(all="ignore"):
        got = _host(fused(*args))
        want = _unrolled(monkeypatch, mandelbrot, *args)
    (plan,) = fused._plans.values()
    body = plan.kernel.operation.splitlines()
    assert "for (int _n = 0; _n < 25; ++_n) {" in body and len(body) < 8 * 15 + 20
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_a_loop_that_settles_stops_with_the_bits_of_every_iteration(monkeypatch):
    """Newton's square root in float32 settles on a value (or between two neighbours,
    which eight copies per iteration repeat), repeated squaring in float64 on 0, 1, Inf
    or NaN, and int64 counters of the steps that changed something stop with them: the
    rerolled loop ends where its carried values no longer change, with the unrolled
    kernel's bits."""

    def settle(a, x, w):
        steps = (a * 0).astype(np.int64)
        for _ in range(48):
            nxt = (x + a / x) * np.float32(0.5)
            steps += (nxt != x).astype(np.int64)
            x, w = nxt, w * w
        return x, w, steps

    a = np.array([0.0, -0.0, 2.0, 1e-30, 1e30, 7.0, np.inf, np.nan, -1.0, 3.0], np.float32)
    w = np.array([0.5, -0.0, 1.0, -1.5, np.nan, 1e-300, -1e300, 0.999, 2.0, -0.0])
    args = (wp.asarray(a), wp.asarray(np.where(a == 0, a, 1).astype(np.float32)), wp.asarray(w))
    fused = wp.fuse(settle)
    with np.errstate(all="ignore"):
        got = _host(fused(*args))
        want = _unrolled(monkeypatch, settle, *args)
    (plan,) = fused._plans.values()
    assert f"if ({_fusion_reroll.SETTLED}) break;" in plan.kernel.operation.splitlines()
    for g, v in zip(got, want):
        np.testing.assert_array_equal(g.view(np.uint8), v.view(np.uint8))


def test_loops_that_do_not_reroll_keep_their_results(monkeypatch):
    """A value from two iterations back (Fibonacci) and a carried value whose dtype
    changes after the first iteration cannot be one loop copy: the trace stays as it is
    or is rerolled where it can be, with the same results."""

    def fibonacci(x):
        a, b = x, x + 1
        for _ in range(40):
            a, b = b, a * 0.5 + b * 0.25
        return b

    def promoted(x, k):
        acc = k
        for _ in range(40):
            acc = acc + x * 0.5
        return acc

    x = np.linspace(-1, 1, 33, dtype=np.float32)
    k = np.arange(33, dtype=np.int32)
    for function, args in ((fibonacci, (x,)), (promoted, (x, k))):
        device_args = [wp.asarray(a) for a in args]
        got = _host(wp.fuse(function)(*device_args))
        want = _unrolled(monkeypatch, function, *device_args)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[0], _host(function(*device_args))[0])


def test_reroll_refuses_a_copy_that_reads_two_copies_back(monkeypatch):
    """t_k = t_(k-2) + t_(k-1) repeats one line: a loop iteration of one copy cannot
    carry two of them, so the lines stay as they are; of eight copies it can."""
    lines = ["float _t1 = _x0;", "float _t2 = _x1;"]
    lines += [f"float _t{k} = _t{k - 2} + _t{k - 1};" for k in range(3, 90)] + ["_y0 = _t89;"]
    assert "for (int _n = 0; _n < 10; ++_n) {" in reroll(lines)
    monkeypatch.setattr(_fusion_reroll, "UNROLL", 1)
    assert reroll(lines) == lines
