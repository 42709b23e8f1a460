"""`numpy_wgpy_allclose` (CuPy's `numpy_cupy_allclose`): one test body run with
`xp=numpy` and `xp=wgpy_runtime`, results compared, or both required to raise the same
kind of error; plus the backend fixture and data makers.

Rule: a test module that imports `wgpy_backend` runs each test on every backend
(`wgpy_runtime.device.BACKENDS`, through `set_device`; only `WGPY_BACKEND`'s when set). Results are compared as NumPy
arrays: same shape, same dtype (unless `type_check=False`), values within tolerances that
depend on the dtype (float16 loose).
"""

from __future__ import annotations

import functools
import inspect
import os
import warnings

import numpy as np
import pytest

import wgpy_runtime as wp
from wgpy_runtime import device as devices

ALL_DTYPES = (
    "bool",
    "int8",
    "uint8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "float16",
    "float32",
    "float64",
)
FLOAT_DTYPES = ("float16", "float32", "float64")
INT_DTYPES = ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64")
SIGNED_DTYPES = ("int8", "int16", "int32", "int64", "float16", "float32", "float64")
NUMERIC_DTYPES = INT_DTYPES + FLOAT_DTYPES
# Per result dtype: (rtol, atol) floors; a test's own tolerances apply when larger. float64
# is computed in 64 bits under the exact policy (a few ulp apart: summation order, library
# functions), in 32 under the fast one.
_TOLERANCE = {"float16": (2e-3, 2e-3), "float32": (1e-5, 1e-6), "float64": (1e-12, 1e-14)}
_FAST_FLOAT64 = (1e-5, 1e-6)


def under_fast_64bit_policy(test):
    """A test of what the fast 64-bit policy does (64-bit dtypes held in 32 bits): run
    under it, whatever the suite's policy, with its PrecisionWarning silenced."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        previous = wp.get_64bit_policy()
        wp.set_64bit_policy("fast")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", wp.PrecisionWarning)
                return test(*args, **kwargs)
        finally:
            wp.set_64bit_policy(previous)

    return run


# WGPY_BACKEND=webgl (or webgpu) limits the runs to that backend; unset: every backend.
BACKENDS = tuple(b for b in devices.BACKENDS if os.environ.get("WGPY_BACKEND", b) == b)


@pytest.fixture(params=BACKENDS, autouse=True)
def wgpy_backend(request):
    """Every test of a module importing this runs once per backend."""
    previous = devices.set_device(request.param)
    yield request.param
    devices.set_device(previous)


def numpy_wgpy_allclose(rtol=1e-5, atol=1e-6, type_check=True, accept_error=True, equal_nan=True):
    """Decorate `test(..., xp)`: run it with NumPy and with wgpy_runtime, then compare."""

    def decorator(fn):
        signature = inspect.signature(fn)
        params = [p for name, p in signature.parameters.items() if name != "xp"]

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            expected, np_error = _run(fn, args, kwargs, np)
            actual, wp_error = _run(fn, args, kwargs, wp)
            if np_error or wp_error:
                check_same_error(np_error, wp_error, accept_error)
                return
            assert_allclose(actual, expected, rtol, atol, type_check, equal_nan)

        wrapper.__signature__ = signature.replace(parameters=params)
        return wrapper

    return decorator


def numpy_wgpy_array_equal(type_check=True):
    return numpy_wgpy_allclose(rtol=0, atol=0, type_check=type_check)


def numpy_wgpy_raises():
    """Both must raise errors of one kind (and neither may succeed)."""

    def decorator(fn):
        signature = inspect.signature(fn)
        params = [p for name, p in signature.parameters.items() if name != "xp"]

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            _, np_error = _run(fn, args, kwargs, np)
            _, wp_error = _run(fn, args, kwargs, wp)
            assert np_error is not None, "numpy did not raise"
            check_same_error(np_error, wp_error, True)

        wrapper.__signature__ = signature.replace(parameters=params)
        return wrapper

    return decorator


def _run(fn, args, kwargs, xp):
    try:
        with np.errstate(all="ignore"):
            return fn(*args, xp=xp, **kwargs), None
    except Exception as e:  # compared with the other module's behaviour
        return None, e


def _builtin_base(error: BaseException) -> type:
    """The nearest built-in exception class of an error (NumPy's own subclass them)."""
    for cls in type(error).__mro__:
        if cls.__module__ == "builtins":
            return cls
    return Exception


def check_same_error(np_error, wp_error, accept_error=True) -> None:
    if np_error is None:
        raise AssertionError(f"only wgpy_runtime raised: {wp_error!r}") from wp_error
    if wp_error is None:
        raise AssertionError(f"only numpy raised: {np_error!r}") from np_error
    if not accept_error:
        raise AssertionError(f"both raised: numpy {np_error!r}, wgpy {wp_error!r}")
    same = (
        isinstance(wp_error, type(np_error))
        or isinstance(np_error, type(wp_error))
        or _builtin_base(np_error) is _builtin_base(wp_error)
    )
    if not same:
        raise AssertionError(
            f"different errors: numpy {np_error!r}, wgpy {wp_error!r}"
        ) from wp_error


def to_host(value):
    if isinstance(value, wp.ndarray):
        return value.get()
    if isinstance(value, (list, tuple)):
        return type(value)(to_host(v) for v in value)
    return value


def assert_allclose(actual, expected, rtol=1e-5, atol=1e-6, type_check=True, equal_nan=True):
    if isinstance(expected, (list, tuple)):
        assert isinstance(actual, (list, tuple)) and len(actual) == len(expected), (
            f"{type(actual).__name__} of {len(actual) if hasattr(actual, '__len__') else '?'} "
            f"vs {type(expected).__name__} of {len(expected)}"
        )
        for a, e in zip(actual, expected):
            assert_allclose(a, e, rtol, atol, type_check, equal_nan)
        return
    assert isinstance(actual, wp.ndarray) or not isinstance(expected, np.ndarray), (
        f"wgpy returned {type(actual).__name__}, numpy an ndarray"
    )
    got, want = np.asarray(to_host(actual)), np.asarray(expected)
    if type_check:
        assert got.dtype == want.dtype, f"dtype {got.dtype} != numpy's {want.dtype}"
    assert got.shape == want.shape, f"shape {got.shape} != numpy's {want.shape}"
    rtol_floor, atol_floor = _TOLERANCE.get(want.dtype.name, (0, 0))
    if want.dtype == np.float64 and wp.get_64bit_policy() == "fast":
        rtol_floor, atol_floor = _FAST_FLOAT64
    if want.dtype.kind in "biu" and got.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want)
        return
    wide = np.complex128 if "c" in (got.dtype.kind, want.dtype.kind) else np.float64
    np.testing.assert_allclose(
        got.astype(wide),  # complex as complex: both parts compared
        want.astype(wide),
        rtol=max(rtol, rtol_floor),
        atol=max(atol, atol_floor),
        equal_nan=equal_nan,
    )


# ---------------------------------------------------------------------------- data


def shaped_arange(shape, xp=np, dtype="float32", start=1):
    """1, 2, 3, ... in `shape` (bool: alternating), as CuPy's testing helper."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape, dtype=np.int64))
    values = np.arange(start, start + size)
    if dtype.kind == "b":
        values = values % 2 == 0
    elif dtype.kind == "u" or dtype.itemsize == 1:
        values = values % (np.iinfo(dtype).max + 1 if dtype.kind in "iu" else 256)
    return xp.asarray(values.reshape(shape).astype(dtype))


def shaped_random(shape, xp=np, dtype="float32", scale=10, seed=0, positive=False):
    """Reproducible random values: ints in [-scale, scale) (unsigned and `positive`:
    [0, scale)), floats scaled normal, bools half true."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        values = rng.integers(0, 2, shape).astype(bool)
    elif dtype.kind in "iu":
        low = 0 if dtype.kind == "u" or positive else -scale
        values = rng.integers(low, scale, shape).astype(dtype)
    else:
        values = rng.standard_normal(shape) * scale
        values = (np.abs(values) if positive else values).astype(dtype)
    return xp.asarray(values)


def print_accuracy(names, measure) -> None:
    """`python -m tests.runtime.<module>`: each name's measured error on every backend
    under the exact 64-bit policy (the figures of docs/math-accuracy.md)."""
    wp.set_64bit_policy("exact")
    for backend in devices.BACKENDS:
        devices.set_device(backend)
        for name in names:
            print(backend, name, measure(name), flush=True)
