"""What a C name means while lowering: symbols and nested scopes.

Rule: every name the kernel text can use resolves through one `Scopes` stack; IR names
of locals are made unique here, so IR never has shadowing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernelc.frontend import ast
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import DType


@dataclass(frozen=True, slots=True)
class LocalVar:
    """A local scalar or array. `ctype` is the declared C type (int8 wraps on store);
    `length` makes it an array; `readonly` for `const` and for kernel inputs."""

    ir_name: str
    ctype: DType
    dtype: DType  # computation type
    length: int | None = None
    readonly: bool = False


@dataclass(frozen=True, slots=True)
class ConstVar:
    """A `const` name whose value is known at translation time."""

    value: ir.Const
    ctype: DType


@dataclass(frozen=True, slots=True)
class ElementParam:
    """A non-raw array parameter: inside the loop it is a reference to the element, held
    in a local of the same name (loaded once, written back at exits)."""

    param: ir.Param
    local: LocalVar


@dataclass(frozen=True, slots=True)
class RawParam:
    param: ir.Param


@dataclass(frozen=True, slots=True)
class ScalarParam:
    param: ir.Param


@dataclass(frozen=True, slots=True)
class SpecialValue:
    """A read-only name with a fixed IR value: a reduction's `_J`, `_j`, `_i`."""

    value: ir.Expr


@dataclass(frozen=True, slots=True)
class Alias:
    """A C++ reference `T &r = lvalue;`: uses of `r` are uses of the lvalue."""

    target: object  # an lvalue description from lower_expr
    ctype: DType


@dataclass(frozen=True, slots=True)
class GlobalArray:
    """A preamble constant table: materialised as a local array where it is used."""

    decl: ast.Decl
    declarator: ast.Declarator
    ctype: DType


@dataclass
class Scopes:
    frames: list[dict[str, object]] = field(default_factory=lambda: [{}])
    used_names: set[str] = field(default_factory=set)

    def push(self) -> None:
        self.frames.append({})

    def pop(self) -> None:
        self.frames.pop()

    def lookup(self, name: str):
        for frame in reversed(self.frames):
            if name in frame:
                return frame[name]
        return None

    def declared_here(self, name: str) -> bool:
        return name in self.frames[-1]

    def bind(self, name: str, symbol) -> None:
        self.frames[-1][name] = symbol

    def fresh(self, base: str) -> str:
        """A unique IR name derived from `base` (`x`, `x_1`, `x_2`, ...)."""
        name, k = base, 0
        while name in self.used_names:
            k += 1
            name = f"{base}_{k}"
        self.used_names.add(name)
        return name
