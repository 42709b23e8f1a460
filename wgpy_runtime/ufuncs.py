"""NumPy ufuncs on device arrays: type resolution as NumPy 2 does it (NEP 50: Python
scalars are weak), broadcasting, `out=` with same-kind casting, and one generated
`ElementwiseKernel` per loop (complex loops: one per routine of `_complex_table`).

Rule: a ufunc call is one kernel launch. Dtypes are resolved by NumPy's own
`ufunc.resolve_dtypes` after every weak Python scalar is given the dtype NEP 50 assigns
it; the kernel converts each input to its loop type, runs the routine of
`_ufunc_table`, and converts the result to the output's dtype.
"""

from __future__ import annotations

import functools

import numpy as np

from . import _complex, _dtypes, _fastpath, _shapes, _ufunc_table
from ._fusion_trace import Var
from ._ufunc_table import UfuncDef
from .kernel import ElementwiseKernel
from .ndarray import ndarray

try:
    from numpy._core import umath as _umath
except ImportError:  # NumPy 1.x
    from numpy.core import umath as _umath


def is_scalar(a) -> bool:
    return isinstance(a, (bool, int, float, complex, np.generic))


def _strong(a) -> bool:
    return isinstance(a, ndarray) or (isinstance(a, np.generic) and not _dtypes.NUMPY_SCALARS_WEAK)


def strong_dtype(args) -> np.dtype | None:
    """The promoted dtype of the arrays and NumPy scalars among `args` (None if none)."""
    dtypes = [a.dtype for a in args if _strong(a)]
    return np.result_type(*dtypes) if dtypes else None


def weak_dtype(value, strong: np.dtype | None) -> np.dtype:
    """NEP 50: the dtype a Python scalar takes beside `strong` (Python ints, floats and
    complexes adopt the array's dtype when of a kind at least as high, a complex beside a
    float array its complex counterpart; bools are plain bools)."""
    kind = _dtypes.python_scalar_kind(value)
    strong_kind = strong.kind if strong is not None else ""
    if kind == "b":
        return np.dtype(bool)
    if kind == "i":
        return strong if strong_kind and strong_kind in "iufc" else _dtypes.DEFAULT_INT
    if kind == "f":
        return strong if strong_kind and strong_kind in "fc" else _dtypes.DEFAULT_FLOAT
    if kind == "c":
        if strong_kind and strong_kind in "fc":
            return _complex.complex_of(strong)
        return _dtypes.DEFAULT_COMPLEX
    raise TypeError(f"Unsupported type {type(value)}")


def arg_dtypes(args) -> list[np.dtype]:
    """Each argument's dtype, weak scalars resolved against the others."""
    for a in args:
        if not (isinstance(a, ndarray) or is_scalar(a)):
            raise TypeError(f"Unsupported type {type(a)}")
    strong = strong_dtype(args)
    return [
        a.dtype if _strong(a) else weak_dtype(a.item() if isinstance(a, np.generic) else a, strong)
        for a in args
    ]


def typed_scalar(value, dtype: np.dtype):
    """A Python scalar as a NumPy scalar of `dtype`, as NumPy converts it (a Python int
    out of the dtype's range is an OverflowError)."""
    if type(value) is float and dtype.kind == "f":
        return dtype.type(value)  # the cast below (overflow warning included)
    if isinstance(value, np.generic):
        if not _dtypes.NUMPY_SCALARS_WEAK:
            return value
        value = value.item()
    if isinstance(value, int) and not isinstance(value, bool) and dtype.kind in "iu":
        low, high = _int_range(dtype)
        if not low <= value <= high:
            raise OverflowError(f"Python integer {value} out of bounds for {dtype}")
        if type(value) is int:
            return dtype.type(value)  # the cast below, without an array
    return np.array(value).astype(dtype)[()]


@functools.cache
def _int_range(dtype: np.dtype) -> tuple[int, int]:
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


def check_cast(ufunc_name: str, from_: np.dtype, to: np.dtype, casting: str, what: str) -> None:
    if not np.can_cast(from_, to, casting):
        raise TypeError(
            f"Cannot cast ufunc '{ufunc_name}' {what} from {from_!r} to {to!r} "
            f"with casting rule '{casting}'"
        )


class ufunc:
    """A NumPy-compatible universal function whose loops are generated kernels."""

    def __init__(self, definition: UfuncDef) -> None:
        self._def = definition
        self.__name__ = definition.name
        self.nin, self.nout = definition.nin, definition.nout
        self.nargs = self.nin + self.nout
        np_name = definition.numpy_name or definition.name
        self._np = getattr(np, np_name, None)
        if not isinstance(self._np, np.ufunc):
            self._np = getattr(_umath, np_name)
        self._kernels: dict[tuple, ElementwiseKernel] = {}
        self._resolved: dict[tuple, tuple] = {}

    def __repr__(self) -> str:
        return f"<ufunc '{self.__name__}'>"

    @property
    def types(self) -> list[str]:
        return self._np.types

    def __call__(self, *args, out=None, dtype=None, casting="same_kind", **kwargs):
        if not kwargs:  # a call signature seen before (`_fastpath`)
            plan = _fastpath.find_ufunc(self, args, out, casting, dtype)
            if plan is not None:
                return plan(args, out)
        traced = next((a for a in args if type(a) is Var), None)
        if traced is not None:  # inside a fused function (`fusion`)
            return traced.trace.apply(self, args, {**kwargs, "out": out, "dtype": dtype})
        _check_kwargs(kwargs)
        ins, outs = self._split(args, out)
        dtypes = arg_dtypes(ins)
        loop_in, loop_out = self._resolve(tuple(dtypes), dtype)
        values = [typed_scalar(a, t) if is_scalar(a) else a for a, t in zip(ins, dtypes)]
        arrays = [a for a in ins if isinstance(a, ndarray)] + [o for o in outs if o is not None]
        shape = _shapes.broadcast_shapes(*(a.shape for a in arrays))
        device = arrays[0].device if arrays else None
        outs = self._outputs(outs, loop_out, shape, casting, device)
        read = [_unaliased(v, outs) for v in values]
        copied = any(r is not v for r, v in zip(read, values))
        values = read
        complex_loop = next((d for d in loop_in + loop_out if d.kind == "c"), None)
        if complex_loop is not None:
            _complex.launch(self.__name__, values, complex_loop, outs[0])
            return outs[0] if self.nout == 1 else tuple(outs)
        inplace = self._inplace(values, outs)
        kernel = self._kernel(values, loop_in, loop_out, [o.dtype for o in outs], inplace)
        kernel(*_without(values, inplace), *outs)
        if not kwargs:
            scalars = tuple((k, t) for k, (a, t) in enumerate(zip(ins, dtypes)) if is_scalar(a))
            steps = (typed_scalar, _unaliased)
            _fastpath.record_ufunc(
                self,
                args,
                out,
                casting,
                scalars,
                shape,
                device,
                kernel,
                outs,
                steps,
                inplace,
                copied,
                dtype,
            )
        return outs[0] if self.nout == 1 else tuple(outs)

    def _split(self, args, out) -> tuple[tuple, list]:
        if len(args) not in (self.nin, self.nargs):
            raise TypeError(
                f"{self.__name__}() takes from {self.nin} to {self.nargs} "
                f"positional arguments but {len(args)} were given"
            )
        ins, outs = args[: self.nin], list(args[self.nin :])
        if out is not None:
            if outs:
                raise TypeError("cannot specify 'out' as both a positional and keyword argument")
            outs = list(out) if isinstance(out, tuple) else [out]
        if not outs:
            outs = [None] * self.nout
        if len(outs) != self.nout:
            raise ValueError(f"The 'out' tuple must have exactly {self.nout} entries")
        for o in outs:
            if o is not None and not isinstance(o, ndarray):
                raise TypeError("return arrays must be of ArrayType")
        return ins, outs

    def _resolve(self, dtypes: tuple, dtype) -> tuple[list, list]:
        """(loop input dtypes, loop output dtypes), by NumPy's resolver (cached)."""
        key = (dtypes, None if dtype is None else np.dtype(dtype))
        found = self._resolved.get(key)
        if found is None:
            options = (
                {} if dtype is None else {"signature": (None,) * self.nin + (key[1],) * self.nout}
            )
            loop = self._np.resolve_dtypes(dtypes + (None,) * self.nout, **options)
            found = self._resolved[key] = (list(loop[: self.nin]), list(loop[self.nin :]))
        return found

    def _outputs(self, outs, loop_out, shape, casting, device) -> list[ndarray]:
        result = []
        for o, t in zip(outs, loop_out):
            if o is None:
                result.append(ndarray(shape, _dtypes.normalize(t), device=device))
                continue
            if o.shape != shape:
                raise ValueError(
                    f"non-broadcastable output operand with shape {o.shape} "
                    f"doesn't match the broadcast shape {shape}"
                )
            check_cast(self.__name__, t, o.dtype, casting, "output")
            result.append(o)
        return result

    def _inplace(self, values, outs) -> int | None:
        """The input that is the very view of the one output, of its dtype (`z += x`): the
        kernel reads it from the output (WebGPU cannot bind one buffer both read-only and
        writable, so it would copy the whole buffer first)."""
        if self.nout != 1:
            return None
        o = outs[0]
        for k, v in enumerate(values):
            if type(v) is ndarray and v._buf is o._buf and v.dtype == o.dtype and _same_view(v, o):
                return k
        return None

    def _kernel(self, values, loop_in, loop_out, out_dtypes, inplace=None) -> ElementwiseKernel:
        arg_types = tuple((isinstance(v, ndarray), np.dtype(v.dtype)) for v in values)
        key = (
            arg_types,
            tuple(loop_in),
            tuple(loop_out),
            tuple(out_dtypes),
            _dtypes.exact64(),
            inplace,
        )  # the kernel text depends on the 64-bit policy (BITS)
        kernel = self._kernels.get(key)
        if kernel is None:
            kernel = self._kernels[key] = self._make_kernel(
                arg_types, loop_in, loop_out, out_dtypes, inplace
            )
        return kernel

    def _make_kernel(
        self, arg_types, loop_in, loop_out, out_dtypes, inplace=None
    ) -> ElementwiseKernel:
        d = self._def
        in_params = ", ".join(
            f"{t.name} _x{k}" for k, (_, t) in enumerate(arg_types) if k != inplace
        )
        out_params = ", ".join(f"{t.name} _y{k}" for k, t in enumerate(out_dtypes))
        typedefs = [f"typedef {_dtypes.ctype(t)} in{k}_type;" for k, t in enumerate(loop_in)]
        typedefs += [f"typedef {_dtypes.ctype(t)} out{k}_type;" for k, t in enumerate(loop_out)]
        body = [
            f"in{k}_type in{k} = (in{k}_type){'_y0' if k == inplace else f'_x{k}'};"
            for k in range(self.nin)
        ]
        body += [f"out{k}_type out{k};" for k in range(self.nout)]
        bits = str(8 * _dtypes.storage(loop_in[0]).itemsize)
        body.append(d.routine(loop_in[0].kind).strip().replace("BITS", bits) + ";")
        body += [f"_y{k} = ({_dtypes.ctype(t)})out{k};" for k, t in enumerate(out_dtypes)]
        preamble = "\n".join(typedefs) + ("\n" + d.preamble if d.preamble else "")
        return ElementwiseKernel(in_params, out_params, "\n".join(body), d.name, preamble=preamble)


def _check_kwargs(kwargs: dict) -> None:
    """Accept the NumPy keywords that change nothing here; refuse the others."""
    harmless = {"where": True, "order": "K", "subok": True, "signature": None}
    for key, value in kwargs.items():
        if key not in harmless:
            raise TypeError(f"'{key}' is an invalid keyword to ufunc")
        if value is not harmless[key] and value != harmless[key]:
            raise NotImplementedError(f"ufunc argument {key}={value!r} is not supported")


def _unaliased(value, outs):
    """An input sharing memory with an output, but not the very same view, is copied
    first (NumPy gives results as if inputs were read before any output is written)."""
    if not isinstance(value, ndarray):
        return value
    for o in outs:
        if o._buf is value._buf and not _same_view(o, value) and _overlap(o, value):
            return value.copy()
    return value


def _without(values: list, k: int | None) -> list:
    return values if k is None else values[:k] + values[k + 1 :]


def _same_view(a: ndarray, b: ndarray) -> bool:
    return a._offset == b._offset and a._shape == b._shape and a._strides == b._strides


def _overlap(a: ndarray, b: ndarray) -> bool:
    la, ha = _shapes.extent_range(a._offset, a._shape, a._strides)
    lb, hb = _shapes.extent_range(b._offset, b._shape, b._strides)
    return la <= hb and lb <= ha


UFUNCS: dict[str, ufunc] = {}
for _d in _ufunc_table.UFUNCS:
    UFUNCS[_d.name] = ufunc(_d)
    for _alias in _d.aliases:
        UFUNCS[_alias] = UFUNCS[_d.name]

globals().update(UFUNCS)
