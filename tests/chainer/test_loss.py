"""Chainer's loss kernels (chainer/functions/loss, chainer/links/loss) and noise kernels
(chainer/functions/noise) run on both targets and compared with Chainer's CPU code path.

The arguments are the intermediate arrays of a real forward or backward pass, built here
the way Chainer builds them: log-softmax scores and int32 labels with ignored (-1)
entries, a CTC label path of blanks and labels, negative samples with the positive word
first, the paths and codes of a binary tree parsed like `TreeParser`. Kernels that
accumulate with atomics or write other elements (hinge, CTC's label sum, the samplers'
weight gradients) run on the interpreter on GLSL.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.chainer.cases import Case, check, normal, params, uniform

TRANSCENDENTAL = {"rtol": 1e-5, "atol": 1e-6}  # exp and log: a few ulp on every target
ATOMIC = {"rtol": 1e-5, "atol": 1e-6}  # atomics add in any order
F16 = {"rtol": 2e-3, "atol": 1e-3}  # one float16 ulp is 2**-10 relative
IGNORE = -1  # Chainer's default ignore_label


def _log_softmax(x, axis=1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def _labels(r, shape, n_class):
    t = r.integers(0, n_class, shape).astype(np.int32)
    t.reshape(-1)[::5] = IGNORE
    return t


# softmax_cross_entropy. Scores are (N, C) or (N, C, H, W); the kernels index log_y with
# the class axis last, `cupy.rollaxis(log_y, 1, ndim).reduced_view()`: a flat array for
# (N, C), an (N, H*W, C) strided view for images.


def _rolled(log_y):
    n, c = log_y.shape[:2]
    if log_y.ndim == 2:
        return log_y.reshape(-1)
    return np.moveaxis(log_y.reshape(n, c, -1), 1, 2)


def _sce_forward(shape, normalize: bool):
    def make(r):
        log_y = _log_softmax(normal(r, shape, 2.0))
        t = _labels(r, (shape[0],) + shape[2:], shape[1])
        count = max(1, int((t != IGNORE).sum())) if normalize else max(1, len(t))
        coeff = np.array(1.0 / count, np.float32)
        return t, _rolled(log_y), shape[1], coeff, IGNORE

    return make


def _log_p(t, log_y_rolled, n_channel):
    """Chainer's CPU `log_p`: the log-probability of each label, 0 where ignored."""
    log_y = log_y_rolled.reshape(-1, n_channel)
    valid = (t != IGNORE).ravel()
    return log_y[np.arange(t.size), t.ravel() * valid] * valid


def _crossent_fwd(t, log_y, n_channel, coeff, ignore_label):
    return (_log_p(t, log_y, n_channel).sum() * -coeff).astype(np.float32)


def _sce_bwd_args(shape, reduce_mean: bool, weighted: bool):
    def make(r):
        y = np.exp(_log_softmax(normal(r, shape, 2.0)))
        t = _labels(r, (shape[0],) + shape[2:], shape[1])
        if reduce_mean:
            gloss, coeff = np.array(0.7, np.float32), np.array(1.0 / len(t), np.float32)
        else:
            gloss, coeff = normal(r, t.shape)[:, None], np.array(1, np.float32)
        n_unit = t.size // len(t)
        w = (uniform(r, (shape[1],), 0.5, 2.0),) if weighted else ()
        return (y, *w, np.expand_dims(t, 1), gloss, coeff, shape[1], n_unit, IGNORE)

    return make


def _sce_bwd(y, *rest):
    """Chainer's CPU gradient: softmax minus the one-hot label, zero where ignored,
    scaled by the class weight of the label and by gloss * coeff."""
    w, rest = (rest[0], rest[1:]) if len(rest) == 7 else (None, rest)
    t, gloss, coeff, n_channel, _, ignore = rest
    classes = np.arange(n_channel).reshape((1, -1) + (1,) * (y.ndim - 2))
    valid = t != ignore
    gx = (y - (classes == t)) * valid
    if w is not None:
        gx = gx * w[np.where(valid, t, 0)]
    return (gx * (gloss * coeff)).astype(y.dtype)


SOFTMAX_CROSS_ENTROPY = [
    Case(
        "crossent_fwd", _sce_forward((8, 10), normalize=True), _crossent_fwd, reduction={}, tag="fc"
    ),
    Case(
        "crossent_fwd",
        _sce_forward((4, 5, 3, 3), normalize=False),
        _crossent_fwd,
        reduction={},
        tag="image",
    ),
    Case(
        "softmax_crossent_no_reduce_fwd",
        lambda r: _sce_forward((8, 10), True)(r)[:3] + (IGNORE,),
        lambda t, log_y, c, ignore: -_log_p(t, log_y, c).reshape(t.shape),
        tag="fc",
    ),
    Case(
        "softmax_crossent_no_reduce_fwd",
        lambda r: _sce_forward((4, 5, 3, 3), True)(r)[:3] + (IGNORE,),
        lambda t, log_y, c, ignore: -_log_p(t, log_y, c).reshape(t.shape),
        tag="image",
    ),
    Case("softmax_crossent_bwd", _sce_bwd_args((8, 10), True, False), _sce_bwd, tag="mean"),
    Case(
        "softmax_crossent_bwd",
        _sce_bwd_args((4, 5, 3, 3), False, False),
        _sce_bwd,
        tag="image-no-reduce",
    ),
    Case("softmax_crossent_weight_bwd", _sce_bwd_args((8, 10), True, True), _sce_bwd, tag="mean"),
    Case(
        "softmax_crossent_weight_bwd",
        _sce_bwd_args((4, 5, 3, 3), False, True),
        _sce_bwd,
        tag="image-no-reduce",
    ),
]


# hinge: the kernel negates the score of each sample's label in place (a scatter).


def _hinge_args(r):
    x = normal(r, (8, 10))
    return r.integers(0, 10, 8).astype(np.int32), x.copy()


def _hinge_ref(t, bottom_diff):
    bottom_diff[np.arange(len(t)), t] *= -1
    return bottom_diff


HINGE = [Case("hinge_fwd", _hinge_args, _hinge_ref, glsl_fallback=True)]


# CTC: 3 sequences, a vocabulary of 6 with blank 0, label paths `blank l1 blank l2 ...`.
B, V, MAX_LABEL, SEQ = 3, 6, 3, 5
ZERO = -10000000000.0  # Chainer's `zero_padding` for float32: log(0)


def _ctc_path(r):
    labels = r.integers(1, V, (B, MAX_LABEL)).astype(np.int32)
    label_length = np.array([3, 2, 1], np.int32)
    path = np.full((B, 2 * MAX_LABEL + 1), 0, np.int32)
    path[:, 1::2] = labels
    return path, 2 * label_length + 1


def _ctc_transition_args(r):
    path, path_length = _ctc_path(r)
    outside = np.arange(path.shape[1]) >= path_length[:, None]
    prev = np.where(outside, np.float32(ZERO), uniform(r, path.shape, -8.0, 0.0))
    log_y = _log_softmax(normal(r, (B, V), 2.0))
    cum_prob = log_y[np.arange(B)[:, None], path]  # `prob[i]`: this step's path scores
    return prev, path, path_length[:, None], ZERO, log_y, np.empty_like(prev), cum_prob


def _ctc_transition(prev, path, path_length, zero, y, z, cum_prob):
    """Chainer's CPU `_computes_transition`: a log-sum-exp over the three incoming arcs
    (stay, advance, skip a blank between different labels)."""
    zero = np.float32(zero)
    mat = np.full((3,) + prev.shape, zero, np.float32)
    mat[0], mat[1, :, 1:], mat[2, :, 2:] = prev, prev[:, :-1], prev[:, :-2]
    mat[2, :, 2:][path[:, :-2] == path[:, 2:]] = zero
    m = mat.max(axis=0)
    prob = m + np.log(np.exp(mat - m).sum(axis=0))
    outside = np.arange(prev.shape[1]) >= path_length
    prob[outside] = zero
    cum_prob = cum_prob + prob
    prob = prob + y[np.arange(len(prob))[:, None], path]
    # The kernel leaves `zero` outside (Chainer's CPU adds y there, lost at -1e10 in float32)
    prob[outside] = zero
    return prob, cum_prob


def _label_prob_args(r):
    path, path_length = _ctc_path(r)
    multiply_seq = uniform(r, (SEQ,) + path.shape, 0.0, 1.0)
    ret = np.zeros((SEQ, B, V), np.float32)
    return multiply_seq, path, path_length[:, None], path.shape[1], ret


def _label_prob(multiply_seq, path, path_length, max_path_length, ret):
    """Chainer's CPU `label_probability`: path probabilities summed per label."""
    for b in range(len(path)):
        target_path = path[b, : path_length[b, 0]]
        for c in set(target_path.tolist()):
            ret[:, b, c] = multiply_seq[:, b, : path_length[b, 0]][:, target_path == c].sum(1)
    return ret


def _recurrence_args(r):
    yseq = np.exp(_log_softmax(normal(r, (SEQ, B, V), 2.0), axis=2))
    yseq.reshape(-1)[::7] = 0  # softmax outputs that underflowed
    return yseq, ZERO


def _logsumexp_args(r):
    path, path_length = _ctc_path(r)
    outside = np.arange(path.shape[1]) >= path_length[:, None]
    a = np.where(outside, np.float32(ZERO), uniform(r, path.shape, -30.0, -2.0))
    vmax = a.max(axis=1, keepdims=True)
    return a, vmax, vmax  # Chainer passes vmax as the input and as the output


CTC = [
    Case(
        "create_recurrence_relation",
        _recurrence_args,
        lambda x, e: np.ma.log(x).filled(fill_value=e).astype(x.dtype),
        **TRANSCENDENTAL,
    ),
    Case("ctc_transition", _ctc_transition_args, _ctc_transition, **TRANSCENDENTAL),
    Case("ctc_label_prob_sum", _label_prob_args, _label_prob, glsl_fallback=True, **ATOMIC),
    Case(
        "logsumexp_impl",
        _logsumexp_args,
        lambda a, vmax, y: y + np.log(np.exp(a - vmax).sum(axis=1, keepdims=True)),
        reduction={"axis": 1, "keepdims": True},
        **TRANSCENDENTAL,
    ),
]


# negative_sampling: 6 words (one ignored), 4 negative samples each, 20-word vocabulary.
N_IN, VOCAB, M = 8, 20, 5


def _ns_inputs(r):
    t = r.integers(0, VOCAB, 6).astype(np.int32)
    t[2] = IGNORE
    samples = r.integers(0, VOCAB, (6, M)).astype(np.int32)
    samples[:, 0] = t  # the positive word first
    return normal(r, (6, N_IN)), t, normal(r, (VOCAB, N_IN)), samples


def _wx(W, x, mask, k, c, m):
    return np.where(mask, np.einsum("ij,ikj->ik", x, W[k]), 0).astype(x.dtype)


def _ns_wx_args(r):
    x, t, W, samples = _ns_inputs(r)
    return W, x, (t != IGNORE)[:, None], samples, N_IN, M


def _ns_g_args(reduce_sum: bool):
    def make(r):
        W, x, mask, samples, c, m = _ns_wx_args(r)
        gy = np.array(1.3, np.float32) if reduce_sum else normal(r, (len(x), 1))
        return _wx(W, x, mask, samples, c, m), gy, M

    return make


def _ns_g(wx, gy, m):
    y = np.where(np.arange(wx.shape[1]) % m == 0, 1, -1).astype(wx.dtype)
    return (-y * gy / (1 + np.exp(wx * y))).astype(wx.dtype)


def _ns_gx_args(r):
    x, t, W, samples = _ns_inputs(r)
    g = normal(r, samples.shape)
    return g, W, (t != IGNORE)[:, None], samples, N_IN, M, np.zeros_like(x)


def _ns_gw_args(r):
    x, t, W, samples = _ns_inputs(r)
    g = normal(r, samples.shape)
    return g, x, samples, (t != IGNORE)[:, None], N_IN, M, np.zeros_like(W)


def _ns_gw(g, x, k, mask, c, m, gW):
    """Chainer's CPU loop: `gW[ik] += ig * ix` for each sample of each kept word."""
    for i in np.flatnonzero(mask[:, 0]):
        for ik, ig in zip(k[i], g[i]):
            gW[ik] += ig * x[i]
    return gW


def _ns_forward_args(r):
    W, x, mask, samples, c, m = _ns_wx_args(r)
    return _wx(W, x, mask, samples, c, m), c, m, mask


def _ns_forward(wx, c, m, mask):
    f = wx.copy()
    f[:, 0] *= -1
    return np.where(mask, np.logaddexp(f, 0), 0).astype(wx.dtype)


NEGATIVE_SAMPLING = [
    Case("negative_sampling_wx", _ns_wx_args, _wx),
    Case("negative_sampling_forward", _ns_forward_args, _ns_forward, **TRANSCENDENTAL),
    Case(
        "negative_sampling_calculate_g",
        _ns_g_args(reduce_sum=False),
        _ns_g,
        tag="no",
        **TRANSCENDENTAL,
    ),
    Case(
        "negative_sampling_calculate_g",
        _ns_g_args(reduce_sum=True),
        _ns_g,
        tag="sum",
        **TRANSCENDENTAL,
    ),
    Case(
        "negative_sampling_calculate_gx",
        _ns_gx_args,
        lambda g, W, mask, k, c, m, gx: np.where(mask, np.einsum("ij,ijk->ik", g, W[k]), 0).astype(
            g.dtype
        ),
    ),
    Case("negative_sampling_calculate_gw", _ns_gw_args, _ns_gw, glsl_fallback=True, **ATOMIC),
]


# BinaryHierarchicalSoftmax over a 7-word tree: internal nodes numbered in pre-order,
# code +1 to the left and -1 to the right, like Chainer's `TreeParser`.
TREE = (((0, 1), 2), ((3, (4, 5)), 6))


def _parse_tree(tree):
    paths, codes, next_id = {}, {}, [0]

    def walk(node, path, code):
        if not isinstance(node, tuple):
            paths[node], codes[node] = path, code
            return
        node_id = next_id[0]
        next_id[0] += 1
        walk(node[0], path + [node_id], code + [1.0])
        walk(node[1], path + [node_id], code + [-1.0])

    walk(tree, [], [])
    words = sorted(paths)
    begins = np.cumsum([0] + [len(paths[w]) for w in words]).astype(np.int32)
    flat_paths = np.concatenate([paths[w] for w in words]).astype(np.int32)
    flat_codes = np.concatenate([codes[w] for w in words]).astype(np.float32)
    return flat_paths, flat_codes, begins, next_id[0]


def _hsm_forward_args(r):
    paths, codes, begins, n_nodes = _parse_tree(TREE)
    t = r.integers(0, len(begins) - 1, 5).astype(np.int32)
    x, W = normal(r, (5, N_IN)), normal(r, (n_nodes, N_IN))
    max_length = int((begins[t + 1] - begins[t]).max())
    ls, wxy = np.zeros((2, max_length * len(x)), np.float32)
    return x, W, t, paths, codes, begins, N_IN, max_length, ls, wxy


def _hsm_forward(x, W, t, paths, codes, begins, c, max_length, ls, wxy):
    """Chainer's `_forward_cpu_one` per (sample, node on its path): w.x times the code,
    and log(1 + exp(-wxy)); slots past a path's end keep ls = 0 and wxy untouched."""
    on_path = np.zeros(ls.shape, bool)
    for ind, word in enumerate(t):
        for offset, p in enumerate(range(begins[word], begins[word + 1])):
            on_path[ind * max_length + offset] = True
            wxy[ind * max_length + offset] = W[paths[p]].dot(x[ind]) * codes[p]
    ls[:] = np.where(on_path, np.logaddexp(0.0, -wxy), 0)
    return ls, wxy


def _hsm_bwd_args(r):
    x, W, t, paths, codes, begins, c, max_length, ls, wxy = _hsm_forward_args(r)
    _, wxy = _hsm_forward(x, W, t, paths, codes, begins, c, max_length, ls, wxy)
    gloss = np.array(0.5, np.float32)  # the gradient of the scalar loss: a 0-d array
    return (wxy, x, W, t, paths, codes, begins, gloss, c, max_length, np.zeros_like(x),
            np.zeros_like(W))  # fmt: skip


def _hsm_bwd(wxy, x, W, t, paths, codes, begins, gloss, c, max_length, gx, gW):
    """Chainer's `_backward_cpu_one`: g = -gloss code / (1 + exp(wxy)) per node."""
    for ind, word in enumerate(t):
        path = paths[begins[word] : begins[word + 1]]
        code = codes[begins[word] : begins[word + 1]]
        wxy_i = W[path].dot(x[ind]) * code
        g = -gloss * code / (1.0 + np.exp(wxy_i))
        gx[ind] = g.dot(W[path])
        np.add.at(gW, path, g[:, None] * x[ind][None, :])
    return gx, gW


HIERARCHICAL_SOFTMAX = [
    Case(
        "binary_hierarchical_softmax_max_length",
        lambda r: (r.integers(0, 7, 5).astype(np.int32), _parse_tree(TREE)[2]),
        lambda t, begins: (begins[t + 1] - begins[t]).max().astype(np.int32)[()],
        reduction={},
    ),
    Case("binary_hierarchical_softmax_forward", _hsm_forward_args, _hsm_forward, **TRANSCENDENTAL),
    Case("binary_hierarchical_softmax_bwd", _hsm_bwd_args, _hsm_bwd, glsl_fallback=True, **ATOMIC),
]


# noise: the random numbers come from cupy.random in Chainer; here from NumPy, passed in.


def _dropout_args(dtype, ratio):
    def make(r):
        scale = np.dtype(dtype).type(1.0 / (1 - ratio))
        return normal(r, (8, 16), dtype=dtype), r.random((8, 16), np.float32), scale, ratio

    return make


def _dropout(x, r, scale, ratio):
    mask = ((r >= np.float32(x.dtype.type(ratio))) * scale).astype(x.dtype)
    return mask, (x.astype(np.float32) * mask).astype(x.dtype)


def _gaussian(v, e):
    noise = np.exp(v.astype(np.float32) / 2).astype(v.dtype)
    return (noise.astype(np.float32) * e).astype(v.dtype)


NOISE = [
    Case("dropout_fwd", _dropout_args(np.float32, 0.3), _dropout),
    Case("dropout_fwd", _dropout_args(np.float16, 0.5), _dropout, tag="f16", **F16),
    Case(
        "gaussian_forward",
        lambda r: (normal(r, (8, 16)), normal(r, (8, 16))),
        _gaussian,
        **TRANSCENDENTAL,
    ),
    Case(
        "gaussian_forward",
        lambda r: (normal(r, (8, 16), dtype=np.float16), normal(r, (8, 16), dtype=np.float16)),
        _gaussian,
        tag="f16",
        **F16,
    ),
]


@pytest.mark.parametrize("case", params(SOFTMAX_CROSS_ENTROPY + HINGE))
def test_classification_loss(case, target):
    check(target, case)


@pytest.mark.parametrize("case", params(CTC))
def test_ctc(case, target):
    check(target, case)


@pytest.mark.parametrize("case", params(NEGATIVE_SAMPLING + HIERARCHICAL_SOFTMAX))
def test_sampled_softmax(case, target):
    check(target, case)


@pytest.mark.parametrize("case", params(NOISE))
def test_noise(case, target):
    check(target, case)
