"""`cupy.testing` and `cupy.testing.random` for the shim: what Chainer's testing helpers
and tests call (`chainer.testing.fix_random` calls `cupy.testing.random.do_setup` and
`do_teardown` whenever CUDA is available; tests compare with `assert_array_equal`).

Rule: the assertions are NumPy's on the arrays read back from the device; `do_setup`
seeds Python's, NumPy's and wgpy_runtime's random states as CuPy's does (99, 100, 101)
and `do_teardown` restores the states saved by the matching `do_setup`.
"""

from __future__ import annotations

import functools
import random as _py_random
import types

import numpy as np

from .. import random as _wp_random
from ..creation import asarray
from ..ndarray import ndarray


def _host(value):
    return value.get() if isinstance(value, ndarray) else value


def _compare(check):
    @functools.wraps(check)
    def call(actual, desired, *args, **kwargs):
        return check(_host(actual), _host(desired), *args, **kwargs)

    return call


assert_allclose = _compare(np.testing.assert_allclose)
assert_array_almost_equal = _compare(np.testing.assert_array_almost_equal)
assert_array_almost_equal_nulp = _compare(np.testing.assert_array_almost_equal_nulp)
assert_array_max_ulp = _compare(np.testing.assert_array_max_ulp)
assert_array_equal = _compare(np.testing.assert_array_equal)
assert_array_less = _compare(np.testing.assert_array_less)


def assert_array_list_equal(xs, ys, err_msg="", verbose=True):
    if len(xs) != len(ys):
        raise AssertionError(f"List size is different: {len(xs)} != {len(ys)}")
    for x, y in zip(xs, ys):
        np.testing.assert_array_equal(_host(x), _host(y), err_msg, verbose)


def shaped_arange(shape, xp=None, dtype=np.float32, order="C"):
    """1, 2, ... in `shape` (CuPy's helper); booleans alternate."""
    values = np.arange(1, int(np.prod(shape)) + 1).reshape(shape)
    values = values % 2 == 0 if np.dtype(dtype).kind == "b" else values.astype(dtype)
    values = np.asarray(values, order=order)
    return asarray(values) if xp is None or xp is not np else values


def shaped_random(shape, xp=None, dtype=np.float32, scale=10, seed=0):
    """Uniform values in [0, scale) from a fixed seed (CuPy's helper)."""
    state = np.random.RandomState(seed)
    values = state.rand(*shape) if np.dtype(dtype).kind != "b" else state.randint(2, size=shape)
    values = (values * (scale if np.dtype(dtype).kind != "b" else 1)).astype(dtype)
    return asarray(values) if xp is None or xp is not np else values


class _SavedStates:
    """The states one `do_setup` replaced, restored by the matching `do_teardown`."""

    python = numpy = device = None


_saved = _SavedStates()


def do_setup(deterministic: bool = True) -> None:
    _saved.python = _py_random.getstate()
    _saved.numpy = np.random.get_state()
    _saved.device = _wp_random.get_random_state().get_state()
    seeds = (99, 100, 101) if deterministic else (None, None, None)
    _py_random.seed(seeds[0])
    np.random.seed(seeds[1])
    _wp_random.seed(seeds[2])


def do_teardown() -> None:
    if _saved.python is None:
        raise RuntimeError("cupy.testing.random.do_teardown() without a do_setup()")
    _py_random.setstate(_saved.python)
    np.random.set_state(_saved.numpy)
    _wp_random.get_random_state().set_state(_saved.device)
    _saved.python = _saved.numpy = _saved.device = None


def generate_seed() -> int:
    return np.random.randint(0xFFFFFFFF)


def modules() -> dict[str, types.ModuleType]:
    rand = types.ModuleType("cupy.testing.random", "Random states for tests (CuPy's).")
    rand.do_setup, rand.do_teardown, rand.generate_seed = do_setup, do_teardown, generate_seed
    testing = types.ModuleType("cupy.testing", "CuPy's testing helpers on wgpy_runtime.")
    testing.__path__ = []
    for name, value in dict(globals()).items():
        if name.startswith(("assert_", "shaped_")):
            setattr(testing, name, value)
    testing.random = testing._random = rand
    return {"cupy.testing": testing, "cupy.testing.random": rand, "cupy.testing._random": rand}
