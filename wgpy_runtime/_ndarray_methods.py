"""Operators and methods of `ndarray` that run kernels: they call ufuncs, reductions,
indexing, creation, manipulation, linalg and elementwise routines.

Rule: `ndarray` itself holds views and transfers only; every method here forwards to the
module function of the same name (indexing's for `[]`, copies, casts and assignment), so
both spellings run the same kernel. `install` binds them to the class once those modules
have loaded (`_api` calls it), so that none of them imports another inside a function. An
operand that is neither an ndarray nor a scalar gives NotImplemented (NumPy arrays are not
mixed in).
"""

from __future__ import annotations

import numpy as np

from . import (
    _dtypes,
    _indexing,
    creation,
    elementwise,
    indexing,
    linalg,
    manipulation,
    reductions,
    sorting,
    ufuncs,
)
from .ndarray import ndarray

_BINARY = {
    "add": "add",
    "sub": "subtract",
    "mul": "multiply",
    "truediv": "true_divide",
    "floordiv": "floor_divide",
    "mod": "remainder",
    "pow": "power",
    "and": "bitwise_and",
    "or": "bitwise_or",
    "xor": "bitwise_xor",
    "lshift": "left_shift",
    "rshift": "right_shift",
}
_COMPARE = {
    "lt": "less",
    "le": "less_equal",
    "gt": "greater",
    "ge": "greater_equal",
    "eq": "equal",
    "ne": "not_equal",
}
_UNARY = {"neg": "negative", "pos": "positive", "abs": "absolute", "invert": "invert"}
_REDUCTIONS = "sum prod mean var std max min argmax argmin any all cumsum cumprod nonzero"
# method name -> (module, function); the method passes `self` first.
_METHODS = {
    **{n: (reductions, n) for n in _REDUCTIONS.split()},
    "clip": (elementwise, "clip"),
    "round": (elementwise, "around"),
    "conj": (elementwise, "conj"),
    "conjugate": (elementwise, "conj"),
    "dot": (linalg, "dot"),
    "take": (indexing, "take"),
    "repeat": (manipulation, "repeat"),
    "diagonal": (manipulation, "diagonal"),
    "trace": (linalg, "trace"),
    "scatter_add": (indexing, "scatter_add"),
    "sort": (sorting, "sort_in_place"),
    "argsort": (sorting, "argsort"),
}

_OPERANDS = (ndarray, bool, int, float, complex, np.generic)


def _operand(other) -> bool:
    return isinstance(other, _OPERANDS)


def _binary(name: str):
    def forward(self, other):
        return getattr(ufuncs, name)(self, other) if _operand(other) else NotImplemented

    def reflected(self, other):
        return getattr(ufuncs, name)(other, self) if _operand(other) else NotImplemented

    def inplace(self, other):
        if not _operand(other):
            return NotImplemented
        getattr(ufuncs, name)(self, other, out=self)
        return self

    return forward, reflected, inplace


def _unary(name: str):
    def op(self):
        return getattr(ufuncs, name)(self)

    return op


def _method(module, function: str):
    def method(self, *args, **kwargs):
        return getattr(module, function)(self, *args, **kwargs)

    method.__name__ = function
    return method


def _matmul(self, other):
    return linalg.matmul(self, other) if _operand(other) else NotImplemented


def _rmatmul(self, other):
    return linalg.matmul(other, self) if _operand(other) else NotImplemented


def _divmod(self, other):
    return (ufuncs.floor_divide(self, other), ufuncs.remainder(self, other))


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """NumPy ufuncs called on device arrays run as device ufuncs; a 0-d NumPy array is a
    scalar there (as CuPy takes it: Chainer's `x_min <= x`), and mixing in other NumPy
    arrays is refused (NotImplemented, so NumPy raises TypeError)."""
    mine = ufuncs.UFUNCS.get(ufunc.__name__)
    inputs = tuple(a[()] if isinstance(a, np.ndarray) and a.ndim == 0 else a for a in inputs)
    out = kwargs.get("out", ())
    args = inputs + (out if isinstance(out, tuple) else (out,))
    if method != "__call__" or mine is None or any(isinstance(a, np.ndarray) for a in args):
        return NotImplemented
    if not any(isinstance(a, ndarray) for a in inputs):
        return NotImplemented
    if isinstance(out, tuple) and len(out) == 1:
        kwargs["out"] = out[0]
    return mine(*inputs, **kwargs)


# ---------------------------------------------------------------------------- indexing, copies


def _getitem(self, key):
    if _indexing.is_basic(key):  # a view
        shape, strides, offset = _indexing.basic_view(self._shape, self._strides, self._offset, key)
        return self._view(self._buf, shape, strides, offset)
    return indexing.getitem(self, key)


def _setitem(self, key, value) -> None:
    indexing.setitem(self, key, value)


def _copy(self, order="C") -> ndarray:
    return indexing.copy(self)


def _astype(self, dtype, order="K", casting=None, subok=None, copy=True) -> ndarray:
    dtype = _dtypes.normalize(dtype)
    if dtype == self.dtype and not copy:
        return self
    return indexing.astype(self, dtype)


def _fill(self, value) -> None:
    indexing.assign(self, value)


def _set(self, arr, stream=None) -> None:
    """Copy the NumPy array `arr` (same shape) into this view."""
    arr = np.asarray(arr)
    if arr.shape != self._shape:
        raise ValueError(f"Shape mismatch. Old shape: {self._shape}, new shape: {arr.shape}")
    indexing.assign(self, arr)


def _imag(self) -> ndarray:
    """The imaginary part: a view of a complex array; zeros for a real one (NumPy's is
    read-only; this one is a new array)."""
    if self.dtype.kind == "c":
        return self._pair()[..., 1]
    return creation.zeros(self._shape, self.dtype, device=self.device)


def _set_imag(self, value) -> None:
    if self.dtype.kind != "c":
        raise TypeError("array does not have imaginary part to set")
    self.imag[...] = value


def install(cls) -> None:
    for op, name in _BINARY.items():
        forward, reflected, inplace = _binary(name)
        setattr(cls, f"__{op}__", forward)
        setattr(cls, f"__r{op}__", reflected)
        setattr(cls, f"__i{op}__", inplace)
    for op, name in _COMPARE.items():
        setattr(cls, f"__{op}__", _binary(name)[0])
    for op, name in _UNARY.items():
        setattr(cls, f"__{op}__", _unary(name))
    for name, (module, function) in _METHODS.items():
        setattr(cls, name, _method(module, function))
    cls.__matmul__, cls.__rmatmul__, cls.__divmod__ = _matmul, _rmatmul, _divmod
    cls.__array_ufunc__ = _array_ufunc
    cls.__hash__ = None
    cls.__getitem__, cls.__setitem__ = _getitem, _setitem
    cls.copy, cls.astype, cls.fill, cls.set = _copy, _astype, _fill, _set
    cls.imag = property(_imag, _set_imag, doc=_imag.__doc__)
