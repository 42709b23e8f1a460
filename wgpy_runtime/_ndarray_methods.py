"""Operators and methods of `ndarray` that delegate to ufuncs, reductions and
manipulation routines.

Rule: `ndarray` itself holds views and transfers only; every method here forwards to the
module function of the same name, so both spellings run the same kernel. An operand that
is neither an ndarray nor a scalar gives NotImplemented (NumPy arrays are not mixed in).
"""

from __future__ import annotations

import importlib
import sys

import numpy as np

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
# method name -> (module, function); the method passes `self` first.
_METHODS = {
    **{
        n: ("reductions", n)
        for n in [
            "sum",
            "prod",
            "mean",
            "var",
            "std",
            "max",
            "min",
            "argmax",
            "argmin",
            "any",
            "all",
            "cumsum",
            "cumprod",
            "nonzero",
        ]
    },
    "clip": ("elementwise", "clip"),
    "round": ("elementwise", "around"),
    "conj": ("elementwise", "conj"),
    "conjugate": ("elementwise", "conj"),
    "dot": ("linalg", "dot"),
    "take": ("indexing", "take"),
    "repeat": ("manipulation", "repeat"),
    "diagonal": ("manipulation", "diagonal"),
    "trace": ("linalg", "trace"),
    "scatter_add": ("indexing", "scatter_add"),
}


def _ufunc(name: str):
    module = sys.modules.get("wgpy_runtime.ufuncs")  # import_module costs a microsecond
    if module is None:
        module = importlib.import_module("wgpy_runtime.ufuncs")
    return getattr(module, name)


_OPERANDS: tuple = (bool, int, float, complex, np.generic)  # `install` adds ndarray


def _operand(other) -> bool:
    return isinstance(other, _OPERANDS)


def _binary(name: str):
    def forward(self, other):
        return _ufunc(name)(self, other) if _operand(other) else NotImplemented

    def reflected(self, other):
        return _ufunc(name)(other, self) if _operand(other) else NotImplemented

    def inplace(self, other):
        if not _operand(other):
            return NotImplemented
        _ufunc(name)(self, other, out=self)
        return self

    return forward, reflected, inplace


def _unary(name: str):
    def op(self):
        return _ufunc(name)(self)

    return op


def _method(module: str, function: str):
    def method(self, *args, **kwargs):
        fn = getattr(importlib.import_module(f"wgpy_runtime.{module}"), function)
        return fn(self, *args, **kwargs)

    method.__name__ = function
    return method


def _matmul(self, other):
    from . import linalg

    return linalg.matmul(self, other) if _operand(other) else NotImplemented


def _rmatmul(self, other):
    from . import linalg

    return linalg.matmul(other, self) if _operand(other) else NotImplemented


def _divmod(self, other):
    return (_ufunc("floor_divide")(self, other), _ufunc("remainder")(self, other))


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """NumPy ufuncs called on device arrays run as device ufuncs; a 0-d NumPy array is a
    scalar there (as CuPy takes it: Chainer's `x_min <= x`), and mixing in other NumPy
    arrays is refused (NotImplemented, so NumPy raises TypeError)."""
    from . import ufuncs
    from .ndarray import ndarray

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


def install(cls) -> None:
    global _OPERANDS
    _OPERANDS = (cls, bool, int, float, complex, np.generic)
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
