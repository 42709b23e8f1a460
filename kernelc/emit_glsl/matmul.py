"""The GLSL matmul shell: C = A @ B as one fragment per element of C (docs/abi.md,
"Matmul programs").

Layout: the render target is C dense in C order over (batch..., M, N), exactly as an
elementwise program's output: the fragment at (x, y) computes element
`i = y * out_width + x`, i.e. column `i % N`, row `(i / N) % M`, batch entry `i / (M * N)`
(unravelled over the batch axes, last fastest). A and B are textures of their whole
buffers, read with `texelFetch` at the positions their offset and strides give. The
fragment walks its row of A and column of B four elements of K at a time (one sum of four
products per step), then the remaining K % 4, accumulating in float32.

Rule: like every fragment program, no loop depends on anything but uniforms, and the
fragment writes its one render target on every path that does not discard.
"""

from __future__ import annotations

from dataclasses import replace

from kernelc.abi.contract import OUT_WIDTH, REDUCE_SIZE, SIZE, Contract
from kernelc.emit.matmul import A, B, C, MatmulShell, MatmulSpec
from kernelc.emit_glsl.emitter import GlslEmitter
from kernelc.ir import nodes as ir

UNROLL = 4  # K elements per step of the main loop


class GlslMatmulEmitter(MatmulShell, GlslEmitter):
    def __init__(self, spec: MatmulSpec, kernel: ir.Kernel):
        """`kernel`: `matmul_kernel(spec)` linked with the shader library."""
        super().__init__(kernel)
        self.setup_matmul(spec)

    def int_decl(self, name: str, value: str, mutable: bool = False) -> None:
        self.out.line(f"int {name} = {value};")

    def main(self) -> str:
        self.main_scope()
        w = self.out
        w.line("void main() {")
        with w.indented():
            self.fragment()
        w.line("}")
        return w.text()

    def fragment(self) -> None:
        w, nd = self.out, self.spec.ndim
        n, width = self.u(SIZE), self.u(OUT_WIDTH)
        w.line(f"int i = int(gl_FragCoord.y) * {width} + int(gl_FragCoord.x);")
        w.line(f"if (i >= {n}) {{")
        w.line("    discard;")
        w.line("}")
        for tex in self.textures.values():
            self.widths[tex.name] = self.int_local(
                f"kc_w_{tex.name}", f"textureSize({tex.name}, 0).x"
            )
        rows, cols = self.shape(nd - 2), self.shape(nd - 1)
        col = self.int_local("kc_col", f"i % {cols}")
        row = self.int_local("kc_row", f"(i / {cols}) % {rows}")
        batch = self.int_local("kc_batch", f"i / ({cols} * {rows})")
        bases = self.batch_bases(batch, (A, B))
        pa = self.int_local("kc_pa", f"{bases[A]} + {row} * {self.stride(A, nd - 2)}", True)
        pb = self.int_local("kc_pb", f"{bases[B]} + {col} * {self.stride(B, nd - 1)}", True)
        step_a = self.int_local("kc_step_a", self.stride(A, nd - 1))
        step_b = self.int_local("kc_step_b", self.stride(B, nd - 2))
        acc = self.temp("kc_acc")
        w.line(f"float {acc} = 0.0;")
        k = self.int_local("kc_k", "0", True)
        depth = self.u(REDUCE_SIZE)
        w.line(f"for (; {k} + {UNROLL - 1} < {depth}; {k} += {UNROLL}) {{")
        with w.indented():
            self.step(acc, pa, pb, step_a, step_b, UNROLL)
        w.line("}")
        w.line(f"for (; {k} < {depth}; {k}++) {{")
        with w.indented():
            self.step(acc, pa, pb, step_a, step_b, 1)
        w.line("}")
        self.stmt(ir.OutputStore(C, self.value(acc)))

    def step(self, acc: str, pa: str, pb: str, step_a: str, step_b: str, count: int) -> None:
        """acc += the next `count` products; pa and pb move past them."""
        w = self.out
        terms = []
        for t in range(count):
            if t:
                w.line(f"{pa} += {step_a};")
                w.line(f"{pb} += {step_b};")
            a, b = self.element(A, pa), self.element(B, pb)
            x, y = self.temp("kc_x"), self.temp("kc_y")
            w.line(f"float {x} = {a};")
            w.line(f"float {y} = {b};")
            terms.append(f"{x} * {y}")
        w.line(f"{acc} += {' + '.join(terms)};")
        w.line(f"{pa} += {step_a};")
        w.line(f"{pb} += {step_b};")

    def abi(self) -> Contract:
        return replace(
            super().abi(),
            kind="matmul",
            batch_ndim=self.spec.batch_ndim,
            trans_a=self.spec.trans_a,
            trans_b=self.spec.trans_b,
        )
