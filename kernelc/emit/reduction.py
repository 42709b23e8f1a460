"""What the WGSL and GLSL reduction shells share: the statements of a reduction that an
emitter checks and analyses as its kernel body, the combine step, and launch uniforms.

Rule: a reduction shell is a subclass of a target's emitter with `ReductionShell` first
in its bases; it prints `Reduction.identity_body`, `map_body` and `post_body` with the
target's own printer and writes only the parallel scaffolding (loops over `J`, the tree,
the partials) as text.
"""

from __future__ import annotations

from kernelc.abi import UniformField
from kernelc.emit.base import RED_INDEX, Namer
from kernelc.emit.text import reserved_words
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import int32


class ReductionShell:
    """Mixin for `Emitter` subclasses that print a ReductionKernel."""

    kernel: ir.Kernel

    @property
    def red(self) -> ir.Reduction:
        return self.kernel.reduction

    def kernel_body(self) -> tuple[ir.Stmt, ...]:
        """Every statement the shell prints from the IR (what `check_legalised` checks and
        the var/let analysis reads), in the order one output sees them."""
        if self.kernel.body or self.red is None:
            raise self.ice("a reduction shell needs a reduction kernel without a body")
        r = self.red
        return (
            *r.identity_body,
            *r.map_body,
            self.combine(ir.Local(r.map_result, r.dtype)),
            *r.post_body,
        )

    def combine(self, value: ir.Expr) -> ir.Call:
        """`acc = combine(acc, value)`."""
        r = self.red
        return ir.Call(r.combine, (ir.Local(r.acc, r.dtype), value), r.acc)

    def add_uniforms(self, extra: list[tuple[str, dict]]) -> None:
        """Append int32 uniform members (name, value description) to the block, naming the
        members exactly as `Emitter.__init__` does."""
        self.fields = [*self.fields, *(UniformField(n, int32, v) for n, v in extra)]
        members = Namer(reserved_words())
        self.members = {fd.name: members.fresh(fd.name, compiler=True) for fd in self.fields}

    def bind_reduction_locals(self) -> tuple[str, str]:
        """Target names of the accumulator and of `J` (`ReduceIndex`) in the current scope."""
        return self.bind(self.red.acc), self.bind(RED_INDEX)
