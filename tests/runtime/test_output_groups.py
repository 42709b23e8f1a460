"""Elementwise kernels with more outputs than WebGL2's 4 draw buffers: GLSL draws one
shader per output group (docs/abi.md, "Output groups"). Run on both targets against
NumPy, every group's shader validated by glslangValidator, through the test executors,
the runtime (`wgpy_runtime.ElementwiseKernel` on both devices) and Chainer's LSTM family.

Rule: outputs come in mixed dtypes, with `reads_old` outputs in several groups and
inputs that alias outputs, since those are what a group-by-group launch could get wrong
(a later group must still see the inputs and old contents as they were before the call).
"""

from __future__ import annotations

import numpy as np
import pytest

import kernelc
import wgpy_runtime as wp
from tests.support.kernel_call import call_elementwise
from tests.support.validate import glslang_available, validate_glsl
from wgpy_runtime import device as devices

FIVE = (
    "T x, T y",
    "T s, int32 k, uint8 u, bool b, T acc",
    (
        "s = s * 0.5f + x; k = (int)floor(x * 10); u = (unsigned char)(k & 255); "
        "b = x > y; acc += x * y"
    ),
)
TEN_OUT = (
    "float32 o0, int32 o1, uint32 o2, bool o3, int16 o4, float16 o5, int8 o6, "
    "uint16 o7, float32 keep, int32 count"
)
TEN_OP = """
o0 = x * 2; o1 = (int)x; o2 = (unsigned int)abs(n); o3 = x < 0;
o4 = (short)(n * 3); o5 = (half)(x / 4); o6 = (signed char)(n & 127); o7 = (unsigned short)n;
if (x > 0) keep = x;
count += 1;
"""


def rng_floats(rng, shape, scale=10.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def validate_groups(program) -> int:
    """Validate every group's shader; the number of groups."""
    groups = program.abi.launch.output_groups
    if glslang_available():
        for g in groups:
            validate_glsl(g.code)
    return len(groups)


def test_five_outputs(target):
    rng = np.random.default_rng(1)
    x, y = rng_floats(rng, 700), rng_floats(rng, 700)
    s0, acc0 = rng_floats(rng, 700), rng_floats(rng, 700)
    s, acc = s0.copy(), acc0.copy()
    k, u, b = np.zeros(700, np.int32), np.zeros(700, np.uint8), np.zeros(700, bool)
    call_elementwise(target, *FIVE, x, y, s, k, u, b, acc, name="five")
    np.testing.assert_allclose(s, s0 * 0.5 + x, rtol=1e-6)
    want_k = np.floor(x * np.float32(10)).astype(np.int32)
    np.testing.assert_array_equal(k, want_k)
    np.testing.assert_array_equal(u, (want_k & 255).astype(np.uint8))
    np.testing.assert_array_equal(b, x > y)
    np.testing.assert_allclose(acc, acc0 + x * y, rtol=1e-6)
    if target == "glsl":
        program = kernelc.translate_elementwise(
            *FIVE, "five", target="glsl", types={"T": "float32"}
        )
        assert validate_groups(program) == 2


def test_ten_outputs_broadcast_and_strided(target):
    """Ten outputs over a (5, 300) loop from broadcast inputs, one output a strided view,
    `keep` (partly written) and `count` (accumulated) read their old contents."""
    rng = np.random.default_rng(2)
    x = rng_floats(rng, (5, 600))[:, ::2]  # a strided input
    n = rng.integers(-1000, 1000, (1, 300)).astype(np.int32)  # broadcast along axis 0
    dts = [
        "float32",
        "int32",
        "uint32",
        "bool",
        "int16",
        "float16",
        "int8",
        "uint16",
        "float32",
        "int32",
    ]
    outs = [np.zeros((5, 300), dt) for dt in dts]
    keep0 = rng_floats(rng, (5, 300))
    outs[8][...] = keep0
    count_base = rng.integers(-5, 5, (5, 600)).astype(np.int32)
    outs[9] = count_base[:, ::2]  # strided: written through the view
    count0, count_base0 = outs[9].copy(), count_base.copy()
    call_elementwise(target, "float32 x, int32 n", TEN_OUT, TEN_OP, x, n, *outs, name="ten")
    nb = np.broadcast_to(n, x.shape)
    want = [
        x * 2,
        x.astype(np.int32),
        np.abs(nb).astype(np.uint32),
        x < 0,
        (nb * 3).astype(np.int16),
        (x / 4).astype(np.float16),
        (nb & 127).astype(np.int8),
        nb.astype(np.uint16),
        np.where(x > 0, x, keep0),
        count0 + 1,
    ]
    for k, (got, w) in enumerate(zip(outs, want)):
        np.testing.assert_allclose(got.astype(float), w.astype(float), rtol=1e-3, err_msg=f"o{k}")
    np.testing.assert_array_equal(count_base[:, 1::2], count_base0[:, 1::2])
    if target == "glsl":
        program = kernelc.translate_elementwise(
            "float32 x, int32 n", TEN_OUT, TEN_OP, "ten", target="glsl", ndim=2
        )
        assert validate_groups(program) == 3


# ---------------------------------------------------------------------------- the runtime


@pytest.fixture(params=devices.BACKENDS)
def backend(request):
    previous = devices.set_device(request.param)
    yield request.param
    devices.set_device(previous)


def test_runtime_groups_see_inputs_as_they_were(backend):
    """`x` is also output `o0` (first group) and is read by `o5` (second group); `o4` in
    the second group keeps its old value where the body leaves it."""
    k = wp.ElementwiseKernel(
        "T x, T w",
        "T o0, int32 o1, bool o2, uint8 o3, T o4, T o5",
        "o0 = x * 2; o1 = (int)w; o2 = w > x; o3 = (unsigned char)(int)w; "
        "if (w > 0) o4 = w; o5 = x + 1",
        "six_alias",
    )
    rng = np.random.default_rng(3)
    x0, w = rng_floats(rng, (3, 2000)), np.abs(rng_floats(rng, 2000)) - 2
    o4_0 = rng_floats(rng, (3, 2000))
    x, o4 = wp.asarray(x0), wp.asarray(o4_0)
    o1, o2 = wp.zeros((3, 2000), "int32"), wp.zeros((3, 2000), "bool")
    o3, o5 = wp.zeros((3, 2000), "uint8"), wp.zeros((3, 2000), "float32")
    k(x, wp.asarray(w), x, o1, o2, o3, o4, o5)
    np.testing.assert_allclose(x.get(), x0 * 2, rtol=1e-6)
    np.testing.assert_array_equal(o1.get(), np.broadcast_to(w.astype(np.int32), (3, 2000)))
    np.testing.assert_array_equal(o2.get(), w > x0)
    np.testing.assert_array_equal(
        o3.get(), np.broadcast_to(w.astype(np.int32).astype(np.uint8), (3, 2000))
    )
    np.testing.assert_allclose(o4.get(), np.where(w > 0, w, o4_0), rtol=1e-6)
    np.testing.assert_allclose(o5.get(), x0 + 1, rtol=1e-6)  # the old x, not o0's


# ---------------------------------------------------------------------------- Chainer

CHAINER_RNN = [
    ("lstm_bwd", "chainer/functions/rnn/lstm.py:172", None, 2),  # 5 outputs
    ("lstm_bwd", "chainer/functions/rnn/slstm.py:191", None, 3),  # 10 outputs
    ("treelstm_bwd", None, {"n_ary": 2}, 2),  # 7 outputs
    ("treelstm_bwd", None, {"n_ary": 3}, 3),  # 9 outputs
]


@pytest.mark.parametrize("name, origin, params, groups", CHAINER_RNN)
def test_chainer_lstm_family_on_glsl(name, origin, params, groups):
    """Chainer's kernels with more than 4 outputs, on GLSL against the IR interpreter
    (tests/chainer/test_array_rnn.py checks them against NumPy)."""
    from tests.chainer.harness import kernel_args
    from tests.support.interp_call import call_elementwise_interpreted

    kargs = kernel_args(name, params, origin)
    strings = (kargs["in_params"], kargs["out_params"], kargs["operation"])
    preamble = kargs["preamble"]
    rng = np.random.default_rng(4)
    nin, nout = (len(kargs[k].split(",")) for k in ("in_params", "out_params"))
    ins = [rng_floats(rng, (4, 6), 1.0) for _ in range(nin)]
    got = call_elementwise("glsl", *strings, *ins, name=name, preamble=preamble)
    want = call_elementwise_interpreted(*strings, *ins, name=name, preamble=preamble)
    assert len(got) == len(want) == nout
    for k, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, err_msg=f"output {k}")
    program = kernelc.translate_elementwise(
        *strings, name, preamble=preamble, target="glsl", types={"T": "float32"}, ndim=2
    )
    assert validate_groups(program) == groups
