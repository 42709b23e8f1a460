"""`wgpy_runtime.random`: random arrays generated on the host (NumPy's RandomState) and
uploaded, with CuPy's function names and NumPy's default dtypes.

Rule: one process-wide `RandomState`, reseeded by `seed`; nothing is drawn on the GPU,
so a seed gives the same numbers as `numpy.random` with that seed.
"""

from __future__ import annotations

import numpy as np

from .creation import asarray

_state = np.random.RandomState()


def seed(seed=None) -> None:
    _state.seed(seed)


def get_random_state() -> np.random.RandomState:
    return _state


def _upload(values, dtype=None):
    values = np.asarray(values)
    return asarray(values if dtype is None else values.astype(dtype))


def _shape(size):
    return () if size is None else size


def rand(*size, dtype=float):
    return _upload(_state.random_sample(size), dtype)


def randn(*size, dtype=float):
    return _upload(_state.standard_normal(size), dtype)


def random_sample(size=None, dtype=float):
    return _upload(_state.random_sample(_shape(size)), dtype)


random = ranf = sample = random_sample


def uniform(low=0.0, high=1.0, size=None, dtype=float):
    return _upload(_state.uniform(low, high, _shape(size)), dtype)


def normal(loc=0.0, scale=1.0, size=None, dtype=float):
    return _upload(_state.normal(loc, scale, _shape(size)), dtype)


def standard_normal(size=None, dtype=float):
    return _upload(_state.standard_normal(_shape(size)), dtype)


def randint(low, high=None, size=None, dtype=int):
    return _upload(_state.randint(low, high, _shape(size), dtype=np.int64), dtype)


def random_integers(low, high=None, size=None):
    high = low if high is None else high
    low = 1 if high is low else low
    return randint(low, high + 1, size)


def choice(a, size=None, replace=True, p=None):
    if not isinstance(a, (int, np.integer)):
        a = a.get() if hasattr(a, "get") else np.asarray(a)
    if p is not None and hasattr(p, "get"):
        p = p.get()
    return _upload(_state.choice(a, _shape(size), replace, p))


def permutation(x):
    if isinstance(x, (int, np.integer)):
        return _upload(_state.permutation(x))
    return x[asarray(_state.permutation(len(x)))]


def shuffle(x) -> None:
    x[...] = x[asarray(_state.permutation(len(x)))]
