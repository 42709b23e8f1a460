"""The packed GLSL matmul: operands packed four elements of K to an RGBA32F texel, each
fragment computing a 4x4 block of C into four RGBA32F render targets (docs/abi.md, "GLSL:
packed operands"; the block is `abi_matmul.GLSL_BLOCK`, any R x C with R * C a multiple
of 4, at most 16).

Four draws, one shader each, all with the matmul kernel's declarations and uniform block:

* `pack_a`: texel `(b * M + r) * KP + kk` of an RGBA32F texture holds
  `A[b, r, 4kk .. 4kk + 3]` (0 past K), `KP = ceil(K / 4)`;
* `pack_b`: texel `(b * N + c) * KP + kk` holds `B[b, 4kk .. 4kk + 3, c]`;
* `product`: texel `(b * MB + i) * NB + j` (`MB = ceil(M / R)`, `NB = ceil(N / C)`) of
  render target `e / 4`, component `e % 4`, holds element `e` (row-major) of the block of C
  at rows `R i ..`, columns `C j ..`: each step reads R + C texels for 16 R C / 4 products,
  where the plain program reads two texels for one;
* `unpack` (the program's own code): C in C order, each element taken from its block.

Packed textures have the layout of every buffer (texel `p` at `(p % width, p / width)`);
the product walks its texel positions one texel at a time. Rule: like every fragment
program, no loop depends on anything but uniforms, and `product` loops `KP` times, so K
up to 4 * 65535 stays under Mesa's loop cap.
"""

from __future__ import annotations

from dataclasses import replace

from kernelc.abi.contract import (
    OUT_WIDTH,
    REDUCE_SIZE,
    SIZE,
    Contract,
    Draw,
    PackedMatmulLaunch,
    RenderTarget,
    Texture,
)
from kernelc.abi.matmul import GLSL_BLOCK, GLSL_K_PER_TEXEL, GLSL_TEXEL_FORMAT
from kernelc.emit.base import Prec, Printed
from kernelc.emit.matmul import A, B, C, MatmulSpec
from kernelc.emit_glsl.matmul import GlslMatmulEmitter
from kernelc.ir import nodes as ir

TEXEL_FORMAT, K_PER_TEXEL, BLOCK = GLSL_TEXEL_FORMAT, GLSL_K_PER_TEXEL, GLSL_BLOCK
TARGETS = BLOCK[0] * BLOCK[1] // 4  # RGBA render targets of the product
STAGES = ("pack_a", "pack_b", "product")  # drawn in order, before the program's own code
ROLES = (*STAGES, "unpack")
# The packed textures each role samples (stage name -> sampler base name)
_READS = {"pack_a": (), "pack_b": (), "product": ("pack_a", "pack_b"), "unpack": ("product",)}
_OPERAND = {"pack_a": A, "pack_b": B}


class GlslPackedMatmulEmitter(GlslMatmulEmitter):
    def __init__(self, spec: MatmulSpec, kernel: ir.Kernel, role: str = "unpack"):
        if role not in ROLES:
            raise ValueError(f"packed matmul role must be one of {ROLES}, not {role!r}")
        super().__init__(spec, kernel)
        self.role = role
        self.group = (C,) if role == "unpack" else ()  # only `unpack` renders C

    def declare_globals(self) -> None:
        super().declare_globals()
        keep = _OPERAND.get(self.role)
        self.textures = {key: t for key, t in self.textures.items() if t.param.name == keep}
        # (stage, its render target) -> sampler
        self.stage_samplers = {
            (s, k): self.globals.fresh(f"t_kc_{s}", compiler=True)
            for s in _READS[self.role]
            for k in range(TARGETS if s == "product" else 1)
        }
        count = {"unpack": 0, "product": TARGETS}.get(self.role, 1)
        self.packed_outs = [self.globals.fresh("o_kc_packed", compiler=True) for _ in range(count)]

    def header(self) -> str:
        lines = [super().header().rstrip("\n"), ""]
        lines += [f"uniform highp sampler2D {name};" for name in self.stage_samplers.values()]
        lines += [
            f"layout(location = {k}) out highp vec4 {name};"
            for k, name in enumerate(self.packed_outs)
        ]
        return "\n".join(lines) + "\n"

    # -- the fragments

    def fragment(self) -> None:
        w = self.out
        width = self.u(OUT_WIDTH)
        w.line(f"int i = int(gl_FragCoord.y) * {width} + int(gl_FragCoord.x);")
        for tex in self.textures.values():
            size = f"textureSize({tex.name}, 0).x"
            self.widths[tex.name] = self.int_local(f"kc_w_{tex.name}", size)
        if self.role in _OPERAND:
            self.pack(_OPERAND[self.role])
        elif self.role == "product":
            self.product()
        else:
            self.unpack()

    def sizes(self) -> tuple[str, str]:
        """Locals: M and N."""
        nd = self.spec.ndim
        m = self.int_local("kc_m", self.shape(nd - 2))
        return m, self.int_local("kc_n", self.shape(nd - 1))

    def dims(self) -> tuple[str, str, str, str]:
        """Locals: M, N, the batch entries, and KP (texels of K)."""
        m, n = self.sizes()
        batches = self.int_local("kc_batches", f"{self.u(SIZE)} / ({m} * {n})")
        kp = self.int_local("kc_kp", f"({self.u(REDUCE_SIZE)} + {K_PER_TEXEL - 1}) / {K_PER_TEXEL}")
        return m, n, batches, kp

    def discard_from(self, count: str) -> None:
        self.out.line(f"if (i >= {count}) {{")
        self.out.line("    discard;")
        self.out.line("}")

    def pack(self, operand: str) -> None:
        """Texel i: four consecutive elements of K of one row of A (column of B)."""
        nd, w = self.spec.ndim, self.out
        m, n, batches, kp = self.dims()
        lines = m if operand == A else n
        line_axis, k_axis = (nd - 2, nd - 1) if operand == A else (nd - 1, nd - 2)
        self.discard_from(f"{batches} * {lines} * {kp}")
        kk = self.int_local("kc_kk", f"i % {kp}")
        line = self.int_local("kc_line", f"i / {kp}")
        index = self.int_local("kc_index", f"{line} % {lines}")
        batch = self.int_local("kc_batch", f"{line} / {lines}")
        base = self.batch_bases(batch, (operand,))[operand]
        step = self.int_local("kc_step", self.stride(operand, k_axis))
        pos = self.int_local(
            "kc_pos",
            f"{base} + {index} * {self.stride(operand, line_axis)} + {K_PER_TEXEL} * {kk} * {step}",
            True,
        )
        left = self.int_local("kc_left", f"{self.u(REDUCE_SIZE)} - {K_PER_TEXEL} * {kk}")
        v = self.temp("kc_v")
        w.line(f"vec4 {v} = vec4(0.0);")
        w.line(f"{v}.x = {self.element(operand, pos)};")
        for c, lane in enumerate("yzw", start=1):
            w.line(f"if ({left} > {c}) {{")
            with w.indented():
                w.line(f"{pos} += {step};")
                w.line(f"{v}.{lane} = {self.element(operand, pos)};")
            w.line("}")
        w.line(f"{self.packed_outs[0]} = {v};")

    def product(self) -> None:
        """Texel i of each render target: its rows of the block of C (row-major elements
        e of the block, target e / 4, component e % 4), from packed rows of A and B."""
        w = self.out
        m, n, batches, kp = self.dims()
        mb = self.int_local("kc_mb", f"({m} + {BLOCK[0] - 1}) / {BLOCK[0]}")
        nb = self.int_local("kc_nb", f"({n} + {BLOCK[1] - 1}) / {BLOCK[1]}")
        self.discard_from(f"{batches} * {mb} * {nb}")
        bj = self.int_local("kc_bj", f"i % {nb}")
        bi = self.int_local("kc_bi", f"(i / {nb}) % {mb}")
        batch = self.int_local("kc_batch", f"i / ({nb} * {mb})")
        ta, tb = self.stage_samplers[("pack_a", 0)], self.stage_samplers[("pack_b", 0)]
        wa = self.int_local("kc_wa", f"textureSize({ta}, 0).x")
        wb = self.int_local("kc_wb", f"textureSize({tb}, 0).x")
        # rows (columns) past an edge of C repeat the last; unpack takes only real elements
        cursors = []
        for lines, index, extent, tex, width, base in (
            (BLOCK[0], bi, m, ta, wa, "kc_r"),
            (BLOCK[1], bj, n, tb, wb, "kc_c"),
        ):
            first = self.int_local(f"{base}0", f"{batch} * {extent} + {lines} * {index}")
            for t in range(lines):
                line = f"{first} + min({t}, {extent} - 1 - {lines} * {index})" if t else first
                at = self.temp("kc_at")
                start = self.printed(f"({line}) * {kp}")
                texel = self.call("kc_texel", [start, self.printed(width)])
                w.line(f"ivec2 {at} = {texel.text};")
                cursors.append((at, tex, width))
        accs = [self.temp("kc_acc") for _ in range(TARGETS)]
        for acc in accs:
            w.line(f"vec4 {acc} = vec4(0.0);")
        k = self.temp("kc_k")
        w.line(f"for (int {k} = 0; {k} < {kp}; {k}++) {{")
        with w.indented():
            names = [self.temp("kc_x" if j < BLOCK[0] else "kc_y") for j in range(len(cursors))]
            for name, (at, tex, _) in zip(names, cursors):
                w.line(f"vec4 {name} = texelFetch({tex}, {at}, 0);")
            xs, ys = names[: BLOCK[0]], names[BLOCK[0] :]
            dots = [f"dot({xs[e // BLOCK[1]]}, {ys[e % BLOCK[1]]})" for e in range(4 * TARGETS)]
            for t, acc in enumerate(accs):
                w.line(f"{acc} += vec4({', '.join(dots[4 * t : 4 * t + 4])});")
            for at, _, width in cursors:
                w.line(f"{at} = {at}.x + 1 == {width} ? ivec2(0, {at}.y + 1) : {at} + ivec2(1, 0);")
        w.line("}")
        for out, acc in zip(self.packed_outs, accs):
            w.line(f"{out} = {acc};")

    def unpack(self) -> None:
        """Element i of C (C order) from its block's texel."""
        m, n = self.sizes()
        self.discard_from(self.u(SIZE))
        col = self.int_local("kc_col", f"i % {n}")
        row = self.int_local("kc_row", f"(i / {n}) % {m}")
        batch = self.int_local("kc_batch", f"i / ({n} * {m})")
        mb = self.int_local("kc_mb", f"({m} + {BLOCK[0] - 1}) / {BLOCK[0]}")
        nb = self.int_local("kc_nb", f"({n} + {BLOCK[1] - 1}) / {BLOCK[1]}")
        block = self.int_local(
            "kc_block", f"({batch} * {mb} + {row} / {BLOCK[0]}) * {nb} + {col} / {BLOCK[1]}"
        )
        e = self.int_local("kc_e", f"({row} % {BLOCK[0]}) * {BLOCK[1]} + {col} % {BLOCK[1]}")
        value = self.temp("kc_value")
        self.out.line(f"float {value} = 0.0;")
        for t in range(TARGETS):
            tex = self.stage_samplers[("product", t)]
            width = f"textureSize({tex}, 0).x"
            texel = self.call("kc_texel", [self.printed(block), self.printed(width)])
            fetch = f"{value} = texelFetch({tex}, {texel.text}, 0)[{e} % 4];"
            self.out.line(fetch if TARGETS == 1 else f"if ({e} / 4 == {t}) {{ {fetch} }}")
        self.stmt(ir.OutputStore(C, self.value(value)))

    @staticmethod
    def printed(text: str) -> Printed:
        return Printed(text, Prec.PRIMARY)

    # -- the ABI

    def stage_draw(self, code: str, abi: Contract) -> Draw:
        """This role's shader as a draw: its code, textures (the kernel's, then the packed
        ones by stage) and render target."""
        textures = list(abi.textures)
        for (s, k), name in self.stage_samplers.items():
            textures.append(
                Texture(
                    unit=len(textures),
                    name=name,
                    param=None,
                    format=TEXEL_FORMAT,
                    contents="stage",
                    stage=s,
                    output=k,
                )
            )
        outputs = abi.outputs
        if self.packed_outs:
            outputs = tuple(
                RenderTarget(location=k, name=name, param=None, format=TEXEL_FORMAT)
                for k, name in enumerate(self.packed_outs)
            )
        return Draw(name=self.role, code=code, textures=tuple(textures), outputs=outputs)


def emit_packed_matmul(spec: MatmulSpec, kernel: ir.Kernel) -> tuple[str, Contract]:
    """The unpack shader (the program's code) and the contract, whose launch carries the
    pack and product shaders as stages."""
    stages = []
    for role in STAGES:
        shell = GlslPackedMatmulEmitter(spec, kernel, role)
        stages.append(shell.stage_draw(*shell.emit()))
    shell = GlslPackedMatmulEmitter(spec, kernel, "unpack")
    code, abi = shell.emit()
    final = shell.stage_draw(code, abi)
    launch = PackedMatmulLaunch(
        vertex_shader=abi.launch.vertex_shader,
        max_width=abi.launch.max_width,
        texel_format=TEXEL_FORMAT,
        k_per_texel=K_PER_TEXEL,
        block=tuple(BLOCK),
        stages=tuple(stages),
    )
    return code, replace(
        abi, textures=final.textures, outputs=final.outputs, packed=True, launch=launch
    )
