"""The WGSL reduction shell: one workgroup per output folding it as a tree in workgroup
memory, and a split into partials when few outputs have many elements (docs/abi.md,
"Reduction programs").

Entry points, each `@workgroup_size(256)` over a flat workgroup index `w`:
* `main` (groups == 1): workgroup `w` reduces output `w`;
* `main_partial` (stage 1 of 2): workgroup `w` reduces the elements `J = g * 256 + lane
  + k * 256 * groups` of output `w / groups` (g = `w % groups`) into `scratch[w]`;
* `main_merge` (stage 2 of 2): workgroup `w` combines `scratch[w * groups ..][..groups]`.

By columns (`ColumnRule`: neighbouring invocations read neighbouring outputs, no tree):
* `main_columns`: invocation `lane` of workgroup `w` folds output `w * 256 + lane`;
* `main_columns_partial`: workgroup `w` is block `w % blocks` of outputs and chunk
  `g = w / blocks` of their elements (`ceil(red_n / groups)` each) into
  `scratch[g * n + output]`;
* `main_columns_merge`: as `main_columns`, folding the `groups` partials of its output.

Every fold loop maps UNROLL elements an iteration (the loads do not wait for each other:
a short map body is printed UNROLL times before the combines) and combines them in J's
order, then the rest one by one.

Rule: every `workgroupBarrier` is reached in uniform control flow: whole workgroups are
guarded by conditions on the workgroup index and uniforms only, never an early return;
invocation-dependent work sits in loops or `if`s that close before each barrier.
"""

from __future__ import annotations

from dataclasses import replace

from kernelc.abi.contract import (
    REDUCE_GROUPS,
    REDUCE_SIZE,
    SIZE,
    Binding,
    Contract,
    array_stride,
)
from kernelc.abi.layout import WGSL_STORAGE
from kernelc.abi.reduction import (
    ENTRY_COLUMNS,
    ENTRY_COLUMNS_MERGE,
    ENTRY_COLUMNS_PARTIAL,
    ENTRY_MERGE,
    ENTRY_PARTIAL,
    ENTRY_SINGLE,
    UNROLL,
    wgsl_plan,
)
from kernelc.abi.reduction import TREE_SIZE as T
from kernelc.emit.base import RED_INDEX
from kernelc.emit.reduction import ReductionShell
from kernelc.emit_wgsl.emitter import WgslEmitter
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import bool_

BUILTINS = (
    "@builtin(workgroup_id) wg: vec3<u32>",
    "@builtin(local_invocation_id) lid: vec3<u32>",
    "@builtin(num_workgroups) nwg: vec3<u32>",
)


class WgslReductionEmitter(ReductionShell, WgslEmitter):
    MAIN_LOCALS = (
        *WgslEmitter.MAIN_LOCALS,
        ENTRY_PARTIAL,
        ENTRY_MERGE,
        ENTRY_COLUMNS,
        ENTRY_COLUMNS_PARTIAL,
        ENTRY_COLUMNS_MERGE,
    )

    # -- module scope

    def declare_globals(self) -> None:
        super().declare_globals()
        self.scratch = self.globals.fresh("b_kc_scratch", compiler=True)
        self.sdata = self.globals.fresh("kc_sdata", compiler=True)
        self.tree = self.globals.fresh("kc_tree", compiler=True)

    @property
    def acc_type(self) -> str:
        return self.type_name(self.red.dtype)

    def header(self) -> str:
        binding = len(self.kernel.arrays) + 1
        element = WGSL_STORAGE[self.red.dtype]
        scratch = f"var<storage, read_write> {self.scratch}: array<{element}>;"
        workgroup = f"var<workgroup> {self.sdata}: array<{self.acc_type}, {T}>;"
        return f"{super().header()}@group(0) @binding({binding}) {scratch}\n\n{workgroup}\n"

    def tree_function(self) -> str:
        """`kc_tree(lane, value)`: the workgroup's values combined; all invocations call it."""
        combine, s = self.func_names[self.red.combine], self.sdata
        return "\n".join(
            [
                f"fn {self.tree}(kc_lane: u32, kc_value: {self.acc_type}) -> {self.acc_type} {{",
                f"    {s}[kc_lane] = kc_value;",
                "    workgroupBarrier();",
                f"    for (var kc_half = {T // 2}u; kc_half > 0u; kc_half = kc_half >> 1u) {{",
                "        if (kc_lane < kc_half) {",
                f"            {s}[kc_lane] = {combine}({s}[kc_lane], {s}[kc_lane + kc_half]);",
                "        }",
                "        workgroupBarrier();",
                "    }",
                f"    return {s}[0];",
                "}",
                "",
            ]
        )

    def main(self) -> str:
        entries = [
            self.entry(ENTRY_SINGLE, self.single),
            self.entry(ENTRY_PARTIAL, self.partial),
            self.entry(ENTRY_MERGE, self.merge),
        ]
        if self.columns_by() is not None:
            entries += [
                self.entry(ENTRY_COLUMNS, self.columns_single),
                self.entry(ENTRY_COLUMNS_PARTIAL, self.columns_partial),
                self.entry(ENTRY_COLUMNS_MERGE, self.columns_merge),
            ]
        return "\n".join([self.tree_function(), *entries])

    def entry(self, name: str, body) -> str:
        self.main_scope()
        w = self.out
        w.line(f"@compute @workgroup_size({T})")
        w.line(f"fn {name}(")
        with w.indented():
            for b in BUILTINS:
                w.line(b + ",")
        w.line(") {")
        with w.indented():
            flat = self.temp("kc_wg")
            w.line(f"let {flat} = wg.y * nwg.x + wg.x;")
            body(flat)
        w.line("}")
        return w.text()

    # -- the three entry points

    def single(self, flat: str) -> None:
        self.guarded(
            f"{flat} < u32({self.uniform(SIZE).text})",
            f"i32({flat})",
            lambda acc: self.fold_elements(acc, "i32(lid.x)", f"{T}i"),
            self.post,
        )

    def partial(self, flat: str) -> None:
        groups = self.groups()
        first = f"i32({flat} % {groups}) * {T}i + i32(lid.x)"
        step = f"{T}i * {self.uniform(REDUCE_GROUPS).text}"
        store = f"{self.scratch}[{flat}] = {{}};"
        self.guarded(
            f"{flat} < u32({self.uniform(SIZE).text}) * {groups}",
            f"i32({flat} / {groups})",
            lambda acc: self.fold_elements(acc, first, step),
            lambda acc: self.out.line(store.format(self.stored(acc))),
        )

    def merge(self, flat: str) -> None:
        groups = self.groups()
        self.guarded(
            f"{flat} < u32({self.uniform(SIZE).text})",
            f"i32({flat})",
            lambda acc: self.fold_partials(acc, flat, groups),
            self.post,
        )

    # -- by columns

    def columns_single(self, flat: str) -> None:
        output = self.column_output(flat)
        self.per_invocation(
            f"{output} < u32({self.uniform(SIZE).text})",
            f"i32({output})",
            lambda acc: self.fold_range(acc, "0i", "1i", self.uniform(REDUCE_SIZE).text),
            self.post,
        )

    def columns_partial(self, flat: str) -> None:
        w, n = self.out, f"u32({self.uniform(SIZE).text})"
        groups = self.groups()
        blocks, chunk = self.temp("kc_blocks"), self.temp("kc_g")
        w.line(f"let {blocks} = ({n} + {T - 1}u) / {T}u;")
        w.line(f"let {chunk} = {flat} / {blocks};")
        output = self.column_output(f"({flat} % {blocks})")
        red_n = self.uniform(REDUCE_SIZE).text
        length, start = self.temp("kc_chunk"), self.temp("kc_start")

        def fold(acc: str) -> None:
            # ceil(red_n / groups) without overflowing near 2^31 (chunks past red_n are empty)
            w.line(f"let {length} = ({red_n} - 1i) / i32({groups}) + 1i;")
            w.line(f"let {start} = i32({chunk}) * {length};")
            end = f"min({red_n}, {start} + {length})"
            self.fold_range(acc, start, "1i", end)

        store = f"{self.scratch}[{chunk} * {n} + {output}] = {{}};"
        self.per_invocation(
            f"{chunk} < {groups} && {output} < {n}",
            f"i32({output})",
            fold,
            lambda acc: w.line(store.format(self.stored(acc))),
        )

    def columns_merge(self, flat: str) -> None:
        w, n = self.out, f"u32({self.uniform(SIZE).text})"
        groups = self.groups()
        output = self.column_output(flat)

        def fold(acc: str) -> None:
            k = self.temp("kc_k")
            w.line(f"for (var {k} = 0u; {k} < {groups}; {k} = {k} + 1u) {{")
            with w.indented():
                partial = self.loaded(f"{self.scratch}[{k} * {n} + {output}]")
                w.line(f"{acc} = {self.func_names[self.red.combine]}({acc}, {partial});")
            w.line("}")

        self.per_invocation(f"{output} < {n}", f"i32({output})", fold, self.post)

    def groups(self) -> str:
        """`let kc_groups = u32(reduce_groups);` (workgroups per output or block); its name."""
        groups = self.temp("kc_groups")
        self.out.line(f"let {groups} = u32({self.uniform(REDUCE_GROUPS).text});")
        return groups

    def column_output(self, block: str) -> str:
        output = self.temp("kc_out")
        self.out.line(f"let {output} = {block} * {T}u + lid.x;")
        return output

    def per_invocation(self, active: str, output: str, fold, finish) -> None:
        """`if (active) { i = output; identity; fold; finish }` (no barriers)."""
        self.guarded(active, output, fold, finish, tree=False)

    def columns_by(self) -> str | None:
        """The input array whose strides choose columns (`wgsl_plan`), None when no input
        array has both strides in the uniform block."""
        r, d = self.red.ndim, self.kernel.ndim
        if r == 0 or d == 0:
            return None
        for p in self.kernel.params:
            if p.kind is not ir.ParamKind.ARRAY or p.is_output:
                continue
            keys = (array_stride(p.name, r + d - 1), array_stride(p.name, r - 1))
            if all((k, None) in self.members for k in keys):
                return p.name
        return None

    # -- pieces

    def guarded(self, active: str, output: str, fold, finish, tree: bool = True) -> None:
        """`if (active) { i = output; identity; fold; tree; if (lane 0) finish }`; `active`
        depends on the workgroup and uniforms only, so the barriers inside stay uniform.
        Without the tree every invocation finishes its own output."""
        w = self.out
        w.line(f"if ({active}) {{")
        with w.indented():
            w.line(f"let i = {output};")
            self.stmts(self.red.identity_body)
            acc, _ = self.bind_reduction_locals()
            w.line(f"var {acc}: {self.acc_type} = {self.text(self.red.identity)};")
            fold(acc)
            if not tree:
                finish(acc)
            else:
                w.line(f"{acc} = {self.tree}(lid.x, {acc});")
                w.line("if (lid.x == 0u) {")
                with w.indented():
                    finish(acc)
                w.line("}")
        w.line("}")

    def fold_elements(self, acc: str, first: str, step: str) -> None:
        """Map and combine this invocation's elements J = first, first + step, ..."""
        self.fold_range(acc, first, step, self.uniform(REDUCE_SIZE).text)

    def fold_range(self, acc: str, first: str, step: str, end: str) -> None:
        """Map and combine J = first, first + step, ... while J < end: UNROLL elements an
        iteration while that many are left, then one at a time; J's order either way."""
        w, j = self.out, self.local_name(RED_INDEX)
        w.line(f"var {j}: i32 = {first};")
        w.line("loop {")
        with w.indented():
            # UNROLL elements left: end - J > (UNROLL - 1) * step (no overflow: J >= 0)
            w.line(f"if ({end} - {j} <= {UNROLL - 1}i * {step}) {{")
            w.line("    break;")
            w.line("}")
            if self.straight_map:
                self.map_then_combine(f"{j} = {j} + {step};")
            else:  # a long map body once: the driver may unroll the loop or not
                u = self.temp("kc_u")
                w.line(f"for (var {u} = 0; {u} < {UNROLL}; {u} = {u} + 1) {{")
                with w.indented(), self.reprinted():
                    self.map_and_combine()
                    w.line(f"{j} = {j} + {step};")
                w.line("}")
        w.line("}")
        w.line("loop {")
        with w.indented():
            w.line(f"if ({j} >= {end}) {{")
            w.line("    break;")
            w.line("}")
            self.map_and_combine()
            w.line("continuing {")
            w.line(f"    {j} = {j} + {step};")
            w.line("}")
        w.line("}")

    def fold_partials(self, acc: str, flat: str, groups: str) -> None:
        w, k = self.out, self.temp("kc_k")
        w.line(f"for (var {k} = lid.x; {k} < {groups}; {k} = {k} + {T}u) {{")
        with w.indented():
            partial = self.loaded(f"{self.scratch}[{flat} * {groups} + {k}]")
            combine = self.func_names[self.red.combine]
            w.line(f"{acc} = {combine}({acc}, {partial});")
        w.line("}")

    def post(self, acc: str) -> None:
        self.stmts(self.red.post_body)

    def stored(self, acc: str) -> str:
        return f"select(0u, 1u, {acc})" if self.red.dtype is bool_ else acc

    def loaded(self, element: str) -> str:
        return f"({element} != 0u)" if self.red.dtype is bool_ else element

    # -- ABI

    def abi(self) -> Contract:
        abi = super().abi()
        scratch = Binding(
            binding=len(self.kernel.arrays) + 1,
            resource="scratch",
            access="read_write",
            element=WGSL_STORAGE[self.red.dtype],
            elements="n*groups",
        )
        return replace(
            abi,
            entry_point=None,  # the stages name theirs
            reduce_ndim=self.red.ndim,
            bindings=(*abi.bindings, scratch),
            launch=wgsl_plan(self.columns_by(), self.red.ndim, self.kernel.ndim),
        )
