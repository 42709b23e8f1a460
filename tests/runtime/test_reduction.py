"""ReductionKernels translated and run natively on both targets, called the way CuPy calls
them (`tests.support.reduction_call`), against NumPy: the CuPy semantics of identity, map,
reduce and post-map, axes, keepdims, broadcasting, views, empty cases, and the launch
shapes (WGSL split and merge stages, GLSL passes).

Rule: every shader a test translates is also checked by a real compiler (naga for WGSL,
glslangValidator for both GLSL passes). Inputs are chosen so that integer results are
exact and float results are compared with a tolerance for the order of summation.
"""

from __future__ import annotations

import numpy as np
import pytest

from kernelc.abi.reduction import WGSL_PLAN, glsl_passes, wgsl_stages
from tests.support.reduction_call import call_reduction
from tests.support.validate import validate_glsl, validate_wgsl

_VALIDATED: set[str] = set()


def validate_program(program) -> None:
    """Every shader of `program`, each text once per session."""
    codes = [program.code]
    if program.target == "glsl":
        codes.append(program.abi.launch.partial_shader.code)
    for code in codes:
        if code not in _VALIDATED:
            (validate_wgsl if program.target == "wgsl" else validate_glsl)(code)
            _VALIDATED.add(code)


@pytest.fixture
def reduce(target):
    """`reduce(in_params, out_params, map, reduce, post_map, identity, *args, **kw)`."""

    def run(*args, **kwargs):
        return call_reduction(target, *args, on_program=validate_program, **kwargs)

    return run


@pytest.fixture
def rng():
    return np.random.default_rng(20)


SUM = ("T x", "T y", "x", "a + b", "y = a", "0")


def close(got, want, rtol=1e-5):
    np.testing.assert_allclose(got, np.asarray(want, dtype=got.dtype), rtol=rtol, atol=1e-5)


# ---------------------------------------------------------------------------- kernels


def test_sum_of_everything(reduce, rng):
    x = rng.standard_normal((37, 53)).astype(np.float32)
    y = reduce(*SUM, x, name="my_sum")
    assert y.shape == () and y.dtype == np.float32
    close(y, x.astype(np.float64).sum())


def test_prod_of_small_ints(reduce, rng):
    x = rng.choice(np.array([1, 1, 1, -1, 2], np.int32), size=(6, 40))
    x[:, 20:] = 1  # at most 20 factors of 2 per output
    y = reduce("T x", "T y", "x", "a * b", "y = a", "1", x, axis=1, name="my_prod")
    np.testing.assert_array_equal(y, np.prod(x, axis=1))


@pytest.mark.parametrize("op, identity", [("max", "-INFINITY"), ("min", "INFINITY")])
def test_max_min_with_infinite_identity(reduce, rng, op, identity):
    x = rng.standard_normal((300, 9)).astype(np.float32)
    y = reduce("T x", "T y", "x", f"{op}(a, b)", "y = a", identity, x, axis=0, name=f"my_{op}")
    np.testing.assert_array_equal(y, getattr(np, op)(x, axis=0))
    empty = reduce("T x", "T y", "x", f"{op}(a, b)", "y = a", identity, x[:0], axis=0)
    np.testing.assert_array_equal(empty, np.full(9, -np.inf if op == "max" else np.inf))


def test_argmax_first_index_via_J(reduce, rng):
    """max over (value << 16 | 65535 - _J): the largest value, ties to the smallest _J."""
    x = rng.integers(0, 50, size=(5, 700), dtype=np.int32)
    y = reduce(
        "int32 x",
        "int32 y",
        "x * 65536 + (65535 - _J)",
        "max(a, b)",
        "y = 65535 - (a & 65535)",
        "-2147483647 - 1",
        x,
        axis=1,
        name="my_argmax",
    )
    np.testing.assert_array_equal(y, np.argmax(x, axis=1))


def test_indices_in_map(reduce):
    """_j = _J * out_size + _i, so each term below is 101 * _i."""
    x = np.ones((6, 4), np.int32)
    y = reduce(
        "T x", "T y", "x * (_j - _J * _out_ind.size()) + _i * 100", "a + b", "y = a", "0", x, axis=0
    )
    np.testing.assert_array_equal(y, 6 * 101 * np.arange(4))


def test_mean_via_in_ind_size(reduce, rng):
    x = rng.standard_normal((4, 30, 5)).astype(np.float32)
    y = reduce(
        "T x",
        "T y",
        "x",
        "a + b",
        "y = a / (_in_ind.size() / _out_ind.size())",
        "0",
        x,
        axis=(0, 2),
        name="my_mean",
    )
    close(y, x.astype(np.float64).mean(axis=(0, 2)))


def test_l2_norm_post_map_sqrt(reduce, rng):
    x = rng.standard_normal((8, 100)).astype(np.float32)
    y = reduce("T x", "T y", "x * x", "a + b", "y = sqrt(a)", "0", x, axis=-1, name="l2norm")
    close(y, np.linalg.norm(x.astype(np.float64), axis=-1))


def test_first_nonzero(reduce):
    """CuPy's `_first_nonzero_krnl` (int32 here): `len` is a scalar in map and identity."""
    kernel = (
        "T data, int32 len",
        "int32 y",
        "data == T(0) ? len : _j",
        "min(a, b)",
        "y = a",
        "len",
    )
    data = np.zeros(1000, np.float32)
    data[[613, 877]] = 1.5
    assert reduce(*kernel, data, data.size, name="first_nonzero") == 613
    assert reduce(*kernel, np.zeros(10, np.float32), 10, name="first_nonzero") == 10


def test_reduce_type_differs_from_output(reduce, rng):
    """cupyx's ndimage `lt` style: count in int, write a float."""
    x = rng.random((7, 333), dtype=np.float32)
    y = reduce(
        "X x",
        "Y y",
        "x > 0.5f",
        "a + b",
        "y = a",
        "0",
        x,
        np.zeros(7, np.float32),
        axis=1,
        reduce_type="int",
        name="count",
    )
    np.testing.assert_array_equal(y, (x > 0.5).sum(axis=1).astype(np.float32))


def test_preamble_function_in_reduce_expr(reduce, rng):
    pre = "__device__ float pick_max(float a, float b) { return a > b ? a : b; }"
    x = rng.standard_normal((50, 3)).astype(np.float32)
    y = reduce(
        "T x",
        "T y",
        "x",
        "pick_max(a, b)",
        "y = a",
        "-3.0e38f",
        x,
        axis=0,
        preamble=pre,
        name="pmax",
    )
    np.testing.assert_array_equal(y, x.max(axis=0))


def test_raw_parameter_in_map(reduce, rng):
    x = rng.standard_normal((40, 6)).astype(np.float32)
    w = rng.standard_normal(40).astype(np.float32)
    y = reduce(
        "T x, raw T w", "T y", "x * w[_J]", "a + b", "y = a", "0", x, w, axis=0, name="weighted"
    )
    close(y, (x.astype(np.float64) * w[:, None]).sum(axis=0))


def test_scalars_in_identity_and_post_map(reduce, rng):
    kernel = ("T x, T lo, T scale", "T y", "x", "max(a, b)", "y = a * scale", "lo")
    x = rng.standard_normal((6, 20)).astype(np.float32)
    y = reduce(*kernel, x, np.float32(0.25), np.float32(3.0), axis=1, name="clipped_max")
    np.testing.assert_array_equal(y, np.maximum(x.max(axis=1), 0.25) * 3)
    empty = reduce(*kernel, x[:, :0], 7.0, -2.0, axis=1)
    np.testing.assert_array_equal(empty, np.full(6, -14.0, np.float32))


def test_several_outputs_only_the_first_returned(reduce, rng):
    x = rng.integers(-100, 100, size=(9, 31), dtype=np.int32)
    y, z = np.zeros(9, np.int32), np.zeros(9, np.int32)
    got = reduce("T x", "T y, T z", "x", "a + b", "y = a, z = a * 2", "0", x, y, z, axis=1)
    assert got is y
    np.testing.assert_array_equal(y, x.sum(axis=1))
    np.testing.assert_array_equal(z, 2 * x.sum(axis=1))


@pytest.mark.parametrize(
    "axis, keepdims",
    [
        (None, False),
        (None, True),
        (0, False),
        (1, True),
        (-1, False),
        ((0, 2), False),
        ((2, 0), True),
        ((-3, -2, -1), False),
    ],
)
def test_axes_and_keepdims(reduce, rng, axis, keepdims):
    x = rng.integers(-1000, 1000, size=(3, 4, 5), dtype=np.int32)
    y = reduce(*SUM, x, axis=axis, keepdims=keepdims)
    np.testing.assert_array_equal(y, x.sum(axis=axis, keepdims=keepdims))


def test_axis_errors(reduce):
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(np.exceptions.AxisError):
        reduce(*SUM, x, axis=2)
    with pytest.raises(ValueError, match="duplicate value in 'axis'"):
        reduce(*SUM, x, axis=(1, -1))


def test_broadcast_inputs(reduce, rng):
    x = rng.integers(-9, 9, size=(12, 1, 5), dtype=np.int32)
    w = rng.integers(-9, 9, size=(7, 1), dtype=np.int32)
    y = reduce("T x, T w", "T y", "x * w", "a + b", "y = a", "0", x, w, axis=(0, 2))
    np.testing.assert_array_equal(y, (x * w).sum(axis=(0, 2)))


def test_strided_and_transposed_views(reduce, rng):
    base = rng.integers(-50, 50, size=(20, 30), dtype=np.int32)
    x = base[::2, ::-3].T  # (10, 10), negative and non-unit strides, transposed
    np.testing.assert_array_equal(reduce(*SUM, x, axis=1), x.sum(axis=1))
    np.testing.assert_array_equal(reduce(*SUM, x, axis=0), x.sum(axis=0))


def test_empty_cases(reduce):
    x = np.zeros((3, 0), np.float32)
    y = reduce("T x", "T y", "x", "a + b", "y = a + 1.5f", "0", x, axis=1)
    np.testing.assert_array_equal(y, np.full(3, 1.5, np.float32))  # post_map(identity)
    assert reduce(*SUM, np.zeros((0, 4), np.float32), axis=1).shape == (0,)  # no launch
    with pytest.raises(ValueError, match="which has no identity"):
        reduce("T x", "T y", "x", "a + b", "y = a", None, x, axis=1, name="noid")
    out = reduce("T x", "T y", "x", "a + b", "y = a", None, np.zeros((0, 4), np.float32), axis=1)
    assert out.shape == (0,)  # an empty output returns before the identity check


def test_large_reduction_takes_the_second_stage(reduce, rng, target):
    x = rng.integers(-8, 8, size=1 << 20, dtype=np.int32)
    if target == "wgsl":
        groups, stages = wgsl_stages(WGSL_PLAN, 1, x.size)
        assert groups == 256 and [s.entry_point for s in stages] == ["main_partial", "main_merge"]
    else:
        assert len(glsl_passes(x.size)) == 4
    assert reduce(*SUM, x) == x.sum()


def test_many_small_reductions(reduce, rng):
    x = rng.standard_normal((4096, 7)).astype(np.float32)
    close(reduce(*SUM, x, axis=1), x.astype(np.float64).sum(axis=1))


def test_int32_sums_wrap_around(reduce):
    x = np.full((3, 1000), 2**30 + 7, np.int32)
    np.testing.assert_array_equal(reduce(*SUM, x, axis=1), x.sum(axis=1, dtype=np.int32))


def test_bool_and_uint_reduce_types(reduce, rng):
    x = rng.integers(0, 2**32, size=(4, 600), dtype=np.uint32)
    xor = reduce("T x", "T y", "x", "a ^ b", "y = a", "0", x, axis=1)
    np.testing.assert_array_equal(xor, np.bitwise_xor.reduce(x, axis=1))
    flags = np.zeros((5, 300), np.int32)
    flags[[1, 3], [17, 299]] = 4
    anyk = reduce(
        "T x", "bool y", "x != 0", "a || b", "y = a", "false", flags, axis=1, reduce_type="bool"
    )
    np.testing.assert_array_equal(anyk, flags.any(axis=1))


def test_J_follows_memory_order_of_a_transposed_input(reduce):
    """CuPy sorts the reduced axes of one non-contiguous input by decreasing |stride|."""
    x = np.arange(12, dtype=np.int32).reshape(3, 4).T  # (4, 3), strides (1, 4) elements
    y = reduce("T x", "T y", "_J == 1 ? x : 0", "a + b", "y = a", "0", x)
    assert y == x.T.reshape(-1)[1]


@pytest.mark.parametrize("groups", [1, 2, 3, 7, 256])
@pytest.mark.parametrize("columns", [False, True])
def test_split_stage_any_group_count(rng, groups, columns, monkeypatch):
    """WGSL: the result does not depend on how many workgroups share an output (the
    device launches the count it is given), by rows and by columns."""
    import kernelc.abi.plan

    planned = []

    def spy(launch, n, red_n, groups=None, by_columns=False):
        planned.append((groups, by_columns))
        return wgsl_stages(launch, n, red_n, groups, by_columns)

    monkeypatch.setattr(kernelc.abi.plan, "wgsl_stages", spy)
    # 40 outputs, each a column (strides 40 along the reduced axis, 1 across outputs)
    x = rng.integers(-1000, 1000, size=(1500, 40 if columns else 3), dtype=np.int32)
    y = call_reduction("wgsl", *SUM, x, axis=0, groups=groups, on_program=validate_program)
    np.testing.assert_array_equal(y, x.sum(axis=0))
    assert planned == [(groups, columns)]


@pytest.mark.parametrize("shape, axis", [((3000, 300), 0), ((50, 7, 600), (0, 2)), ((4000, 5), 1)])
def test_columns_match_rows(rng, shape, axis):
    """By columns (outer axes, or short reductions) and by rows give the same sums."""
    x = rng.integers(-1000, 1000, size=shape, dtype=np.int32)
    y = call_reduction("wgsl", *SUM, x, axis=axis, on_program=validate_program)
    np.testing.assert_array_equal(y, x.sum(axis=axis))


@pytest.mark.parametrize("red_n", [31, 32, 33, 1024, 1025, 2000])
def test_glsl_pass_boundaries(rng, red_n):
    x = rng.integers(-1000, 1000, size=(2, red_n), dtype=np.int32)
    y = call_reduction("glsl", *SUM, x, axis=1, on_program=validate_program)
    np.testing.assert_array_equal(y, x.sum(axis=1))
