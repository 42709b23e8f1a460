"""The C-syntax tree the parser builds: it keeps C's shape, and a span on every node.

Rule: nothing here is typed or resolved. Compound assignment, `++`, casts and the comma
operator are kept as written; `kernelc.ir.lower` gives them meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernelc.errors import Span


@dataclass(frozen=True, slots=True)
class Node:
    span: Span


# ---------------------------------------------------------------------------- types


@dataclass(frozen=True, slots=True)
class TypeSpec(Node):
    """A type as written, normalised: 'float', 'unsigned int', 'long long', 'T', 'bool'.

    `template_args` holds `X` in `vec<X>`-like spellings (rejected by lowering, kept for
    its message). `is_const` is dropped by lowering; `is_ref` marks `T &name`.
    """

    name: str
    is_const: bool = False
    is_ref: bool = False
    is_pointer: bool = False
    template_args: tuple[TypeSpec, ...] = ()


# ---------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Expr(Node):
    pass


@dataclass(frozen=True, slots=True)
class Ident(Expr):
    """A name; `std::min` is `Ident('min', scope='std')`, `::min` has scope ''."""

    name: str
    scope: str = ""  # the qualifier as written, '::'-joined: 'std', 'thrust', 'cupy::x'


@dataclass(frozen=True, slots=True)
class IntLit(Expr):
    """`value` is the mathematical value; `suffix` lower-cased ('', 'u', 'l', 'ul', 'll', 'ull')."""

    value: int
    suffix: str = ""
    is_hex: bool = False  # hex/octal literals may take unsigned types in C


@dataclass(frozen=True, slots=True)
class FloatLit(Expr):
    """`is_float` for an `f` suffix (`1.0f`); otherwise the literal is a C `double`."""

    value: float
    is_float: bool
    text: str


@dataclass(frozen=True, slots=True)
class BoolLit(Expr):
    value: bool


@dataclass(frozen=True, slots=True)
class Unary(Expr):
    """Prefix operators: '-', '+', '!', '~', '++', '--', '&' (address-of), '*' (deref)."""

    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class Postfix(Expr):
    """`x++` / `x--`."""

    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    """Every C binary operator, including '&&', '||' and the comma operator ','."""

    op: str
    lhs: Expr
    rhs: Expr


@dataclass(frozen=True, slots=True)
class Assign(Expr):
    """'=' or a compound assignment ('+=', '<<=', ...)."""

    op: str
    target: Expr
    value: Expr


@dataclass(frozen=True, slots=True)
class Conditional(Expr):
    cond: Expr
    if_true: Expr
    if_false: Expr


@dataclass(frozen=True, slots=True)
class Call(Expr):
    """`f(args)`, `f<T>(args)`, `x.size()` (func is a Member)."""

    func: Expr
    args: tuple[Expr, ...]
    template_args: tuple[TypeSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class Index(Expr):
    base: Expr
    index: Expr


@dataclass(frozen=True, slots=True)
class Member(Expr):
    """`base.name` or `base->name` (arrow=True)."""

    base: Expr
    name: str
    arrow: bool = False


@dataclass(frozen=True, slots=True)
class Cast(Expr):
    """`(T)x` (style 'c'), `T(x)` ('functional'), `static_cast<T>(x)` ('static' etc.)."""

    type: TypeSpec
    operand: Expr
    style: str = "c"


@dataclass(frozen=True, slots=True)
class Construct(Expr):
    """`T()`, `T(a, b)`, `complex<float>(re, im)`: a type called with other than one
    argument (one argument is a functional `Cast`)."""

    type: TypeSpec
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class InitList(Expr):
    """`{a, b, c}` in an initialiser or as a multi-index `x[{i, j}]`."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class SizeOf(Expr):
    type: TypeSpec


# ---------------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class Stmt(Node):
    pass


@dataclass(frozen=True, slots=True)
class Declarator(Node):
    """One name in a declaration: `name`, `name[size]`, `name = init`, `name[] = {...}`.

    `array_size` is None for scalars; for `name[]` it is the `InitList` length decided
    by lowering, so the parser stores `has_array=True` with `array_size=None`.
    """

    name: str
    init: Expr | None = None
    has_array: bool = False
    array_size: Expr | None = None
    is_ref: bool = False


@dataclass(frozen=True, slots=True)
class Decl(Stmt):
    """`[static] [const] [__constant__|__device__] TYPE d1, d2, ...;`"""

    type: TypeSpec
    declarators: tuple[Declarator, ...]
    qualifiers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExprStmt(Stmt):
    expr: Expr


@dataclass(frozen=True, slots=True)
class Block(Stmt):
    stmts: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class If(Stmt):
    cond: Expr
    then: Stmt
    else_: Stmt | None = None


@dataclass(frozen=True, slots=True)
class For(Stmt):
    """`for (init; cond; step) body`; `init` is a Decl or ExprStmt; step may use ','."""

    init: Stmt | None
    cond: Expr | None
    step: Expr | None
    body: Stmt


@dataclass(frozen=True, slots=True)
class While(Stmt):
    cond: Expr
    body: Stmt


@dataclass(frozen=True, slots=True)
class DoWhile(Stmt):
    body: Stmt
    cond: Expr


@dataclass(frozen=True, slots=True)
class Break(Stmt):
    pass


@dataclass(frozen=True, slots=True)
class Continue(Stmt):
    pass


@dataclass(frozen=True, slots=True)
class Return(Stmt):
    value: Expr | None = None


@dataclass(frozen=True, slots=True)
class Empty(Stmt):
    pass


@dataclass(frozen=True, slots=True)
class Unsupported(Stmt):
    """A statement that parses but can never be translated (`goto`, `switch` for now);
    kept so lowering can reject it with its own message at the right place."""

    what: str
    reason: str


# ---------------------------------------------------------------------------- top level


@dataclass(frozen=True, slots=True)
class ParamDecl(Node):
    type: TypeSpec
    name: str


@dataclass(frozen=True, slots=True)
class FunctionDef(Node):
    """A `__device__` (or plain, or `inline`) function in the preamble, maybe a template."""

    name: str
    return_type: TypeSpec
    params: tuple[ParamDecl, ...]
    body: Block
    template_params: tuple[str, ...] = ()
    qualifiers: tuple[str, ...] = ()
    name_span: Span | None = None


@dataclass(frozen=True, slots=True)
class TranslationUnit(Node):
    """The preamble: functions and global declarations (constants, `__constant__` tables)."""

    items: tuple[FunctionDef | Decl, ...]


@dataclass(frozen=True, slots=True)
class KernelParam(Node):
    """One CuPy parameter: `[raw] TYPE NAME`. `type` is a dtype name or a placeholder."""

    name: str
    type: str
    is_raw: bool
    is_output: bool
    type_span: Span | None = None


@dataclass(frozen=True, slots=True)
class ElementwiseSource:
    """Everything an ElementwiseKernel definition holds, parsed."""

    name: str
    params: tuple[KernelParam, ...]
    preamble: TranslationUnit
    loop_prep: Block
    operation: Block
    after_loop: Block
    macros: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class ReductionSource:
    """Everything a ReductionKernel definition holds, parsed. `identity` is None for an
    empty identity (value-initialisation); `reduce_type` is the C type as written, or None
    for CuPy's default (the first output's type)."""

    name: str
    params: tuple[KernelParam, ...]
    preamble: TranslationUnit
    map_expr: Expr
    reduce_expr: Expr
    post_map_expr: Expr
    identity: Expr | None
    reduce_type: str | None
    reduce_type_span: Span | None = None
