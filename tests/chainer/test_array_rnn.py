"""Chainer's array, connection and RNN kernels (chainer/functions/array, connection, rnn)
and the kernels of chainer/utils/walker_alias.py and chainer/gradient_check.py, run on both
targets as Chainer's GPU code calls them, against NumPy.

Rule: Chainer's views are passed as views: LSTM gates are strided slices of one array and
their gradients are written through such slices, resize_images' indices and weights are
0-stride broadcasts, numerical_grad accumulates into a 0-d view of its gradient array.
WebGL runs the scatter, atomic and more-than-4-output kernels on the interpreter
(docs/coverage.md). pad_sequence_fwd reads device pointers (`reinterpret_cast<const T*>`)
and has no translation on either target, so it is not run here.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.chainer import refs
from tests.chainer.harness import run_elementwise, run_reduction


def normal(rng, shape, scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ---------------------------------------------------------------- array


def test_inverse_indices(target):
    """Permutate(inv=True): r[indices[i]] = i, a scatter into a raw r."""
    indices = np.random.default_rng(1).permutation(50).astype(np.int32)
    r = np.full_like(indices, -1)  # xp.empty_like(indices)
    ran = run_elementwise(target, "inverse_indices", indices, r)
    refs.expect(ran, np.argsort(indices).astype(np.int32), target, glsl_fallback=True)


def labels(rng) -> np.ndarray:
    """A class label per sample: 12 samples, 7 classes."""
    return rng.integers(0, 7, 12).astype(np.int32)


def test_getitem_fwd(target):
    """select_item: y[i] = x[i, t[i]] (a 2-d raw index `{i, t}`)."""
    rng = np.random.default_rng(2)
    x, t = normal(rng, (12, 7)), labels(rng)
    ran = run_elementwise(target, "getitem_fwd", t, x)
    refs.expect(ran, x[np.arange(len(t)), t], target, rtol=0)


def test_getitem_bwd(target):
    """Assign: gx[i, t[i]] = gloss[i] into zeros."""
    rng = np.random.default_rng(3)
    gloss, t = normal(rng, 12), labels(rng)
    gx = np.zeros((12, 7), np.float32)
    ran = run_elementwise(target, "getitem_bwd", t, gloss, gx)
    want = np.zeros_like(gx)
    want[np.arange(len(t)), t] = gloss
    refs.expect(ran, want, target, glsl_fallback=True, rtol=0)


def test_transpose_sequence(target):
    """Sequences of lengths 5, 4, 4, 2, 1 (sorted, as TransposeSequence requires) become
    5 time steps of 5, 4, 3, 3, 1 batch entries, in one raw output."""
    rng = np.random.default_rng(4)
    xs = [normal(rng, (n, 3)) for n in (5, 4, 4, 2, 1)]
    length = len(xs[0])
    lengths = np.array([sum(len(x) > p for x in xs) for p in range(length)], np.int32)
    offsets1 = np.concatenate([[0], np.cumsum([len(x) for x in xs])]).astype(np.int32)
    offsets2 = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    x = np.concatenate(xs, axis=0)
    o = np.full_like(x, np.nan)
    unit = xs[0].size // len(xs[0])
    ran = run_elementwise(
        target,
        "transpose_sequence",
        length,
        unit,
        offsets1,
        offsets2,
        x,
        o,
        size=length * len(xs) * unit,
    )
    want = np.concatenate([np.stack([s[p] for s in xs if len(s) > p]) for p in range(length)])
    refs.expect(ran, want, target, glsl_fallback=True, rtol=0)


def resize_indices(out_size, in_size, align_corners: bool):
    """compute_indices_and_weights (bilinear): integer rows/cols (intp) and fractions,
    broadcast to the output grid as 0-stride views."""
    axes = []
    for n_out, n_in in zip(out_size, in_size):
        if align_corners:
            pos = np.linspace(0, n_in - 1, num=n_out)
        else:
            pos = np.maximum((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0)
        frac, whole = np.modf(pos)
        axes.append((whole.astype(np.intp), frac.astype(np.float32)))
    (v, vw), (u, uw) = axes
    return np.broadcast_arrays(v[:, None], u[None, :], vw[:, None], uw[None, :])


RESIZE = {  # (x shape, output size, align_corners)
    "upscale": ((2, 3, 8, 8), (12, 11), False),
    "downscale-align_corners": ((2, 3, 9, 8), (5, 6), True),
}


@pytest.mark.parametrize("case", RESIZE.values(), ids=RESIZE.keys())
def test_resize_images_interpolate_bilinear(target, case):
    shape, (out_h, out_w), align_corners = case
    x = normal(np.random.default_rng(5), shape)
    b, c, h, w = shape
    v, u, vw, uw = resize_indices((out_h, out_w), (h, w), align_corners)
    y = np.full((b, c, out_h, out_w), np.nan, np.float32)
    ran = run_elementwise(
        target, "resize_images_interpolate_bilinear", x, v, u, vw, uw, h, w, out_h * out_w, y
    )
    v1, u1 = np.minimum(v + 1, h - 1), np.minimum(u + 1, w - 1)
    x64, vw, uw = x.astype(np.float64), vw.astype(np.float64), uw.astype(np.float64)
    want = (
        (1 - vw) * (1 - uw) * x64[..., v, u]
        + (1 - vw) * uw * x64[..., v, u1]
        + vw * (1 - uw) * x64[..., v1, u]
        + vw * uw * x64[..., v1, u1]
    )
    refs.expect(ran, want, target, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", RESIZE.values(), ids=RESIZE.keys())
def test_resize_images_interpolate_grad_bilinear(target, case):
    shape, (out_h, out_w), align_corners = case
    b, c, h, w = shape
    gy = normal(np.random.default_rng(6), (b, c, out_h, out_w))
    v, u, vw, uw = resize_indices((out_h, out_w), (h, w), align_corners)
    gx = np.zeros((b * c, h, w), np.float32)
    ran = run_elementwise(
        target, "resize_images_interpolate_grad_bilinear", gy, v, u, vw, uw, h, w, out_h * out_w, gx
    )
    v1, u1 = np.minimum(v + 1, h - 1), np.minimum(u + 1, w - 1)
    vw, uw = vw.astype(np.float64), uw.astype(np.float64)
    want = np.zeros((b * c, h, w))
    g = gy.reshape(b * c, out_h, out_w).astype(np.float64)
    for rows, cols, weight in (
        (v, u, (1 - vw) * (1 - uw)),
        (v, u1, (1 - vw) * uw),
        (v1, u, vw * (1 - uw)),
        (v1, u1, vw * uw),
    ):
        for k in range(b * c):
            np.add.at(want[k], (rows, cols), weight * g[k])
    refs.expect(ran, want, target, glsl_fallback=True, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- connection


def embed_inputs(seed: int, ignore_label=None):
    """Word ids (batch 3, length 5) of a vocabulary of 10, with repeats; gy per word."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 10, (3, 5)).astype(np.int32)
    if ignore_label is not None:
        x[:, -2:] = ignore_label  # padding at the end of the sentences
    return x, normal(rng, (3, 5, 4))


@pytest.mark.parametrize("ignore_label", [None, -1], ids=["no_ignore", "ignore=-1"])
def test_embed_id_bwd(target, ignore_label):
    """EmbedIDGrad: atomicAdd of gy into the rows gW[x] (a 2-d raw index)."""
    x, gy = embed_inputs(7, ignore_label)
    gW = np.zeros((10, 4), np.float32)
    if ignore_label is None:
        ran = run_elementwise(target, "embed_id_bwd", gy, x[..., None], gW.shape[1], gW)
    else:
        ran = run_elementwise(
            target, "embed_id_bwd_ignore_label", gy, x[..., None], gW.shape[1], ignore_label, gW
        )
    want = np.zeros(gW.shape)
    keep = x != ignore_label
    np.add.at(want, x[keep], gy[keep])
    refs.expect(ran, want, target, glsl_fallback=True, rtol=1e-5, atol=1e-6)


SHIFT = {  # (x shape, ksize, dilate): channels in kh * kw groups, the rest unshifted
    "k3-c18": ((2, 18, 5, 6), (3, 3), (1, 1)),
    "k3-c11-dilate2": ((2, 11, 6, 5), (3, 3), (2, 2)),
    "k3x5-backward": ((1, 16, 5, 7), (3, 5), (-1, -1)),  # the gradient shifts back
}


def shift_ref(x, ksize, dilate):
    kh, kw = ksize
    n_groups = kh * kw
    group_size = x.shape[1] // n_groups
    y = np.zeros_like(x)
    h, w = x.shape[2:]
    for ch in range(x.shape[1]):
        g = ch // group_size
        g = {(n_groups - 1) // 2: n_groups - 1, n_groups - 1: (n_groups - 1) // 2}.get(g, g)
        ky, kx = (g // kw - kh // 2, g % kw - kw // 2) if g < n_groups else (0, 0)
        dy, dx = ky * dilate[0], kx * dilate[1]  # y[r, c] = x[r - dy, c - dx]
        src = x[:, ch, max(0, -dy) : h - max(0, dy), max(0, -dx) : w - max(0, dx)]
        y[:, ch, max(0, dy) : h - max(0, -dy), max(0, dx) : w - max(0, -dx)] = src
    return y


@pytest.mark.parametrize("case", SHIFT.values(), ids=SHIFT.keys())
def test_shift_gpu(target, case):
    shape, (kh, kw), (dy, dx) = case
    x = normal(np.random.default_rng(8), shape)
    _, c, h, w = shape
    y = np.full_like(x, np.nan)
    ran = run_elementwise(target, "shift_gpu", x, c, h, w, kh, kw, dy, dx, y)
    refs.expect(ran, shift_ref(x, (kh, kw), (dy, dx)), target, rtol=0)


# ---------------------------------------------------------------- RNN


def lstm_gates(x):
    """lstm.py's _extract_gates: a, i, f, o interleaved along axis 1 (stride-4 views)."""
    r = x.reshape((len(x), x.shape[1] // 4, 4) + x.shape[2:])
    return [r[:, :, k] for k in range(4)]


def lstm_ref(c_prev, a, i, f, o):
    a, i, f, o = np.tanh(a), sigmoid(i), sigmoid(f), sigmoid(o)
    c = a * i + f * c_prev
    return c, o * np.tanh(c)


def test_lstm_fwd(target):
    """A batch of 4 inputs for 5 cells (the last cell is carried over by Chainer)."""
    rng = np.random.default_rng(9)
    c_prev, x = normal(rng, (5, 6)), normal(rng, (4, 24))
    batch = len(x)
    c_next = np.full_like(c_prev, np.nan)
    h = np.full_like(c_next[:batch], np.nan)
    ran = run_elementwise(target, "lstm_fwd", c_prev[:batch], *lstm_gates(x), c_next[:batch], h)
    want = lstm_ref(c_prev[:batch].astype(np.float64), *lstm_gates(x.astype(np.float64)))
    refs.expect(ran, want, target, rtol=1e-5, atol=1e-6)


def lstm_grad_ref(c_prev, c, gc, gh, a, i, f, o):
    """(gc_prev, ga, gi, gf, go), as LSTMGrad's CPU path."""
    a, i, f, o = np.tanh(a), sigmoid(i), sigmoid(f), sigmoid(o)
    co = np.tanh(c)
    temp = gh * o * (1 - co * co) + gc
    return (
        temp * f,
        temp * i * (1 - a * a),
        temp * a * i * (1 - i),
        temp * c_prev * f * (1 - f),
        gh * co * o * (1 - o),
    )


def test_lstm_bwd(target):
    """LSTMGrad: gc_prev through a slice, the gate gradients through the stride-4 views of
    gx."""
    rng = np.random.default_rng(10)
    c_prev, x, gc = normal(rng, (5, 6)), normal(rng, (4, 24)), normal(rng, (5, 6))
    batch = len(x)
    gh = normal(rng, (batch, 6))
    c_next = lstm_ref(c_prev[:batch].astype(np.float64), *lstm_gates(x))[0].astype(np.float32)
    gx = np.full_like(x, np.nan)
    gc_prev = np.full_like(c_prev, np.nan)
    ran = run_elementwise(
        target,
        "lstm_bwd",
        c_prev[:batch],
        c_next,
        gc[:batch],
        gh,
        *lstm_gates(x),
        gc_prev[:batch],
        *lstm_gates(gx),
        origin="chainer/functions/rnn/lstm.py:172",
    )
    f64 = [a.astype(np.float64) for a in (c_prev[:batch], c_next, gc[:batch], gh)]
    want = lstm_grad_ref(*f64, *lstm_gates(x.astype(np.float64)))
    refs.expect(ran, want, target, glsl_fallback=False, rtol=1e-5, atol=1e-6)
    assert not np.isnan(gx).any()  # every gate of gx written through its view


def slstm_inputs(seed: int):
    rng = np.random.default_rng(seed)
    return [normal(rng, (4, 5)), normal(rng, (4, 5)), normal(rng, (4, 20)), normal(rng, (4, 20))]


def slstm_ref(c_prev1, c_prev2, x1, x2):
    a1, i1, f1, o1 = lstm_gates(x1)
    a2, i2, f2, o2 = lstm_gates(x2)
    c = (
        np.tanh(a1) * sigmoid(i1)
        + sigmoid(f1) * c_prev1
        + np.tanh(a2) * sigmoid(i2)
        + sigmoid(f2) * c_prev2
    )
    return c, sigmoid(o1 + o2) * np.tanh(c)


def test_slstm_fwd(target):
    c_prev1, c_prev2, x1, x2 = slstm_inputs(11)
    ran = run_elementwise(target, "slstm_fwd", c_prev1, *lstm_gates(x1), c_prev2, *lstm_gates(x2))
    want = slstm_ref(*(a.astype(np.float64) for a in (c_prev1, c_prev2, x1, x2)))
    refs.expect(ran, want, target, rtol=1e-5, atol=1e-6)


def test_slstm_bwd(target):
    """SLSTMGrad's kernel (named lstm_bwd too): 13 inputs, 10 outputs."""
    c_prev1, c_prev2, x1, x2 = slstm_inputs(12)
    rng = np.random.default_rng(13)
    gc, gh = normal(rng, (4, 5)), normal(rng, (4, 5))
    c = slstm_ref(c_prev1, c_prev2, x1, x2)[0].astype(np.float32)
    gx1, gx2 = np.full_like(x1, np.nan), np.full_like(x2, np.nan)
    gc_prev1, gc_prev2 = np.full_like(c_prev1, np.nan), np.full_like(c_prev2, np.nan)
    ga1, gi1, gf1, go1 = lstm_gates(gx1)
    ga2, gi2, gf2, go2 = lstm_gates(gx2)
    ran = run_elementwise(
        target,
        "lstm_bwd",
        c_prev1,
        *lstm_gates(x1),
        c_prev2,
        *lstm_gates(x2),
        c,
        gc,
        gh,
        gc_prev1,
        ga1,
        gi1,
        gf1,
        go1,
        gc_prev2,
        ga2,
        gi2,
        gf2,
        go2,
        origin="chainer/functions/rnn/slstm.py:191",
    )
    c_prev1, c_prev2, x1, x2, c, gc, gh = (
        a.astype(np.float64) for a in (c_prev1, c_prev2, x1, x2, c, gc, gh)
    )
    (a1, i1, f1, o1), (a2, i2, f2, o2) = lstm_gates(x1), lstm_gates(x2)
    o, co = sigmoid(o1 + o2), np.tanh(c)
    temp = gh * o * (1 - co * co) + gc
    go = gh * co * o * (1 - o)
    want = []
    for c_prev, a, i, f in ((c_prev1, a1, i1, f1), (c_prev2, a2, i2, f2)):
        a, i, f = np.tanh(a), sigmoid(i), sigmoid(f)
        want += [
            temp * f,
            temp * i * (1 - a * a),
            temp * a * i * (1 - i),
            temp * c_prev * f * (1 - f),
            go,
        ]
    refs.expect(ran, tuple(want), target, glsl_fallback=False, rtol=1e-5, atol=1e-6)


def tree_gates(x, n_ary: int):
    """tree_lstm.py's _extract_gates: a, i, o, f1..fN as thick slices along axis 1."""
    r = x.reshape((x.shape[0], 3 + n_ary, x.shape[1] // (3 + n_ary)) + x.shape[2:])
    return [r[:, k, :] for k in range(3 + n_ary)]


def tree_inputs(seed: int, n_ary: int):
    rng = np.random.default_rng(seed)
    return rng, [normal(rng, (4, 6)) for _ in range(n_ary)], normal(rng, (4, 6 * (3 + n_ary)))


def tree_ref(cs, x):
    a, i, o, *fs = tree_gates(x, len(cs))
    c = np.tanh(a) * sigmoid(i) + sum(sigmoid(f) * cj for f, cj in zip(fs, cs))
    return c, sigmoid(o) * np.tanh(c)


@pytest.mark.parametrize("n_ary", [2, 3])
def test_treelstm_fwd(target, n_ary):
    _, cs, x = tree_inputs(14, n_ary)
    a, i, o, *fs = tree_gates(x, n_ary)
    ran = run_elementwise(target, "treelstm_fwd", a, i, o, *cs, *fs, params={"n_ary": n_ary})
    want = tree_ref([c.astype(np.float64) for c in cs], x.astype(np.float64))
    refs.expect(ran, want, target, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("n_ary", [2, 3])
def test_treelstm_bwd(target, n_ary):
    rng, cs, x = tree_inputs(15, n_ary)
    gc, gh = normal(rng, (4, 6)), normal(rng, (4, 6))
    c = tree_ref(cs, x)[0].astype(np.float32)
    gx = np.full_like(x, np.nan)
    ga, gi, go, *gfs = tree_gates(gx, n_ary)
    gcs = [np.full_like(cj, np.nan) for cj in cs]
    a, i, o, *fs = tree_gates(x, n_ary)
    ran = run_elementwise(
        target,
        "treelstm_bwd",
        c,
        gc,
        gh,
        a,
        i,
        o,
        *cs,
        *fs,
        ga,
        gi,
        go,
        *gcs,
        *gfs,
        params={"n_ary": n_ary},
    )
    c, gc, gh = (v.astype(np.float64) for v in (c, gc, gh))
    a, i, o, *fs = (
        np.tanh(g) if k == 0 else sigmoid(g)
        for k, g in enumerate(tree_gates(x.astype(np.float64), n_ary))
    )
    co = np.tanh(c)
    temp = gh * o * (1 - co * co) + gc
    want = (
        temp * i * (1 - a * a),
        temp * a * i * (1 - i),
        gh * co * o * (1 - o),
        *(temp * f for f in fs),
        *(temp * cj * f * (1 - f) for cj, f in zip(cs, fs)),
    )
    refs.expect(ran, want, target, glsl_fallback=False, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- chainer/utils


def alias_table(probs):
    """Walker's alias table (Vose's construction): slot j returns values[2j] with
    probability threshold[j], else values[2j + 1]."""
    n = len(probs)
    scaled = list(np.asarray(probs, np.float64) / np.sum(probs) * n)
    small = [k for k in range(n) if scaled[k] < 1]
    large = [k for k in range(n) if scaled[k] >= 1]
    slots = []
    while small and large:
        s, big = small.pop(), large.pop()
        slots.append((scaled[s], s, big))
        scaled[big] -= 1 - scaled[s]
        (small if scaled[big] < 1 else large).append(big)
    slots += [(1.0, k, k) for k in small + large]
    threshold = np.array([t for t, _, _ in slots], np.float32)
    values = np.array([v for _, left, right in slots for v in (left, right)], np.int32)
    return threshold, values


def test_walker_alias_sample(target):
    """Samples of a word distribution (NegativeSampling's sampler); ps holds one 1.0,
    which cuRAND's uniform can return and the kernel maps to slot 0."""
    rng = np.random.default_rng(16)
    threshold, values = alias_table(rng.uniform(0.1, 3, 10) ** 2)
    ps = rng.uniform(size=(4, 50)).astype(np.float32)
    ps[0, 0] = 1.0
    ran = run_elementwise(target, "walker_alias_sample", ps, threshold, values, len(threshold))
    pb = ps * np.float32(len(threshold))
    index = np.floor(pb).astype(np.int32)
    index[index >= len(threshold)] = 0
    lr = (threshold[index] < pb - index.astype(np.float32)).astype(np.int32)
    refs.expect(ran, values[index * 2 + lr], target)


def numerical_grad(target, f, x, gy, eps, order: int):
    """gradient_check.numerical_grad on the device: per element of x, the sampled outputs
    are reduced by numerical_grad_kernel_1 or _3 into a 0-d view of the float64 gradient."""
    gx, want = np.zeros(x.shape), np.zeros(x.shape)
    for idx in itertools.product(*map(range, x.shape)):
        deltas = (-1, 1) if order == 1 else (-1, -0.5, 0.5, 1)
        ys = []
        for d in deltas:
            xd = x.copy()
            xd[idx] += eps * d
            ys.append(f(xd))
        # the map expression's differences are float32 (T), as on CUDA
        if order == 1:
            args, num = (ys[1], ys[0]), ys[1] - ys[0]
        else:  # yss[4], yss[3], yss[1], yss[0] (yss[2] is the centre)
            args = (ys[3], ys[2], ys[1], ys[0])
            num = -ys[3] + np.float32(8) * ys[2] - np.float32(8) * ys[1] + ys[0]
        ran = run_reduction(
            target, f"numerical_grad_kernel_{order}", *args, gy, eps, gx[idx + (Ellipsis,)]
        )
        assert not ran.fallback
        want[idx] = (num.astype(np.float64) * gy).sum() / (eps * (2 if order == 1 else 6))
    return gx, want


@pytest.mark.parametrize("order", [1, 3], ids=["kernel_1", "kernel_3-detect_nondifferentiable"])
def test_numerical_grad_kernel(target, order):
    """The numerical gradient of y = tanh(x) @ w (float32) for a float64 gy."""
    rng = np.random.default_rng(17)
    x, w = normal(rng, (3, 4)), normal(rng, (4, 5))
    gy = rng.standard_normal((3, 5))
    gx, want = numerical_grad(target, lambda v: np.tanh(v) @ w, x, gy, 1e-3, order)
    np.testing.assert_allclose(gx, want, rtol=1e-4, atol=1e-4)  # float64 held in float32
    analytic = (gy @ w.T) * (1 - np.tanh(x.astype(np.float64)) ** 2)
    np.testing.assert_allclose(gx, analytic, rtol=5e-2, atol=5e-2)  # float32 samples
