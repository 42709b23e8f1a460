"""The typed IR: the whole language every pass and emitter agrees on.

Evaluation rules
----------------
* An `Expr` has no side effects and no control flow; it may be evaluated any number of
  times, in any order, or not at all (so `Select` may evaluate both arms). Every `Expr`
  carries its `dtype`, one of `dtypes.COMPUTE` (bool, int32, uint32, float32).
* A `Stmt` does everything else. User function calls are statements (`Call`), so an
  expression never calls user code; it may call a linked library function (`LibCall`),
  which is pure.
* Names of locals are unique within one function or the kernel body (lowering renames
  shadowed C names); emitters only sanitise them for keywords.

Typing rules
------------
* `Binary` arithmetic/bitwise ops take two operands of the node's dtype; shifts take an
  integer right operand of any signedness; comparisons take two operands of one dtype and
  are bool; `LAND`/`LOR` take and give bool.
* `DIV` and `REM` on integers are C's: truncate toward zero, the remainder has the sign of
  the dividend. `REM` on floats does not exist (`fmod` is a `Math` call). Neither target's
  `%` is trusted for negative operands, so emitters polyfill as they need.
* `Cast` is C's conversion: float->int truncates toward zero and saturates (NaN -> 0),
  int->bool is `!= 0`, bool->number is 0/1, int<->uint keeps the bits.
* Kernel-level nodes name parameters by their user name (`param`). Before emission a
  target's legalisation replaces `ElemLoad`/`ElemStore`/`RawLoad`/`RawStore` by
  `BufferLoad`/`BufferStore`/`OutputStore`; emitters reject the high-level forms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from kernelc.errors import Span
from kernelc.ir.dtypes import DType, computation_type, int32, is_exact64, uint32, words64

# ---------------------------------------------------------------------------- operators


class UnaryOp(Enum):
    NEG = "neg"
    NOT = "not"  # logical, bool -> bool
    BITNOT = "bitnot"


class BinaryOp(Enum):
    ADD = "add"
    SUB = "sub"
    MUL = "mul"
    DIV = "div"  # C: truncating on integers
    REM = "rem"  # C `%`: integers only, sign of the dividend
    SHL = "shl"
    SHR = "shr"  # arithmetic on int32, logical on uint32
    AND = "and"
    OR = "or"
    XOR = "xor"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    EQ = "eq"
    NE = "ne"
    LAND = "land"  # short-circuit; both operands are pure, so order is free
    LOR = "lor"


COMPARISONS = frozenset(
    {BinaryOp.LT, BinaryOp.LE, BinaryOp.GT, BinaryOp.GE, BinaryOp.EQ, BinaryOp.NE}
)
LOGICAL = frozenset({BinaryOp.LAND, BinaryOp.LOR})
SHIFTS = frozenset({BinaryOp.SHL, BinaryOp.SHR})


class ParamKind(Enum):
    ARRAY = "array"  # non-raw: the current element, broadcast over the loop shape
    RAW = "raw"  # indexed by the kernel over its own shape
    SCALAR = "scalar"  # passed by value


# ---------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Expr:
    pass


@dataclass(frozen=True, slots=True)
class Const(Expr):
    """A literal. Float values may be inf or nan: emitters build those at run time."""

    value: int | float | bool
    dtype: DType


@dataclass(frozen=True, slots=True)
class Local(Expr):
    """Read of a local variable or function parameter (scalar)."""

    name: str
    dtype: DType


@dataclass(frozen=True, slots=True)
class LocalElem(Expr):
    """Read of `name[index]`, a local array of `dtype` elements; index is int32/uint32."""

    name: str
    index: Expr
    dtype: DType


@dataclass(frozen=True, slots=True)
class ScalarArg(Expr):
    """A scalar kernel argument (uniform)."""

    param: str
    dtype: DType
    component: int | None = None  # of a complex parameter: 0 real part, 1 imaginary


@dataclass(frozen=True, slots=True)
class LoopIndex(Expr):
    """CuPy's `i`: the flat C-order index of this element in the loop shape."""

    dtype: DType = int32


@dataclass(frozen=True, slots=True)
class LoopSize(Expr):
    """`_ind.size()`: the number of elements of the loop."""

    dtype: DType = int32


@dataclass(frozen=True, slots=True)
class LoopShape(Expr):
    """The loop shape's extent along `axis` (a uniform)."""

    axis: int
    dtype: DType = int32


@dataclass(frozen=True, slots=True)
class LoopCoord(Expr):
    """`_ind.get()[axis]`: this element's coordinate along `axis` of the loop shape."""

    axis: int
    dtype: DType = int32


@dataclass(frozen=True, slots=True)
class ReduceIndex(Expr):
    """Reductions: CuPy's `_J`, the flat C-order position along the reduced axes."""

    dtype: DType = int32


@dataclass(frozen=True, slots=True)
class ReduceSize(Expr):
    """Reductions: the number of elements reduced into each output."""

    dtype: DType = int32


@dataclass(frozen=True, slots=True)
class ReduceShape(Expr):
    """Reductions: the reduced shape's extent along `axis`."""

    axis: int
    dtype: DType = int32


@dataclass(frozen=True, slots=True)
class ArrayInfo(Expr):
    """Launch-time facts of an array parameter, from the uniforms.

    what: 'size' (elements), 'shape' (axis), 'stride' (axis, in elements, may be negative
    or 0 for broadcast), 'offset' (elements from the start of the buffer).
    """

    param: str
    what: str
    axis: int = 0
    dtype: DType = int32


@dataclass(frozen=True, slots=True)
class ElemLoad(Expr):
    """The current element of a non-raw array parameter (input, or an output's old value)."""

    param: str
    dtype: DType
    component: int | None = None  # of a complex parameter: 0 real part, 1 imaginary


@dataclass(frozen=True, slots=True)
class RawLoad(Expr):
    """`x[index]` of a raw parameter: index is C-order over x's own shape (int32)."""

    param: str
    index: Expr
    dtype: DType
    component: int | None = None  # of a complex parameter: 0 real part, 1 imaginary


@dataclass(frozen=True, slots=True)
class BufferLoad(Expr):
    """Element `pos` of the buffer behind `param` (legalised form).

    `previous` (GLSL only): read the copy of an output's old contents the executor binds.
    """

    param: str
    pos: Expr
    dtype: DType
    previous: bool = False


@dataclass(frozen=True, slots=True)
class WordLoad(Expr):
    """Word `word` (0 low, 1 high) of element `pos` of a 64-bit buffer (after the wide64
    pass: WGSL u32 `2 * pos + word` of an `array<u32>`, GLSL channel r/g of an RG32UI
    texel; `previous` as for `BufferLoad`)."""

    param: str
    pos: Expr
    word: int
    previous: bool = False
    dtype: DType = uint32


@dataclass(frozen=True, slots=True)
class ScalarWord(Expr):
    """Word `word` (0 low, 1 high) of a 64-bit scalar argument (after the wide64 pass)."""

    param: str
    word: int
    dtype: DType = uint32
    component: int | None = None  # of a complex parameter: 0 real part, 1 imaginary


@dataclass(frozen=True, slots=True)
class Words(Expr):
    """The words value (`words64`, `words128`) of `words`, lowest first: each a uint32
    word, or before the wide64 pass a 64-bit value standing for its two words, low first.
    Reductions only: a 64-bit accumulator after the wide64 pass, a complex one's parts
    packed by lowering (float32 parts bitcast, float64 parts as they are)."""

    words: tuple[Expr, ...]
    dtype: DType = words64


@dataclass(frozen=True, slots=True)
class WordOf(Expr):
    """Word `word` (0 the lowest) of a words value (`words64`, `words128`)."""

    operand: Expr
    word: int
    dtype: DType = uint32


@dataclass(frozen=True, slots=True)
class Unary(Expr):
    op: UnaryOp
    operand: Expr
    dtype: DType


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    op: BinaryOp
    lhs: Expr
    rhs: Expr
    dtype: DType


@dataclass(frozen=True, slots=True)
class Cast(Expr):
    operand: Expr
    dtype: DType


@dataclass(frozen=True, slots=True)
class Bitcast(Expr):
    """Reinterpret 32 bits (`__int_as_float`)."""

    operand: Expr
    dtype: DType


@dataclass(frozen=True, slots=True)
class Select(Expr):
    """`cond ? if_true : if_false` with pure arms (both may be evaluated)."""

    cond: Expr
    if_true: Expr
    if_false: Expr
    dtype: DType


@dataclass(frozen=True, slots=True)
class Math(Expr):
    """A built-in function by meaning (see `kernelc.ir.builtins.MATH`), CUDA semantics."""

    fn: str
    args: tuple[Expr, ...]
    dtype: DType


@dataclass(frozen=True, slots=True)
class LibCall(Expr):
    """A call of a shader-library function (`kernelc.lib`) linked into `Kernel.functions`.
    Library functions are pure (value parameters, no side effects), so unlike a user
    function's `Call` this stands in expressions."""

    func: str
    args: tuple[Expr, ...]
    dtype: DType


# ---------------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class Stmt:
    pass


Init = Expr | tuple[Expr, ...] | None


@dataclass(frozen=True, slots=True)
class Declare(Stmt):
    """Declare a local. `length` makes it an array (init is then a tuple, maybe shorter:
    the rest is zero, as in C). Without init a scalar is zero (C leaves it undefined)."""

    name: str
    dtype: DType
    init: Init = None
    length: int | None = None


@dataclass(frozen=True, slots=True)
class Assign(Stmt):
    name: str
    value: Expr


@dataclass(frozen=True, slots=True)
class AssignElem(Stmt):
    name: str
    index: Expr
    value: Expr


@dataclass(frozen=True, slots=True)
class ElemStore(Stmt):
    """Write the current element of a non-raw output."""

    param: str
    value: Expr
    component: int | None = None  # of a complex parameter: 0 real part, 1 imaginary


@dataclass(frozen=True, slots=True)
class RawStore(Stmt):
    """`x[index] = value` for a raw parameter (C-order index over its own shape)."""

    param: str
    index: Expr
    value: Expr
    span: Span | None = field(default=None, compare=False)
    component: int | None = None  # of a complex parameter: 0 real part, 1 imaginary


@dataclass(frozen=True, slots=True)
class BufferStore(Stmt):
    """Write element `pos` of the buffer behind `param` (legalised form, WGSL)."""

    param: str
    pos: Expr
    value: Expr


@dataclass(frozen=True, slots=True)
class OutputStore(Stmt):
    """Write this invocation's own element of an output (legalised form, GLSL: the
    fragment output at location `param`'s render target)."""

    param: str
    value: Expr


@dataclass(frozen=True, slots=True)
class WordStore(Stmt):
    """Write element `pos` of a 64-bit buffer as its two words (WGSL, after wide64)."""

    param: str
    pos: Expr
    low: Expr
    high: Expr


@dataclass(frozen=True, slots=True)
class OutputWords(Stmt):
    """`OutputStore` of a 64-bit output as its two words (GLSL, after wide64)."""

    param: str
    low: Expr
    high: Expr


@dataclass(frozen=True, slots=True)
class Atomic(Stmt):
    """`result = atomicOP(&param[index], value[, compare])`: read-modify-write of one
    element of a raw output, indivisible with respect to every other invocation.

    op: 'add', 'sub', 'exch', 'min', 'max', 'and', 'or', 'xor' or 'cas' (`compare` is the
    expected value, `value` the new one). Before legalisation `index` is the raw array's
    C-order flat index; once `legalised`, it is a buffer position (WGSL only: GLSL rejects
    atomics). `result`, if given, is a declared local receiving the old value. `word`
    (after the 64-bit pass only): the update is of that u32 word of a 64-bit element
    (0 low, 1 high), `value` and `result` are uint32.
    """

    op: str
    param: str
    index: Expr
    value: Expr
    compare: Expr | None = None
    result: str | None = None
    legalised: bool = False
    word: int | None = None
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class If(Stmt):
    cond: Expr
    then: tuple[Stmt, ...]
    else_: tuple[Stmt, ...] = ()


@dataclass(frozen=True, slots=True)
class Counted:
    """What lowering knew of a `for (T v = start; v < stop; v += step)` loop: the
    unroll pass may replace the loop when start/stop fold to constants."""

    var: str
    start: Expr
    stop: Expr
    step: int
    cmp: BinaryOp  # LT, LE, GT, GE, NE


@dataclass(frozen=True, slots=True)
class Loop(Stmt):
    """`loop { body; continuing { continuing } }`: runs until `Break` or `Return`.
    `Continue` jumps to `continuing`, which holds no Break/Continue/Return."""

    body: tuple[Stmt, ...]
    continuing: tuple[Stmt, ...] = ()
    counted: Counted | None = None


@dataclass(frozen=True, slots=True)
class Break(Stmt):
    pass


@dataclass(frozen=True, slots=True)
class Continue(Stmt):
    pass


@dataclass(frozen=True, slots=True)
class Return(Stmt):
    """In a function: return `value`. In the kernel body: this invocation is done (lowering
    has already written the outputs back in front of it)."""

    value: Expr | None = None


@dataclass(frozen=True, slots=True)
class Call(Stmt):
    """Call a user function. Arguments for `is_ref` parameters are `Local`s (the callee
    writes them back); `result` names a declared local receiving the return value."""

    func: str
    args: tuple[Expr, ...]
    result: str | None = None


# ---------------------------------------------------------------------------- containers


@dataclass(frozen=True, slots=True)
class FuncParam:
    name: str
    dtype: DType
    is_ref: bool = False


@dataclass(frozen=True, slots=True)
class Function:
    """A monomorphised preamble function (templates are instantiated per type list), or,
    with `library`, a shader-library function (`kernelc.lib`): no effect but its result (or,
    returning nothing, its reference parameters), validated once when the library is
    lowered, and the same object in every kernel linked for one target."""

    name: str
    params: tuple[FuncParam, ...]
    return_dtype: DType | None
    body: tuple[Stmt, ...]
    library: bool = False


@dataclass(frozen=True, slots=True)
class Param:
    """A kernel parameter with its bound dtype.

    ndim: for RAW its own number of axes (a specialisation); for ARRAY the loop's ndim.
    contiguous: RAW only; the raw array is C-contiguous, so a flat index needs no unravel.
    reads_old: outputs only; the old contents are read, or may survive (not overwritten on
    every path), so GLSL must bind a copy of them.
    written: the kernel may write this parameter.
    dtype is what the buffer (or uniform) holds: the declared dtype, except that a 64-bit
    one is held in 32 bits (`dtypes.storage_type`); `declared` then keeps the declared one.
    Loads give `computation_type(dtype)`; int8..uint16 and float16 are packed on WGSL.
    """

    name: str
    dtype: DType
    kind: ParamKind
    is_output: bool
    ndim: int = 0
    contiguous: bool = True
    reads_old: bool = False
    written: bool = False
    declared: DType | None = None

    @property
    def c_dtype(self) -> DType:
        """The dtype as the kernel declares it (int64 for an int64 array held in int32)."""
        return self.declared or self.dtype

    @property
    def is_complex(self) -> bool:
        """A complex64/complex128 parameter: `dtype` is its components' storage dtype, its
        elements (re, im) pairs of them, loaded and stored by `component`."""
        return self.c_dtype.kind == "c"

    @property
    def value_dtype(self) -> DType:
        """The computation type of its elements (what loads give, what stores take)."""
        return computation_type(self.dtype)


@dataclass(frozen=True, slots=True)
class Reduction:
    """What a ReductionKernel adds. For output element `LoopIndex()` (CuPy's `_i`) the
    program computes, in any order and grouping:

        acc = identity
        for each J in [0, ReduceSize()):  (`ReduceIndex()` is J)
            map_body; acc = combine(acc, Local(map_result))
        post_body with Local(acc) = acc

    `identity_body`/`identity` give the identity (identity_body has no loads);
    `combine` names a `Function` (a, b) -> reduce dtype, associative and commutative;
    `post_body` writes the outputs (ElemStore) and may read `acc`. Inputs are arrays over
    (reduced axes..., output axes...) — `Param.ndim` counts both — outputs over the
    output axes (`Kernel.ndim`).
    """

    dtype: DType
    ndim: int  # reduced axes
    identity_body: tuple[Stmt, ...]
    identity: Expr
    map_body: tuple[Stmt, ...]
    map_result: str
    combine: str
    acc: str
    post_body: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class Kernel:
    """One elementwise kernel, ready for legalisation.

    `body` is what one invocation runs for element `LoopIndex()` (the emitter's shell makes
    sure `LoopIndex() < LoopSize()`): loop_prep, the element's loads, the operation, the
    write-back of outputs, after_loop.
    """

    name: str
    params: tuple[Param, ...]
    functions: tuple[Function, ...]
    body: tuple[Stmt, ...]
    ndim: int
    spans: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    reduction: Reduction | None = None
    # The 64-bit policy it was lowered under (docs/dtypes.md); later passes keep it.
    exact64: bool = field(default_factory=is_exact64)
    # GLSL with complex outputs: fragments per element (the last of `ndim` loop axes picks
    # the component each one writes; set by legalisation, docs/abi.md "lanes").
    lanes: int = 1

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def arrays(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.kind is not ParamKind.SCALAR)
