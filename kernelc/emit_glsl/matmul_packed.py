"""The packed GLSL matmul: operands packed four elements of K to an RGBA32F texel, each
fragment computing a 2x2 block of C (docs/abi.md, "GLSL: packed operands").

Four draws, one shader each, all with the matmul kernel's declarations and uniform block:

* `pack_a`: texel `(b * M + r) * KP + kk` of an RGBA32F texture holds
  `A[b, r, 4kk .. 4kk + 3]` (0 past K), `KP = ceil(K / 4)`;
* `pack_b`: texel `(b * N + c) * KP + kk` holds `B[b, 4kk .. 4kk + 3, c]`;
* `product`: texel `(b * MB + i) * NB + j` (`MB = ceil(M / 2)`, `NB = ceil(N / 2)`) holds
  `C[b, 2i, 2j]`, `C[b, 2i, 2j + 1]`, `C[b, 2i + 1, 2j]`, `C[b, 2i + 1, 2j + 1]` as x, y,
  z, w: four texel reads give sixteen products, where the plain program reads two texels
  for one;
* `unpack` (the program's own code): C in C order, each element taken from its block.

Packed textures have the layout of every buffer (texel `p` at `(p % width, p / width)`);
the product walks its four texel positions one texel at a time. Rule: like every fragment
program, no loop depends on anything but uniforms, and `product` loops `KP` times, so K
up to 4 * 65535 stays under Mesa's loop cap.
"""

from __future__ import annotations

from kernelc.abi_matmul import GLSL_BLOCK, GLSL_K_PER_TEXEL, GLSL_TEXEL_FORMAT
from kernelc.emit_base import Prec, Printed
from kernelc.emit_glsl.matmul import GlslMatmulEmitter
from kernelc.emit_matmul import A, B, C, MatmulSpec
from kernelc.ir import nodes as ir

TEXEL_FORMAT, K_PER_TEXEL, BLOCK = GLSL_TEXEL_FORMAT, GLSL_K_PER_TEXEL, GLSL_BLOCK
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
        self.stage_samplers = {s: self.globals.fresh(f"t_kc_{s}", compiler=True)
                               for s in _READS[self.role]}  # fmt: skip
        self.packed_out = None
        if self.role != "unpack":
            self.packed_out = self.globals.fresh("o_kc_packed", compiler=True)

    def header(self) -> str:
        lines = [super().header().rstrip("\n"), ""]
        lines += [f"uniform highp sampler2D {name};" for name in self.stage_samplers.values()]
        if self.packed_out is not None:
            lines.append(f"layout(location = 0) out highp vec4 {self.packed_out};")
        return "\n".join(lines) + "\n"

    # -- the fragments

    def fragment(self) -> None:
        w = self.out
        width = self.u("k_out_width")
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
        batches = self.int_local("kc_batches", f"{self.u('k_n')} / ({m} * {n})")
        kp = self.int_local("kc_kp", f"({self.u('k_red_n')} + {K_PER_TEXEL - 1}) / {K_PER_TEXEL}")
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
        pos = self.int_local("kc_pos", f"{base} + {index} * {self.stride(operand, line_axis)} + "
                             f"{K_PER_TEXEL} * {kk} * {step}", True)  # fmt: skip
        left = self.int_local("kc_left", f"{self.u('k_red_n')} - {K_PER_TEXEL} * {kk}")
        v = self.temp("kc_v")
        w.line(f"vec4 {v} = vec4(0.0);")
        w.line(f"{v}.x = {self.element(operand, pos)};")
        for c, lane in enumerate("yzw", start=1):
            w.line(f"if ({left} > {c}) {{")
            with w.indented():
                w.line(f"{pos} += {step};")
                w.line(f"{v}.{lane} = {self.element(operand, pos)};")
            w.line("}")
        w.line(f"{self.packed_out} = {v};")

    def product(self) -> None:
        """Texel i: the 2x2 block of C from two packed rows of A and two of B."""
        w = self.out
        m, n, batches, kp = self.dims()
        mb = self.int_local("kc_mb", f"({m} + {BLOCK[0] - 1}) / {BLOCK[0]}")
        nb = self.int_local("kc_nb", f"({n} + {BLOCK[1] - 1}) / {BLOCK[1]}")
        self.discard_from(f"{batches} * {mb} * {nb}")
        bj = self.int_local("kc_bj", f"i % {nb}")
        bi = self.int_local("kc_bi", f"(i / {nb}) % {mb}")
        batch = self.int_local("kc_batch", f"i / ({nb} * {mb})")
        # the last row (column) of an odd M (N) repeats; unpack takes only real elements
        r0 = self.int_local("kc_r0", f"{batch} * {m} + 2 * {bi}")
        r1 = self.int_local("kc_r1", f"{r0} + min(1, {m} - 1 - 2 * {bi})")
        c0 = self.int_local("kc_c0", f"{batch} * {n} + 2 * {bj}")
        c1 = self.int_local("kc_c1", f"{c0} + min(1, {n} - 1 - 2 * {bj})")
        ta, tb = self.stage_samplers["pack_a"], self.stage_samplers["pack_b"]
        wa = self.int_local("kc_wa", f"textureSize({ta}, 0).x")
        wb = self.int_local("kc_wb", f"textureSize({tb}, 0).x")
        cursors = []
        for line, tex, width in ((r0, ta, wa), (r1, ta, wa), (c0, tb, wb), (c1, tb, wb)):
            at = self.temp("kc_at")
            first = self.call("kc_texel", [self.printed(f"{line} * {kp}"), self.printed(width)])
            w.line(f"ivec2 {at} = {first.text};")
            cursors.append((at, tex, width))
        acc, k = self.temp("kc_acc"), self.temp("kc_k")
        w.line(f"vec4 {acc} = vec4(0.0);")
        w.line(f"for (int {k} = 0; {k} < {kp}; {k}++) {{")
        with w.indented():
            x0, x1, y0, y1 = (self.temp(name) for name in ("kc_x", "kc_x", "kc_y", "kc_y"))
            for name, (at, tex, _) in zip((x0, x1, y0, y1), cursors):
                w.line(f"vec4 {name} = texelFetch({tex}, {at}, 0);")
            w.line(f"{acc} += vec4(dot({x0}, {y0}), dot({x0}, {y1}), dot({x1}, {y0}), "
                   f"dot({x1}, {y1}));")  # fmt: skip
            for at, _, width in cursors:
                w.line(f"{at} = {at}.x + 1 == {width} ? ivec2(0, {at}.y + 1) : {at} + ivec2(1, 0);")
        w.line("}")
        w.line(f"{self.packed_out} = {acc};")

    def unpack(self) -> None:
        """Element i of C (C order) from its block's texel."""
        m, n = self.sizes()
        self.discard_from(self.u("k_n"))
        col = self.int_local("kc_col", f"i % {n}")
        row = self.int_local("kc_row", f"(i / {n}) % {m}")
        batch = self.int_local("kc_batch", f"i / ({n} * {m})")
        mb = self.int_local("kc_mb", f"({m} + {BLOCK[0] - 1}) / {BLOCK[0]}")
        nb = self.int_local("kc_nb", f"({n} + {BLOCK[1] - 1}) / {BLOCK[1]}")
        block = self.int_local("kc_block", f"({batch} * {mb} + {row} / 2) * {nb} + {col} / 2")
        tex = self.stage_samplers["product"]
        width = self.int_local("kc_wc", f"textureSize({tex}, 0).x")
        texel = self.call("kc_texel", [self.printed(block), self.printed(width)])
        value = self.temp("kc_value")
        self.out.line(f"float {value} = texelFetch({tex}, {texel.text}, 0)"
                      f"[({row} % 2) * 2 + {col} % 2];")  # fmt: skip
        self.stmt(ir.OutputStore(C, self.value(value)))

    @staticmethod
    def printed(text: str) -> Printed:
        return Printed(text, Prec.PRIMARY)

    # -- the ABI

    def stage_json(self, code: str, abi: dict) -> dict:
        """This role's shader as a draw: its code, textures (the kernel's, then the packed
        ones by stage) and render target."""
        textures = list(abi["textures"])
        for s, name in self.stage_samplers.items():
            textures.append({"unit": len(textures), "name": name, "param": None,
                             "format": TEXEL_FORMAT, "contents": "stage", "stage": s})  # fmt: skip
        outputs = abi["outputs"]
        if self.packed_out is not None:
            outputs = [{"location": 0, "name": self.packed_out, "param": None,
                        "format": TEXEL_FORMAT}]  # fmt: skip
        return {"name": self.role, "code": code, "textures": textures, "outputs": outputs}


def emit_packed_matmul(spec: MatmulSpec, kernel: ir.Kernel) -> tuple[str, dict]:
    """The unpack shader (the program's code) and the ABI, whose launch carries the pack
    and product shaders as stages."""
    stages = []
    for role in STAGES:
        shell = GlslPackedMatmulEmitter(spec, kernel, role)
        code, abi = shell.emit()
        stages.append(shell.stage_json(code, abi))
    shell = GlslPackedMatmulEmitter(spec, kernel, "unpack")
    code, abi = shell.emit()
    final = shell.stage_json(code, abi)
    abi["textures"], abi["outputs"] = final["textures"], final["outputs"]
    abi["packed"] = True
    abi["launch"] = {**abi["launch"], "kind": "packed_matmul", "texel_format": TEXEL_FORMAT,
                     "k_per_texel": K_PER_TEXEL, "block": list(BLOCK), "stages": stages}  # fmt: skip
    return code, abi
