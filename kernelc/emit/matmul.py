"""What the WGSL and GLSL matmul shells share: the kernel a matmul is printed as (three
array parameters A, B, C and no body), its uniforms, and element access through the
target's own printer (docs/abi.md, "Matmul programs").

Rule: a matmul shell is a subclass of a target's emitter with `MatmulShell` first in its
bases. Declarations, the uniform block, packed loads and stores, texture fetches and
render targets are the emitter's; the shell writes only the loops, the tiles and the
index arithmetic as text, naming every local through the scope's `Namer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kernelc.abi.contract import ValueKey, array_offset, array_stride, loop_shape
from kernelc.abi.matmul import MAX_BATCH_NDIM, MatmulTiles
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import BY_NAME, float32, int32, storage_type

KERNEL_NAME = "matmul"
A, B, C = "A", "B", "C"
DTYPES = ("float16", "float32", "float64")


@dataclass(frozen=True, slots=True)
class MatmulSpec:
    """One specialisation: the operands' dtype (C's too), the number of batch axes, which
    operands are transposed views (the load order that coalesces; any strides work), and
    the WGSL tiles (None on GLSL), and on GLSL whether operands are packed into RGBA
    texels (`emit_glsl.matmul_packed`) or read one element a texel. `fold` (WGSL, float32
    operands holding integers): the float32 sums are folded into int32 ones every `fold`
    multiply-adds (a multiple of `tiles.k`) and C is int32; 0: float32 sums, C of `dtype`."""

    dtype: str = "float32"
    batch_ndim: int = 0
    trans_a: bool = False
    trans_b: bool = False
    tiles: MatmulTiles | None = None
    packed: bool = False
    fold: int = 0

    def check(self) -> MatmulSpec:
        if self.dtype not in DTYPES:
            raise ValueError(f"matmul dtype must be one of {DTYPES}, not {self.dtype!r}")
        if not isinstance(self.batch_ndim, int) or not 0 <= self.batch_ndim <= MAX_BATCH_NDIM:
            raise ValueError(
                f"batch_ndim must be an integer from 0 to {MAX_BATCH_NDIM}, not {self.batch_ndim!r}"
            )
        if self.fold:
            self.check_fold()
        return self

    def check_fold(self) -> None:
        if self.dtype != "float32" or self.tiles is None:
            raise ValueError("fold needs float32 operands and WGSL tiles")
        if not isinstance(self.fold, int) or self.fold < 0 or self.fold % self.tiles.k:
            raise ValueError(
                f"fold must be a positive multiple of the tiles' k ({self.tiles.k}), "
                f"not {self.fold!r}"
            )

    @property
    def ndim(self) -> int:
        """Axes of C (the loop shape) and of A's and B's views: batch..., then 2."""
        return self.batch_ndim + 2


def matmul_kernel(spec: MatmulSpec) -> ir.Kernel:
    """The kernel the emitters declare: inputs A (batch..., M, K) and B (batch..., K, N),
    output C (batch..., M, N), each a view given by offset and element strides; C is
    int32 where the spec folds its sums into int32."""

    def param(name: str, out: bool) -> ir.Param:
        declared = int32 if out and spec.fold else BY_NAME[spec.dtype]
        held = storage_type(declared)
        return ir.Param(
            name,
            held,
            ir.ParamKind.ARRAY,
            out,
            ndim=spec.ndim,
            written=out,
            declared=None if held is declared else declared,
        )

    return ir.Kernel(
        KERNEL_NAME, (param(A, False), param(B, False), param(C, True)), (), (), spec.ndim
    )


class MatmulShell:
    """Mixin for `Emitter` subclasses that print a matmul program."""

    spec: MatmulSpec
    SHELL: ClassVar[str] = "matmul"  # launched whole, K in the block (abi.layout)

    def setup_matmul(self, spec: MatmulSpec) -> None:
        """Call from `__init__` after the emitter's own."""
        self.spec = spec

    def kernel_body(self) -> tuple[ir.Stmt, ...]:
        return ()

    # -- names and values

    def temp(self, base: str) -> str:
        """A fresh local of the current scope, readable as `ir.Local(name)` too."""
        name = self.scope.namer.fresh(base, compiler=True)
        self.scope.names[name] = name
        return name

    def u(self, key: ValueKey) -> str:
        return self.uniform(key).text

    def shape(self, axis: int) -> str:
        return self.u(loop_shape(axis))

    def stride(self, param: str, axis: int) -> str:
        return self.u(array_stride(param, axis))

    def element(self, param: str, pos: str) -> str:
        """Element `pos` (a local) of an input, as the target reads it (packed words,
        texels), in float32."""
        return self.text(ir.BufferLoad(param, ir.Local(pos, int32), float32))

    @staticmethod
    def value(local: str) -> ir.Local:
        return ir.Local(local, float32)

    # -- index arithmetic

    def int_decl(self, name: str, value: str, mutable: bool = False) -> None:
        """Print the declaration of an int32 local (the target's syntax)."""
        raise NotImplementedError

    def int_local(self, base: str, value: str, mutable: bool = False) -> str:
        name = self.temp(base)
        self.int_decl(name, value, mutable)
        return name

    def batch_bases(self, batch: str, params: tuple[str, ...]) -> dict[str, str]:
        """Locals holding each param's offset plus its batch entry's: `batch` unravelled
        over the batch axes (last fastest), times the param's batch strides."""
        terms: dict[str, list[str]] = {p: [self.u(array_offset(p))] for p in params}
        rest = batch
        if self.spec.batch_ndim > 1:
            rest = self.int_local("kc_rest", batch, mutable=True)
        for d in reversed(range(self.spec.batch_ndim)):
            index = rest
            if d:
                index = self.int_local(f"kc_b{d}", f"{rest} % {self.shape(d)}")
                self.out.line(f"{rest} = {rest} / {self.shape(d)};")
            for p in params:
                terms[p].append(f"{index} * {self.stride(p, d)}")
        return {p: self.int_local(f"kc_base_{p.lower()}", " + ".join(terms[p])) for p in params}
