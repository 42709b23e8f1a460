"""Chainer's loss kernels (chainer/functions/loss, chainer/links/loss) and noise kernels
(chainer/functions/noise) run on both targets and compared with Chainer's CPU code path.

The arguments are the intermediate arrays of a real forward or backward pass, built the
way Chainer builds them: log-softmax scores and int32 labels with ignored (-1) entries,
CTC label paths of blanks and labels, negative samples with the positive word first, the
paths and codes of a binary tree numbered like `TreeParser`. Kernels that add with
atomics or write other elements (hinge, CTC's label sum, the weight gradients of the
samplers) are run by the interpreter on GLSL.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.chainer.cases import Case, check, normal, params, uniform

TRANSCENDENTAL = {"rtol": 1e-5, "atol": 1e-6}  # exp and log: a few ulp on every target
ATOMIC = {"rtol": 1e-5, "atol": 1e-6}  # atomics add in any order
F16 = {"rtol": 2e-3, "atol": 1e-3}  # one float16 ulp is 2**-10 relative
IGNORE = -1  # Chainer's default ignore_label


def log_softmax(x, axis=1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def labels(r, shape, n_class):
    """int32 labels, every fifth one ignored."""
    t = r.integers(0, n_class, shape).astype(np.int32)
    t.reshape(-1)[::5] = IGNORE
    return t


# softmax_cross_entropy on (N, C) scores and on (N, C, H, W) images. The kernels index
# log_y with the class axis last, `cupy.rollaxis(log_y, 1, ndim).reduced_view()`: a flat
# array for (N, C), an (N, H*W, C) strided view for images.
FC, IMAGE = (8, 10), (4, 5, 3, 3)


def rolled(log_y):
    n, c = log_y.shape[:2]
    if log_y.ndim == 2:
        return log_y.reshape(-1)
    return np.moveaxis(log_y.reshape(n, c, -1), 1, 2)


def crossent_args(r, shape, normalize=True):
    """`crossent_fwd(t, log_y, n_channel, coeff, ignore_label)`; coeff is a 0-d array,
    1 / (the number of labels kept) or 1 / N."""
    log_y = log_softmax(normal(r, shape, 2.0))
    t = labels(r, (shape[0],) + shape[2:], shape[1])
    count = max(1, int((t != IGNORE).sum())) if normalize else max(1, len(t))
    return t, rolled(log_y), shape[1], np.array(1.0 / count, np.float32), IGNORE


def no_reduce_args(r, shape):
    t, log_y, n_channel, _, ignore = crossent_args(r, shape)
    return t, log_y, n_channel, ignore


def log_p(t, log_y_rolled, n_channel):
    """Chainer's CPU `log_p`: the log-probability of each label, 0 where ignored."""
    log_y = log_y_rolled.reshape(-1, n_channel)
    kept = (t != IGNORE).ravel()
    return log_y[np.arange(t.size), t.ravel() * kept] * kept


def crossent(t, log_y, n_channel, coeff, ignore_label):
    return (log_p(t, log_y, n_channel).sum() * -coeff).astype(np.float32)


def crossent_no_reduce(t, log_y, n_channel, ignore):
    return -log_p(t, log_y, n_channel).reshape(t.shape)


def crossent_bwd_args(r, shape, reduce="mean", weighted=False):
    """`(y, [class_weight,] t[:, None], gloss, coeff, n_channel, n_unit, ignore_label)`:
    for reduce='mean' gloss and coeff are 0-d; for 'no' gloss is `gloss[:, None, ...]`
    and coeff a 0-d 1."""
    y = np.exp(log_softmax(normal(r, shape, 2.0)))
    t = labels(r, (shape[0],) + shape[2:], shape[1])
    if reduce == "mean":
        gloss, coeff = np.array(0.7, np.float32), np.array(1.0 / len(t), np.float32)
    else:
        gloss, coeff = normal(r, t.shape)[:, None], np.array(1, np.float32)
    w = (uniform(r, (shape[1],), 0.5, 2.0),) if weighted else ()
    return y, *w, np.expand_dims(t, 1), gloss, coeff, shape[1], t.size // len(t), IGNORE


def crossent_bwd(y, t, gloss, coeff, n_channel, n_unit, ignore, w=None):
    """Chainer's CPU gradient: softmax minus the one-hot label, zero where ignored, times
    the label's class weight and gloss * coeff."""
    classes = np.arange(n_channel).reshape((1, -1) + (1,) * (y.ndim - 2))
    kept = t != ignore
    gx = (y - (classes == t)) * kept
    if w is not None:
        gx = gx * w[np.where(kept, t, 0)]
    return (gx * (gloss * coeff)).astype(y.dtype)


def crossent_weight_bwd(y, w, *rest):
    return crossent_bwd(y, *rest, w=w)


SOFTMAX_CROSS_ENTROPY = [
    Case("crossent_fwd", lambda r: crossent_args(r, FC), crossent, reduction={}, tag="fc"),
    Case(
        "crossent_fwd",
        lambda r: crossent_args(r, IMAGE, normalize=False),
        crossent,
        reduction={},
        tag="image",
    ),
    Case(
        "softmax_crossent_no_reduce_fwd",
        lambda r: no_reduce_args(r, FC),
        crossent_no_reduce,
        tag="fc",
    ),
    Case(
        "softmax_crossent_no_reduce_fwd",
        lambda r: no_reduce_args(r, IMAGE),
        crossent_no_reduce,
        tag="image",
    ),
    Case("softmax_crossent_bwd", lambda r: crossent_bwd_args(r, FC), crossent_bwd, tag="mean"),
    Case(
        "softmax_crossent_bwd",
        lambda r: crossent_bwd_args(r, IMAGE, reduce="no"),
        crossent_bwd,
        tag="image-no-reduce",
    ),
    Case(
        "softmax_crossent_weight_bwd",
        lambda r: crossent_bwd_args(r, FC, weighted=True),
        crossent_weight_bwd,
        tag="mean",
    ),
    Case(
        "softmax_crossent_weight_bwd",
        lambda r: crossent_bwd_args(r, IMAGE, reduce="no", weighted=True),
        crossent_weight_bwd,
        tag="image-no-reduce",
    ),
]


# hinge: the kernel negates the score of each sample's label in place (a scatter): the
# `bottom_diff` it is given is a copy of x


def hinge_args(r):
    x = normal(r, FC)
    return r.integers(0, FC[1], FC[0]).astype(np.int32), x.copy()


def hinge(t, bottom_diff):
    bottom_diff[np.arange(len(t)), t] *= -1
    return bottom_diff


HINGE = [Case("hinge_fwd", hinge_args, hinge, glsl_fallback=True)]


# CTC: 3 sequences of 5 steps, a vocabulary of 6 with blank 0, label paths
# `blank l1 blank l2 blank l3 blank` of lengths 7, 5 and 3.
B, V, MAX_LABEL, SEQ = 3, 6, 3, 5
ZERO = -10000000000.0  # Chainer's `zero_padding` for float32: log(0)


def ctc_path(r):
    """`_label_to_path` of random labels, and `path_length = 2 * label_length + 1`."""
    path = np.zeros((B, 2 * MAX_LABEL + 1), np.int32)
    path[:, 1::2] = r.integers(1, V, (B, MAX_LABEL))
    return path, 2 * np.array([3, 2, 1], np.int32) + 1


def recurrence_args(r):
    """Softmax outputs, some of them underflowed to 0, and zero_padding."""
    yseq = np.exp(log_softmax(normal(r, (SEQ, B, V), 2.0), axis=2))
    yseq.reshape(-1)[::7] = 0
    return yseq, ZERO


def recurrence(x, e):  # Chainer's CPU `log_matrix`
    return np.ma.log(x).filled(fill_value=e).astype(x.dtype)


def transition_args(r):
    """`(prev_prob, path, path_length[:, None], zero_padding, y, prob, cum_prob)` at one
    step: log-probabilities of the path so far (log 0 past each path's end), this step's
    log-softmax y, and `cum_prob` = this step's scores of the path's labels."""
    path, path_length = ctc_path(r)
    outside = np.arange(path.shape[1]) >= path_length[:, None]
    prev = np.where(outside, np.float32(ZERO), uniform(r, path.shape, -8.0, 0.0))
    log_y = log_softmax(normal(r, (B, V), 2.0))
    cum_prob = log_y[np.arange(B)[:, None], path]
    return prev, path, path_length[:, None], ZERO, log_y, np.empty_like(prev), cum_prob


def transition(prev, path, path_length, zero, y, z, cum_prob):
    """Chainer's CPU `_computes_transition`: a log-sum-exp over the three incoming arcs
    (stay, advance, skip the blank between two different labels)."""
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
    prob[outside] = zero  # the kernel's; the CPU adds y there, lost at -1e10 in float32
    return prob, cum_prob


def label_prob_args(r):
    """`(multiply_seq, path, path_length[:, None], max_path_length, ret)`: path
    probabilities in [0, 1], summed into ret per label."""
    path, path_length = ctc_path(r)
    multiply_seq = uniform(r, (SEQ,) + path.shape, 0.0, 1.0)
    return (
        multiply_seq,
        path,
        path_length[:, None],
        path.shape[1],
        np.zeros((SEQ, B, V), np.float32),
    )


def label_prob(multiply_seq, path, path_length, max_path_length, ret):
    """Chainer's CPU `label_probability`."""
    for b in range(len(path)):
        n = path_length[b, 0]
        for c in set(path[b, :n].tolist()):
            ret[:, b, c] = multiply_seq[:, b, :n][:, path[b, :n] == c].sum(axis=1)
    return ret


def logsumexp_args(r):
    """`_logsumexp(prob_trans[0], axis=1)`: the kernel adds log(sum(exp(a - vmax))) to
    vmax, which Chainer passes as an input and as the output."""
    path, path_length = ctc_path(r)
    outside = np.arange(path.shape[1]) >= path_length[:, None]
    a = np.where(outside, np.float32(ZERO), uniform(r, path.shape, -30.0, -2.0))
    vmax = a.max(axis=1, keepdims=True)
    return a, vmax, vmax


def logsumexp(a, vmax, y):
    return y + np.log(np.exp(a - vmax).sum(axis=1, keepdims=True))


CTC = [
    Case("create_recurrence_relation", recurrence_args, recurrence, **TRANSCENDENTAL),
    Case("ctc_transition", transition_args, transition, **TRANSCENDENTAL),
    Case("ctc_label_prob_sum", label_prob_args, label_prob, glsl_fallback=True, **ATOMIC),
    Case(
        "logsumexp_impl",
        logsumexp_args,
        logsumexp,
        reduction={"axis": 1, "keepdims": True},
        **TRANSCENDENTAL,
    ),
]


# negative_sampling: 6 words (the third ignored), each with 4 negative samples from a
# 20-word vocabulary; `mask` is `ignore_mask[:, None]`.
WORDS, N_IN, VOCAB, M = 6, 8, 20, 5


def sampled(r):
    """x, W, the kept-word mask and the samples (the positive word first)."""
    t = r.integers(0, VOCAB, WORDS).astype(np.int32)
    t[2] = IGNORE
    samples = r.integers(0, VOCAB, (WORDS, M)).astype(np.int32)
    samples[:, 0] = t
    return normal(r, (WORDS, N_IN)), normal(r, (VOCAB, N_IN)), (t != IGNORE)[:, None], samples


def wx_args(r):
    x, W, mask, samples = sampled(r)
    return W, x, mask, samples, N_IN, M


def wx(W, x, mask, k, c, m):
    return np.where(mask, np.einsum("ij,ikj->ik", x, W[k]), 0).astype(x.dtype)


def ns_forward_args(r):
    W, x, mask, samples, c, m = wx_args(r)
    return wx(W, x, mask, samples, c, m), c, m, mask


def ns_forward(wx, c, m, mask):
    """Chainer's CPU loss before the sum: logaddexp(0, ±wx), the positive word negated."""
    f = wx.copy()
    f[:, 0] *= -1
    return np.where(mask, np.logaddexp(f, 0), 0).astype(wx.dtype)


def calculate_g_args(r, reduce="no"):
    """gy is the 0-d gradient of the summed loss, or `gy[:, None]` for reduce='no'."""
    W, x, mask, samples, c, m = wx_args(r)
    gy = np.array(1.3, np.float32) if reduce == "sum" else normal(r, (WORDS, 1))
    return wx(W, x, mask, samples, c, m), gy, M


def calculate_g(wx, gy, m):
    y = np.where(np.arange(wx.shape[1]) % m == 0, 1, -1).astype(wx.dtype)
    return (-y * gy / (1 + np.exp(wx * y))).astype(wx.dtype)


def calculate_gx_args(r):
    x, W, mask, samples = sampled(r)
    return normal(r, samples.shape), W, mask, samples, N_IN, M, np.zeros_like(x)


def calculate_gx(g, W, mask, k, c, m, gx):
    return np.where(mask, np.einsum("ij,ijk->ik", g, W[k]), 0).astype(g.dtype)


def calculate_gw_args(r):
    x, W, mask, samples = sampled(r)
    return normal(r, samples.shape), x, samples, mask, N_IN, M, np.zeros_like(W)


def calculate_gw(g, x, k, mask, c, m, gW):
    """Chainer's CPU loop: `gW[ik] += ig * ix` for each sample of each kept word."""
    for i in np.flatnonzero(mask[:, 0]):
        for ik, ig in zip(k[i], g[i]):
            gW[ik] += ig * x[i]
    return gW


NEGATIVE_SAMPLING = [
    Case("negative_sampling_wx", wx_args, wx),
    Case("negative_sampling_forward", ns_forward_args, ns_forward, **TRANSCENDENTAL),
    Case(
        "negative_sampling_calculate_g", calculate_g_args, calculate_g, tag="no", **TRANSCENDENTAL
    ),
    Case(
        "negative_sampling_calculate_g",
        lambda r: calculate_g_args(r, reduce="sum"),
        calculate_g,
        tag="sum",
        **TRANSCENDENTAL,
    ),
    Case("negative_sampling_calculate_gx", calculate_gx_args, calculate_gx),
    Case(
        "negative_sampling_calculate_gw",
        calculate_gw_args,
        calculate_gw,
        glsl_fallback=True,
        **ATOMIC,
    ),
]


# BinaryHierarchicalSoftmax over a 7-word tree: internal nodes numbered in pre-order, code
# +1 to the left and -1 to the right, as Chainer's `TreeParser` does; 5 words a batch.
TREE = (((0, 1), 2), ((3, (4, 5)), 6))


def parse_tree(tree):
    """(paths, codes, begins, number of internal nodes), concatenated in word order."""
    paths, codes, n_nodes = {}, {}, 0

    def walk(node, path, code):
        nonlocal n_nodes
        if not isinstance(node, tuple):
            paths[node], codes[node] = path, code
            return
        node_id, n_nodes = n_nodes, n_nodes + 1
        walk(node[0], path + [node_id], code + [1.0])
        walk(node[1], path + [node_id], code + [-1.0])

    walk(tree, [], [])
    words = sorted(paths)
    begins = np.cumsum([0] + [len(paths[w]) for w in words]).astype(np.int32)
    flat_paths = np.concatenate([paths[w] for w in words]).astype(np.int32)
    flat_codes = np.concatenate([codes[w] for w in words]).astype(np.float32)
    return flat_paths, flat_codes, begins, n_nodes


def longest_path_args(r):
    return r.integers(0, 7, 5).astype(np.int32), parse_tree(TREE)[2]


def longest_path(t, begins):
    return np.array((begins[t + 1] - begins[t]).max(), np.int32)


def hsm_forward_args(r):
    """`(x, W, t, paths, codes, begins, n_in, max_length, ls, wxy)`: one slot per
    (word, node on the longest path)."""
    paths, codes, begins, n_nodes = parse_tree(TREE)
    t = r.integers(0, len(begins) - 1, 5).astype(np.int32)
    x, W = normal(r, (len(t), N_IN)), normal(r, (n_nodes, N_IN))
    length = int(longest_path(t, begins))
    ls, wxy = np.zeros((2, length * len(t)), np.float32)
    return x, W, t, paths, codes, begins, N_IN, length, ls, wxy


def hsm_forward(x, W, t, paths, codes, begins, c, max_length, ls, wxy):
    """Chainer's `_forward_cpu_one` per slot: wxy = (w . x) code and ls = log(1 +
    exp(-wxy)); slots past a word's path keep ls = 0 and wxy as it was."""
    on_path = np.zeros(ls.shape, bool)
    for ind, word in enumerate(t):
        for offset, p in enumerate(range(begins[word], begins[word + 1])):
            on_path[ind * max_length + offset] = True
            wxy[ind * max_length + offset] = W[paths[p]].dot(x[ind]) * codes[p]
    ls[:] = np.where(on_path, np.logaddexp(0.0, -wxy), 0)
    return ls, wxy


def hsm_bwd_args(r):
    """`(wxy, x, W, t, paths, codes, begins, gloss, n_in, max_length, gx, gW)`; gloss is
    the 0-d gradient of the scalar loss."""
    x, W, t, paths, codes, begins, c, length, ls, wxy = hsm_forward_args(r)
    _, wxy = hsm_forward(x, W, t, paths, codes, begins, c, length, ls, wxy)
    gloss = np.array(0.5, np.float32)
    return wxy, x, W, t, paths, codes, begins, gloss, c, length, np.zeros_like(x), np.zeros_like(W)


def hsm_bwd(wxy, x, W, t, paths, codes, begins, gloss, c, max_length, gx, gW):
    """Chainer's `_backward_cpu_one`: g = -gloss code / (1 + exp(wxy)) per node."""
    for ind, word in enumerate(t):
        path = paths[begins[word] : begins[word + 1]]
        code = codes[begins[word] : begins[word + 1]]
        g = -gloss * code / (1.0 + np.exp(W[path].dot(x[ind]) * code))
        gx[ind] = g.dot(W[path])
        np.add.at(gW, path, g[:, None] * x[ind][None, :])
    return gx, gW


HIERARCHICAL_SOFTMAX = [
    Case("binary_hierarchical_softmax_max_length", longest_path_args, longest_path, reduction={}),
    Case("binary_hierarchical_softmax_forward", hsm_forward_args, hsm_forward, **TRANSCENDENTAL),
    Case(
        "binary_hierarchical_softmax_bwd",
        hsm_bwd_args,
        hsm_bwd,
        glsl_fallback=True,
        **ATOMIC,
    ),
]


# noise: Chainer draws the random numbers with cupy.random (float32 uniforms for dropout,
# normals in x's dtype for gaussian); here NumPy draws them and they are passed in.


def dropout_args(r, dtype=np.float32, ratio=0.3):
    """`(x, rand, scale, self.dropout_ratio)`: scale in x's dtype, ratio a Python float."""
    scale = np.dtype(dtype).type(1.0 / (1 - ratio))
    return normal(r, (8, 16), dtype=dtype), r.random((8, 16), np.float32), scale, ratio


def dropout(x, rand, scale, ratio):
    mask = ((rand >= np.float32(x.dtype.type(ratio))) * scale).astype(x.dtype)
    return mask, (x.astype(np.float32) * mask).astype(x.dtype)


def gaussian_args(r, dtype=np.float32):
    return normal(r, (8, 16), dtype=dtype), normal(r, (8, 16), dtype=dtype)


def gaussian(ln_var, eps):
    noise = np.exp(ln_var.astype(np.float32) / 2).astype(ln_var.dtype)
    return (noise.astype(np.float32) * eps).astype(ln_var.dtype)


NOISE = [
    Case("dropout_fwd", dropout_args, dropout),
    Case("dropout_fwd", lambda r: dropout_args(r, np.float16, 0.5), dropout, tag="f16", **F16),
    Case("gaussian_forward", gaussian_args, gaussian, **TRANSCENDENTAL),
    Case("gaussian_forward", lambda r: gaussian_args(r, np.float16), gaussian, tag="f16", **F16),
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
