"""The tracing half of `fuse`: `Var`, the stand-in a fused function computes with, and
`Trace`, which turns each operation on Vars into C statements of one kernel body.

Rule: an operation on Vars resolves its dtypes exactly as the eager call would (the
ufunc's own resolver, NEP 50 weak scalars) and appends the ufunc's own routine, so the
fused kernel computes what the unfused calls compute. What cannot be traced raises
`FusionUnsupported`, and the caller runs the function unfused instead.
"""

from __future__ import annotations

import re

import numpy as np

from . import _dtypes


class FusionUnsupported(Exception):
    """The function does something one elementwise kernel cannot express."""


class Var:
    """A value of the fused function: an input array or scalar, a constant or a result.
    `weak` marks Python scalars (and results computed only from them), as NEP 50 does."""

    __slots__ = ("dtype", "input", "name", "trace", "weak")

    def __init__(
        self, trace: Trace, name: str, dtype: np.dtype, weak: bool = False, input: int | None = None
    ) -> None:
        self.trace, self.name, self.dtype, self.weak = trace, name, np.dtype(dtype), weak
        self.input = input  # the argument position of an input array

    @property
    def ndim(self):
        raise FusionUnsupported("the shape of a value inside a fused function")

    shape = size = ndim

    def __getattr__(self, name: str):
        if name.startswith("__"):  # protocol probes (NumPy's among them) must see "absent"
            raise AttributeError(name)
        raise FusionUnsupported(f"ndarray.{name} inside a fused function")

    def astype(self, dtype, copy=True) -> Var:
        return self.trace.cast(self, np.dtype(dtype))

    def __bool__(self):
        raise FusionUnsupported("branching on a value inside a fused function")

    def __setitem__(self, key, value) -> None:
        if not (isinstance(key, slice) and key == slice(None)):
            raise FusionUnsupported("indexed assignment other than x[:] = ...")
        self.trace.assign(self, value)

    def __repr__(self) -> str:
        return f"<fused value {self.name}: {self.dtype}>"


def _binary(name: str, reflected: bool = False):
    def method(self, other):
        ufunc = self.trace.ufuncs.UFUNCS[name]
        return ufunc(other, self) if reflected else ufunc(self, other)

    return method


def _inplace(name: str):
    def method(self, other):
        value = self.trace.ufuncs.UFUNCS[name](self, other)
        if self.weak:  # a Python scalar: `+=` rebinds the name, as for an int
            return value
        self.trace.assign(self, value)
        return self

    return method


def _unary(name: str):
    return lambda self: self.trace.ufuncs.UFUNCS[name](self)


for _op, _ufunc in [
    ("add", "add"),
    ("sub", "subtract"),
    ("mul", "multiply"),
    ("truediv", "true_divide"),
    ("floordiv", "floor_divide"),
    ("mod", "remainder"),
    ("pow", "power"),
    ("and", "bitwise_and"),
    ("or", "bitwise_or"),
    ("xor", "bitwise_xor"),
    ("lshift", "left_shift"),
    ("rshift", "right_shift"),
]:
    setattr(Var, f"__{_op}__", _binary(_ufunc))
    setattr(Var, f"__r{_op}__", _binary(_ufunc, reflected=True))
    setattr(Var, f"__i{_op}__", _inplace(_ufunc))
for _op, _ufunc in [
    ("lt", "less"),
    ("le", "less_equal"),
    ("gt", "greater"),
    ("ge", "greater_equal"),
    ("eq", "equal"),
    ("ne", "not_equal"),
]:
    setattr(Var, f"__{_op}__", _binary(_ufunc))
for _op, _ufunc in [
    ("neg", "negative"),
    ("pos", "positive"),
    ("abs", "absolute"),
    ("invert", "invert"),
]:
    setattr(Var, f"__{_op}__", _unary(_ufunc))
Var.__hash__ = object.__hash__

_TYPE_NAME = re.compile(r"\b(in|out)(\d+)_type\b")
_INPUT_NAME = re.compile(r"\bin(\d+)\b")
_SIMPLE_ROUTINE = re.compile(r"out0 = ([^;{}]*)\Z")


class Trace:
    """The kernel body being built: parameters (arrays and scalars of the call, then
    constants met while tracing) and statements."""

    def __init__(self, ufuncs) -> None:
        self.ufuncs = ufuncs  # the ufuncs module (it imports this one, so it is handed in)
        self.lines: list[str] = []
        self.hoisted: list[str] = []  # constants' conversions, before `lines`
        self._hoisted_names: dict[tuple, str] = {}
        self.constants: list[np.generic] = []
        self.assigned: dict[int, str] = {}  # input array position -> its final value
        self.preambles: list[str] = []
        self._constant_names: dict[tuple, str] = {}
        self._count = 0

    def value(self, a) -> Var:
        """`a` as a Var: Python and NumPy scalars become constant parameters."""
        if isinstance(a, Var):
            if a.trace is not self:
                raise FusionUnsupported("a value of another fused function")
            return a
        if isinstance(a, (bool, int, float, np.generic)):
            return self._constant(a)
        raise FusionUnsupported(f"an argument of type {type(a).__name__}")

    def _constant(self, a) -> Var:
        """A constant parameter, one per distinct value (a loop in the function repeats
        its constants)."""
        key = (type(a), getattr(a, "dtype", None), repr(a))  # repr keeps -0.0 apart
        if key not in self._constant_names:
            self._constant_names[key] = f"_c{len(self.constants)}"
            self.constants.append(a)
        name = self._constant_names[key]
        if isinstance(a, np.generic):
            return Var(self, name, a.dtype, weak=_dtypes.NUMPY_SCALARS_WEAK)
        return Var(self, name, scalar_dtype(a), weak=True)

    def _fresh(self) -> str:
        self._count += 1
        return f"_t{self._count}"

    def apply(self, ufunc, args: tuple, kwargs: dict):
        """The Var(s) of `ufunc(*args)`: its loop resolved as the eager call resolves it,
        its routine appended in a block of its own."""
        kwargs = {k: v for k, v in kwargs.items() if v is not None and k != "casting"}
        if kwargs or len(args) != ufunc.nin:
            raise FusionUnsupported(f"{ufunc.__name__} with out= or keyword arguments")
        values = [self.value(a) for a in args]
        dtypes = self._arg_dtypes(values)
        loop_in, loop_out = ufunc._resolve(tuple(dtypes), None)
        if any(d.kind == "c" for d in loop_in + loop_out):
            raise FusionUnsupported("complex dtypes")
        weak = all(v.weak for v in values)
        results = [Var(self, self._fresh(), _dtypes.normalize(t), weak) for t in loop_out]
        definition = ufunc._def
        bits = str(8 * _dtypes.storage(loop_in[0]).itemsize)
        routine = definition.routine(loop_in[0].kind).strip().replace("BITS", bits)
        types = {"in": loop_in, "out": loop_out}
        routine = _TYPE_NAME.sub(lambda m: _dtypes.ctype(types[m[1]][int(m[2])]), routine)
        if definition.preamble and definition.preamble not in self.preambles:
            self.preambles.append(definition.preamble)
        simple = _SIMPLE_ROUTINE.match(routine)
        if simple and len(results) == 1:  # `out0 = expr`: one declaration, no block
            ctype = _dtypes.ctype(results[0].dtype)
            operands = [f"({self.converted(v, t)})" for v, t in zip(values, loop_in)]
            expr = _INPUT_NAME.sub(lambda m: operands[int(m[1])], simple[1])
            self.lines.append(f"{ctype} {results[0].name} = ({ctype})({expr});")
            return results[0]
        self.lines += [f"{_dtypes.ctype(r.dtype)} {r.name};" for r in results]
        block = [
            f"{_dtypes.ctype(t)} in{k} = {self.converted(v, t)};"
            for k, (v, t) in enumerate(zip(values, loop_in))
        ]
        block += [f"{_dtypes.ctype(t)} out{k};" for k, t in enumerate(loop_out)]
        block.append(routine + ";")
        block += [f"{r.name} = ({_dtypes.ctype(r.dtype)})out{k};" for k, r in enumerate(results)]
        self.lines += ["{", *block, "}"]
        return results[0] if len(results) == 1 else tuple(results)

    def converted(self, v: Var, dtype: np.dtype) -> str:
        """`v` converted to `dtype`: a constant's conversion is computed once, at the top
        of the body (inside a rerolled loop it would be redone every iteration, and a
        64-bit one is a library call under the exact policy)."""
        ctype = _dtypes.ctype(dtype)
        if not v.name.startswith("_c") or ctype == _dtypes.ctype(v.dtype):
            return f"({ctype}){v.name}"
        key = (v.name, ctype)
        if key not in self._hoisted_names:
            self._hoisted_names[key] = name = f"{v.name}_{len(self.hoisted)}"
            self.hoisted.append(f"{ctype} {name} = ({ctype}){v.name};")
        return self._hoisted_names[key]

    def cast(self, v: Var, dtype: np.dtype) -> Var:
        result = Var(self, self._fresh(), _dtypes.normalize(dtype), v.weak)
        ctype = _dtypes.ctype(result.dtype)
        if result.dtype.kind == "b":
            self.lines.append(f"{ctype} {result.name} = {v.name} != 0;")
        else:
            self.lines.append(f"{ctype} {result.name} = ({ctype}){v.name};")
        return result

    def where(self, condition, x, y) -> Var:
        cond, a, b = (self.value(v) for v in (condition, x, y))
        dtype = _dtypes.normalize(np.result_type(*self._arg_dtypes([a, b])))
        result = Var(self, self._fresh(), dtype, a.weak and b.weak)
        ctype = _dtypes.ctype(dtype)
        x_, y_ = self.converted(a, dtype), self.converted(b, dtype)
        self.lines.append(f"{ctype} {result.name} = ({cond.name} != 0) ? {x_} : {y_};")
        return result

    def assign(self, target: Var, value) -> None:
        """`target[:] = value` or an augmented assignment: every name bound to `target`
        sees the new value (NumPy's in-place semantics); an input array is written back."""
        if target.weak:
            raise FusionUnsupported("assignment into a scalar")
        value = self.value(value)
        if not np.can_cast(value.dtype, target.dtype, "same_kind"):
            raise TypeError(
                f"Cannot cast ufunc output from {value.dtype} to {target.dtype} "
                "with casting rule 'same_kind'"
            )
        target.name = self.cast(value, target.dtype).name
        if target.input is not None:
            self.assigned[target.input] = target.name

    def _arg_dtypes(self, values: list[Var]) -> list[np.dtype]:
        """NEP 50 on Vars: weak ones take the dtype a Python scalar of their kind would."""
        strong = [v.dtype for v in values if not v.weak]
        strongest = np.result_type(*strong) if strong else None
        representative = {"b": False, "i": 0, "u": 0, "f": 0.0}
        return [
            v.dtype
            if not v.weak
            else self.ufuncs.weak_dtype(representative[v.dtype.kind], strongest)
            for v in values
        ]


def scalar_dtype(a) -> np.dtype:
    """The dtype a scalar is held in: a NumPy scalar's own, a Python one's default."""
    if isinstance(a, np.generic):
        return a.dtype
    if isinstance(a, bool):
        return np.dtype(bool)
    return _dtypes.DEFAULT_INT if isinstance(a, int) else _dtypes.DEFAULT_FLOAT
