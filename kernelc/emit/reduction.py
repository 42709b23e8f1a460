"""What the WGSL and GLSL reduction shells share: the statements of a reduction that an
emitter checks and analyses as its kernel body, and the combine step.

Rule: a reduction shell is a subclass of a target's emitter with `ReductionShell` first
in its bases; it prints `Reduction.identity_body`, `map_body` and `post_body` with the
target's own printer and writes only the parallel scaffolding (loops over `J`, the tree,
the partials) as text.
"""

from __future__ import annotations

from typing import ClassVar

from kernelc.abi.reduction import UNROLL
from kernelc.emit.base import RED_INDEX
from kernelc.ir import nodes as ir
from kernelc.ir.visit import walk

# A map body of at most this many IR nodes is printed UNROLL times in straight-line code;
# a longer one sits once in a loop (shader size, and the drivers' compile time).
STRAIGHT_MAP_NODES = 64


class ReductionShell:
    """Mixin for `Emitter` subclasses that print a ReductionKernel."""

    kernel: ir.Kernel
    SHELL: ClassVar[str] = "reduction"  # its launch's own uniforms (abi.layout)

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

    def bind_reduction_locals(self) -> tuple[str, str]:
        """Target names of the accumulator and of `J` (`ReduceIndex`) in the current scope."""
        return self.bind(self.red.acc), self.bind(RED_INDEX)

    @property
    def straight_map(self) -> bool:
        """Whether the map body is short enough to print UNROLL times in a row."""
        return sum(1 for _ in walk(self.red.map_body)) <= STRAIGHT_MAP_NODES

    def map_then_combine(self, advance: str) -> None:
        """UNROLL elements mapped in straight-line code (`advance`: the statement that
        moves J to the next element), then combined in J's order: every load is issued
        before the first combine waits for one."""
        mapped = []
        for _ in range(UNROLL):
            with self.reprinted():
                self.stmts(self.red.map_body)
                mapped.append(self.local_name(self.red.map_result))
            self.out.line(advance)
        for name in mapped:
            with self.reprinted():
                self.scope.names[self.red.map_result] = name
                self.stmt(self.combine(ir.Local(self.red.map_result, self.red.dtype)))

    def map_and_combine(self) -> None:
        self.stmts(self.red.map_body)
        self.stmt(self.combine(ir.Local(self.red.map_result, self.red.dtype)))
