"""The GLSL reduction shell: a reduction as a chain of fragment passes, each fragment
combining at most FAN_IN values (docs/abi.md, "Reduction programs"), never a loop over
the whole reduced axis.

Two fragment shaders share one uniform block, textures and naming:
* the **partial** shader (the launch's `partial_shader`) writes one render target of
  partials in the reduce dtype: fragment `p` is chunk `p % chunks` of output `p / chunks`;
* the **final** shader (`Program.code`) has one chunk per output and runs `post_body`
  into the kernel's outputs.
Both read, per uniform `k_pass`, either the reduced elements (pass 0: map, then combine)
or the previous pass's partials (a texture of `n * items` texels, output-major).

Rule: both shaders come from the same kernel through `GlslReductionEmitter(kernel, role)`
with the same declarations, so texture names and units agree; only the header's render
targets and the fragment's last step differ.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace

from kernelc.abi.contract import (
    OUT_WIDTH,
    PASS,
    PASS_CHUNKS,
    PASS_ITEMS,
    SIZE,
    Contract,
    Draw,
    PassesLaunch,
    RenderTarget,
    Texture,
)
from kernelc.abi.layout import GLSL_FORMAT
from kernelc.abi.reduction import FAN_IN, UNROLL
from kernelc.emit.base import RED_INDEX, Prec, Printed
from kernelc.emit.reduction import ReductionShell
from kernelc.emit_glsl.emitter import MAX_TEXTURES, VERTEX_SHADER, GlslEmitter
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import bool_, float32, int32, uint32, word_count, words64, words128

ROLES = ("final", "partial")
# Partials in the reduce dtype (a computation type): bool as 0/1 uint.
_PARTIAL_SAMPLER = {
    float32: "sampler2D",
    int32: "isampler2D",
    uint32: "usampler2D",
    bool_: "usampler2D",
    words64: "usampler2D",
    words128: "usampler2D",
}
_PARTIAL_TYPE = {
    float32: "float",
    int32: "int",
    uint32: "uint",
    bool_: "uint",
    words64: "uvec2",
    words128: "uvec4",
}


class GlslReductionEmitter(ReductionShell, GlslEmitter):
    def __init__(self, kernel: ir.Kernel, role: str = "final"):
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        super().__init__(kernel)
        self.role = role

    @property
    def final(self) -> bool:
        return self.role == "final"

    @property
    def partial_format(self) -> str:
        return GLSL_FORMAT[self.red.dtype]

    # -- module scope

    def declare_globals(self) -> None:
        super().declare_globals()
        self.partials = self.globals.fresh("t_kc_partials", compiler=True)
        self.partial_out = self.globals.fresh("o_kc_partial", compiler=True)
        if len(self.textures) + 1 > MAX_TEXTURES:  # the partials take a unit too
            last = list(self.textures.values())[-1].param
            raise self.refuse(
                last,
                f"kernel '{self.kernel.name}' needs {len(self.textures) + 1} "
                f"textures (one for the partials of a multi-pass reduction): WebGL2 "
                f"guarantees {MAX_TEXTURES} texture units per fragment shader",
                ("pass fewer arrays, or translate for WGSL",),
            )

    def bound_textures(self) -> list:
        """Textures this shader declares: the final one also reads outputs' old contents."""
        return [t for t in self.textures.values() if self.final or t.contents != "previous"]

    def header(self) -> str:
        """The kernel's header (the partial shader without the outputs and their old
        contents), then the partials sampler and, in the partial shader, its target."""
        saved = self.textures, self.outputs
        if not self.final:
            self.textures = {k: t for k, t in self.textures.items() if t.contents != "previous"}
            self.outputs = {}
        try:
            text = super().header()
        finally:
            self.textures, self.outputs = saved
        text = text.replace(
            f"// kernel {self.kernel.name}:", f"// kernel {self.kernel.name} ({self.role} pass):", 1
        )
        dt = self.red.dtype
        lines = ["", f"uniform highp {_PARTIAL_SAMPLER[dt]} {self.partials};"]
        if not self.final:
            lines.append(f"layout(location = 0) out highp {_PARTIAL_TYPE[dt]} {self.partial_out};")
        return text + "\n".join(lines) + "\n"

    # -- main

    def main(self) -> str:
        self.main_scope()
        w = self.out
        w.line("void main() {")
        with w.indented():
            chunk = self.fragment()
            for tex in self.bound_textures():
                self.widths[tex.name] = self.temp(f"kc_w_{tex.name}")
                w.line(f"int {self.widths[tex.name]} = textureSize({tex.name}, 0).x;")
            if self.final:
                for param, name in self.outputs.items():
                    w.line(f"{name} = {self.initial_output(self.param(param))};")
            self.stmts(self.red.identity_body)
            acc, _ = self.bind_reduction_locals()
            w.line(f"{self.type_name(self.red.dtype)} {acc} = {self.text(self.red.identity)};")
            first = self.temp("kc_first")
            w.line(f"int {first} = {chunk} * {FAN_IN};")
            w.line(f"if ({self.uniform(PASS).text} == 0) {{")
            with w.indented():
                self.fold_elements(first)
            w.line("} else {")
            with w.indented():
                self.fold_partials(acc, first)
            w.line("}")
            if self.final:
                self.stmts(self.red.post_body)
            else:
                w.line(f"{self.partial_out} = {self.stored(acc)};")
        w.line("}")
        return w.text()

    def temp(self, base: str) -> str:
        return self.scope.namer.fresh(base, compiler=True)

    def fragment(self) -> str:
        """Declare `i` (the output) and return the name of this fragment's chunk index."""
        w, p, chunk = self.out, self.temp("kc_p"), self.temp("kc_chunk")
        chunks = self.uniform(PASS_CHUNKS).text
        w.line(
            f"int {p} = int(gl_FragCoord.y) * {self.uniform(OUT_WIDTH).text} + int(gl_FragCoord.x);"
        )
        w.line(f"if ({p} >= {self.uniform(SIZE).text} * {chunks}) {{")
        w.line("    discard;")
        w.line("}")
        w.line(f"int i = {p} / {chunks};")
        w.line(f"int {chunk} = {p} - i * {chunks};")
        return chunk

    def fold_elements(self, first: str) -> None:
        """Map and combine the elements J = first .. first + FAN_IN - 1 (below red_n), in
        J's order: UNROLL at a time while that many are left (a short map body printed
        UNROLL times, so that its loads do not wait for each other), then one by one."""
        w, j, end = self.out, self.local_name(RED_INDEX), self.temp("kc_end")
        w.line(f"int {end} = min({first} + {FAN_IN}, {self.uniform(PASS_ITEMS).text});")
        w.line(f"int {j} = {first};")
        if self.straight_map:
            with self.bounded_loop(self.temp("kc_k"), FAN_IN // UNROLL):
                self.break_if(f"{end} - {j} < {UNROLL}")
                self.map_then_combine(f"{j}++;")
        with self.bounded_loop(self.temp("kc_k"), FAN_IN):
            self.break_if(f"{j} >= {end}")
            with self.reprinted():
                self.map_and_combine()
            w.line(f"{j}++;")

    @contextlib.contextmanager
    def bounded_loop(self, k: str, count: int) -> Iterator[None]:
        """`for (int k = 0; k < count; k++) { ... }` around what the block prints: GLSL ES
        3.00 loops have constant bounds, so a run known only at run time ends by
        `break_if`."""
        w = self.out
        w.line(f"for (int {k} = 0; {k} < {count}; {k}++) {{")
        with w.indented():
            yield
        w.line("}")

    def break_if(self, condition: str) -> None:
        w = self.out
        w.line(f"if ({condition}) {{")
        w.line("    break;")
        w.line("}")

    def fold_partials(self, acc: str, first: str) -> None:
        """Combine the previous pass's partials first .. first + FAN_IN - 1 of output i."""
        w, k, q, base = self.out, self.temp("kc_k"), self.temp("kc_q"), self.temp("kc_base")
        items = self.uniform(PASS_ITEMS).text
        width = self.temp("kc_w_partials")
        w.line(f"int {width} = textureSize({self.partials}, 0).x;")
        w.line(f"int {base} = i * {items};")
        with self.bounded_loop(k, FAN_IN):
            w.line(f"int {q} = {first} + {k};")
            self.break_if(f"{q} >= {items}")
            texel = self.call("kc_texel", [self.printed(f"{base} + {q}"), self.printed(width)])
            channels = "rgba"[: word_count(self.red.dtype)]  # a texel's words
            value = self.loaded(f"texelFetch({self.partials}, {texel.text}, 0).{channels}")
            w.line(f"{acc} = {self.func_names[self.red.combine]}({acc}, {value});")

    @staticmethod
    def printed(text: str) -> Printed:
        return Printed(text, Prec.TOP)

    def stored(self, acc: str) -> str:
        return f"uint({acc})" if self.red.dtype is bool_ else acc

    def loaded(self, texel: str) -> str:
        return f"({texel} != 0u)" if self.red.dtype is bool_ else texel

    # -- ABI

    def texture_records(self) -> tuple[Texture, ...]:
        """This shader's textures: the kernel's, then the partials (unit after all the
        kernel's textures in both shaders)."""
        units = {t.name: k for k, t in enumerate(self.textures.values())}
        kernel_textures = (
            Texture(
                unit=units[t.name],
                name=t.name,
                param=t.param.name,
                format=GLSL_FORMAT[t.param.dtype],
                contents=t.contents,
            )
            for t in self.bound_textures()
        )
        partials = Texture(
            unit=len(self.textures),
            name=self.partials,
            param=None,
            format=self.partial_format,
            contents="partials",
        )
        return (*kernel_textures, partials)

    def abi(self) -> Contract:
        abi = super().abi()
        outputs = abi.outputs
        if not self.final:
            target = RenderTarget(
                location=0, name=self.partial_out, param=None, format=self.partial_format
            )
            outputs = (target,)
        launch = PassesLaunch(
            vertex_shader=VERTEX_SHADER,
            max_width=abi.launch.max_width,
            fan_in=FAN_IN,
            partial_format=self.partial_format,
            lanes=abi.launch.lanes,
        )
        return replace(abi, reduce_ndim=self.red.ndim, outputs=outputs, launch=launch)


def emit_reduction(kernel: ir.Kernel) -> tuple[str, Contract]:
    """The final pass's shader and the contract, which carries the partial pass's shader."""
    code, abi = GlslReductionEmitter(kernel, "final").emit()
    partial_code, partial_abi = GlslReductionEmitter(kernel, "partial").emit()
    partial = Draw(code=partial_code, textures=partial_abi.textures, outputs=partial_abi.outputs)
    return code, replace(abi, launch=replace(abi.launch, partial_shader=partial))
