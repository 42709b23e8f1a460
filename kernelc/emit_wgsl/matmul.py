"""The WGSL matmul shell: C = A @ B, one workgroup per `tiles.m` x `tiles.n` tile of C,
marching over K `tiles.k` at a time through workgroup memory (docs/abi.md, "Matmul
programs").

Per K step every invocation loads `m * k / invocations` elements of A and as many of B
into registers (zero outside the matrices), the workgroup stores them into the tiles,
and each invocation then accumulates a `thread_m` x `thread_n` block of C in vec4
registers from vec4 reads of the tiles. The next step's loads are issued before this
step's arithmetic, so their latency hides behind it.

Double buffering. Where two copies of both tiles fit WebGPU's workgroup storage and an
invocation holds at least DOUBLE_BUFFER_ACCUMULATORS accumulators, a step's loaded
registers go into the copy the step's arithmetic does not read, after that arithmetic,
and the copies swap: one barrier per step instead of two. (On an H100, 2026-12-07: 256 x
128 tiles with 16 x 8 per invocation gained 5% at 4096^2; 128 x 64 x 8 and 128 x 128 x 4
with 32 and 64 accumulators lost 6-7%.)

Folded sums (`spec.fold`, for float32 operands holding integers): beside each vec4 of
float32 accumulators an invocation keeps a vec4 of int32 ones; after every `fold`
multiply-adds (a whole number of K steps, tested on the uniform `k0`) the float32 sums,
exact integers while they stay below 2^24, are added into the int32 ones and cleared,
and C (int32) takes the int32 sums. A product of K past 2^24 / max|a b| is then exact up
to 2^31. The int32 sums double the accumulators: the runtime takes `large` or `small`
tiles for it.

Layout. Tile A holds A[row0 + m, k0 + k] at `tile_a[k * SA + m / 4][m % 4]`, tile B
holds B[k0 + k, col0 + n] at `tile_b[k * SB + n / 4][n % 4]`; rows are padded by one
vec4 (SA = m / 4 + 1) so the column-wise stores of a transposed load do not collide in
banks. Invocation (tx, ty) = (lid % threads_n, lid / threads_n) owns rows
`c * 4 * threads_m + 4 * ty + r` and columns `c * 4 * threads_n + 4 * tx + q` (c over
the vec4 chunks, r and q < 4): a quarter-warp's vec4 reads are consecutive.

Rule: every `workgroupBarrier` is reached in uniform control flow: a workgroup past the
last tile is idle as a whole (a condition on the workgroup index and uniforms), and
per-invocation edge checks sit in `if`s that close before each barrier.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from kernelc.abi.contract import MAX_WORKGROUP_BYTES, REDUCE_SIZE, Contract, MatmulLaunch
from kernelc.abi.matmul import GROUP_M
from kernelc.emit.base import Scope
from kernelc.emit.matmul import A, B, C, MatmulShell, MatmulSpec
from kernelc.emit.text import Writer
from kernelc.emit_wgsl.emitter import WgslEmitter
from kernelc.emit_wgsl.reduction import BUILTINS
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import float32, int32

LANES = "xyzw"
DOUBLE_BUFFER_ACCUMULATORS = 128  # fewer per invocation: one copy of the tiles


class WgslMatmulEmitter(MatmulShell, WgslEmitter):
    def __init__(self, spec: MatmulSpec, kernel: ir.Kernel):
        """`kernel`: `matmul_kernel(spec)` linked with the shader library."""
        if spec.tiles is None:
            raise ValueError("a WGSL matmul needs tiles")
        super().__init__(kernel)
        self.setup_matmul(spec)
        self.tiles = spec.tiles

    # -- module scope

    def declare_globals(self) -> None:
        super().declare_globals()
        self.tile_a = self.globals.fresh("kc_tile_a", compiler=True)
        self.tile_b = self.globals.fresh("kc_tile_b", compiler=True)
        self.store_c = self.globals.fresh("kc_store_c", compiler=True)

    @property
    def row_a(self) -> int:
        """vec4s per k row of tile A (padded by one)."""
        return self.tiles.m // 4 + 1

    @property
    def row_b(self) -> int:
        return self.tiles.n // 4 + 1

    @property
    def copies(self) -> int:
        """Copies of the tiles in workgroup memory: 2 (double buffering) where they fit
        and the invocations' blocks are large."""
        t = self.tiles
        vec4s = (self.row_a + self.row_b) * t.k
        fits = 2 * 16 * vec4s <= MAX_WORKGROUP_BYTES
        return 2 if fits and t.thread_m * t.thread_n >= DOUBLE_BUFFER_ACCUMULATORS else 1

    def header(self) -> str:
        t, c = self.tiles, self.copies
        tiles = [
            f"var<workgroup> {self.tile_a}: array<vec4<f32>, {c * self.row_a * t.k}>;",
            f"var<workgroup> {self.tile_b}: array<vec4<f32>, {c * self.row_b * t.k}>;",
        ]
        return f"{super().header()}\n" + "\n".join(tiles) + "\n"

    def int_decl(self, name: str, value: str, mutable: bool = False) -> None:
        self.out.line(f"{'var' if mutable else 'let'} {name}: i32 = {value};")

    def store_function(self) -> str:
        """`kc_store_c(row_pos, col, v)`: C's row at `row_pos` takes v's four lanes at
        columns col .. col + 3, those below N."""
        self.out = Writer()
        self.scope = Scope(self.globals.child())
        w, nd = self.out, self.spec.ndim
        pos, col, v = self.temp("kc_row_pos"), self.temp("kc_col"), self.temp("kc_v")
        scalar = "i32" if self.spec.fold else "f32"
        w.line(f"fn {self.store_c}({pos}: i32, {col}: i32, {v}: vec4<{scalar}>) {{")
        with w.indented():
            q = self.temp("kc_q")
            w.line(f"for (var {q} = 0i; {q} < 4i; {q} = {q} + 1i) {{")
            with w.indented():
                c = self.int_local("kc_c", f"{col} + {q}")
                w.line(f"if ({c} < {self.shape(nd - 1)}) {{")
                with w.indented():
                    p = self.int_local("kc_p", f"{pos} + {c} * {self.stride(C, nd - 1)}")
                    x = self.temp("kc_x")
                    w.line(f"let {x}: {scalar} = {v}[{q}];")
                    value = ir.Local(x, int32 if self.spec.fold else float32)
                    self.stmt(ir.BufferStore(C, self.value(p), value))
                w.line("}")
            w.line("}")
        w.line("}")
        return w.text()

    # -- the entry point

    def main(self) -> str:
        store = self.store_function()
        self.main_scope()
        w, t = self.out, self.tiles
        w.line(f"@compute @workgroup_size({t.invocations})")
        w.line("fn main(")
        with w.indented():
            for b in BUILTINS:
                w.line(b + ",")
        w.line(") {")
        with w.indented():
            self.body()
        w.line("}")
        return store + "\n" + w.text()

    def body(self) -> None:
        w, t, nd = self.out, self.tiles, self.spec.ndim
        self.m, self.n, self.k = self.shape(nd - 2), self.shape(nd - 1), self.u(REDUCE_SIZE)
        flat = self.int_local("kc_w", "i32(wg.y * nwg.x + wg.x)")
        tiles_m = self.int_local("kc_tiles_m", f"({self.m} + {t.m - 1}i) / {t.m}i")
        tiles_n = self.int_local("kc_tiles_n", f"({self.n} + {t.n - 1}i) / {t.n}i")
        per_batch = self.int_local("kc_per_batch", f"{tiles_m} * {tiles_n}")
        batches = " * ".join(self.shape(d) for d in range(self.spec.batch_ndim)) or "1i"
        batch = self.int_local("kc_batch", f"{flat} / {per_batch}")
        w.line(f"if ({batch} < {batches}) {{")  # uniform: whole workgroups idle past the tiles
        with w.indented():
            row0, col0 = self.tile_origin(f"{flat} - {batch} * {per_batch}", tiles_m, tiles_n)
            bases = self.batch_bases(batch, (A, B, C))
            self.tiled_product(bases, row0, col0)
        w.line("}")

    def tile_origin(self, t: str, tiles_m: str, tiles_n: str) -> tuple[str, str]:
        """First row and column of this workgroup's tile: tile `t` of its batch entry in
        groups of GROUP_M tile rows, walked down each column of a group first."""
        g = GROUP_M
        t = self.int_local("kc_t", t)
        group = self.int_local("kc_group", f"{t} / ({g}i * {tiles_n})")
        first = self.int_local("kc_first", f"{group} * {g}i")
        rows = self.int_local("kc_rows", f"min({tiles_m} - {first}, {g}i)")
        within = self.int_local("kc_within", f"{t} - {group} * {g}i * {tiles_n}")
        row0 = self.int_local("kc_row0", f"({first} + {within} % {rows}) * {self.tiles.m}i")
        col0 = self.int_local("kc_col0", f"({within} / {rows}) * {self.tiles.n}i")
        return row0, col0

    def tiled_product(self, bases: dict[str, str], row0: str, col0: str) -> None:
        w, t, nd = self.out, self.tiles, self.spec.ndim
        tx = self.int_local("kc_tx", f"i32(lid.x) % {t.threads_n}i")
        ty = self.int_local("kc_ty", f"i32(lid.x) / {t.threads_n}i")
        step_a = self.int_local("kc_step_a", f"{t.k}i * {self.stride(A, nd - 1)}")
        step_b = self.int_local("kc_step_b", f"{t.k}i * {self.stride(B, nd - 2)}")
        loads_a = self.loaders(A, bases[A], row0, not self.spec.trans_a)
        loads_b = self.loaders(B, bases[B], col0, self.spec.trans_b)
        acc = self.accumulators("kc_acc", "f32")
        sums = self.accumulators("kc_sum", "i32") if self.spec.fold else []
        k0 = self.temp("kc_k0")
        loads = loads_a + loads_b
        steps = [(ld, step_a) for ld in loads_a] + [(ld, step_b) for ld in loads_b]
        self.load_step(loads, "0i")
        if self.copies == 2:
            self.double_buffered(loads, steps, acc, sums, tx, ty, k0)
        else:
            w.line(f"for (var {k0} = 0i; {k0} < {self.k}; {k0} = {k0} + {t.k}i) {{")
            with w.indented():
                self.store_tiles(loads, "")
                w.line("workgroupBarrier();")
                self.next_step(steps, k0)
                self.multiply(acc, tx, ty, "")
                self.fold_when_due(acc, sums, k0)
                w.line("workgroupBarrier();")
            w.line("}")
        if sums:
            self.fold(acc, sums)
        self.store(sums or acc, bases[C], row0, col0, tx, ty)

    def accumulators(self, base: str, scalar: str) -> list[list[str]]:
        """`thread_m` rows of `thread_n / 4` vec4 accumulators, declared zero."""
        t = self.tiles
        names = [
            [self.temp(f"{base}{r}_{c}") for c in range(t.thread_n // 4)] for r in range(t.thread_m)
        ]
        for row in names:
            for name in row:
                self.out.line(f"var {name}: vec4<{scalar}>;")
        return names

    def fold_when_due(self, acc, sums, k0: str) -> None:
        """Fold after the step that ends a period of `fold` multiply-adds (`k0` is
        uniform, so the branch is too)."""
        if not sums:
            return
        self.out.line(f"if (({k0} + {self.tiles.k}i) % {self.spec.fold}i == 0i) {{")
        with self.out.indented():
            self.fold(acc, sums)
        self.out.line("}")

    def fold(self, acc, sums) -> None:
        """sums += acc, acc = 0: the float32 sums are integers below 2^24, so the
        conversion is exact."""
        for acc_row, sum_row in zip(acc, sums, strict=True):
            for a, total in zip(acc_row, sum_row, strict=True):
                self.out.line(f"{total} = {total} + vec4<i32>({a});")
                self.out.line(f"{a} = vec4<f32>();")

    def double_buffered(self, loads, steps, acc, sums, tx: str, ty: str, k0: str) -> None:
        """The K loop over two copies of the tiles: `kc_cur` and `kc_cur_b` are the offsets
        of the copy this step reads; the next step's elements go into the other."""
        w, t = self.out, self.tiles
        cur_a = self.int_local("kc_cur", "0i", mutable=True)
        cur_b = self.int_local("kc_cur_b", "0i", mutable=True)
        self.store_tiles(loads, "")
        w.line("workgroupBarrier();")
        w.line(f"for (var {k0} = 0i; {k0} < {self.k}; {k0} = {k0} + {t.k}i) {{")
        with w.indented():
            self.next_step(steps, k0)
            self.multiply(acc, tx, ty, f"{cur_a} + ", f"{cur_b} + ")
            self.fold_when_due(acc, sums, k0)
            w.line(f"{cur_a} = {self.row_a * t.k}i - {cur_a};")
            w.line(f"{cur_b} = {self.row_b * t.k}i - {cur_b};")
            self.store_tiles(loads, f"{cur_a} + ", f"{cur_b} + ")
            w.line("workgroupBarrier();")
        w.line("}")

    def store_tiles(self, loads, at_a: str, at_b: str = "") -> None:
        """The registers into the tiles, at offsets `at_a` / `at_b` (WGSL text + or "")."""
        for ld in loads:
            tile, at = (self.tile_a, at_a) if ld.param == A else (self.tile_b, at_b)
            self.out.line(f"{tile}[{at}{ld.slot}][{ld.lane}] = {ld.reg};")

    def next_step(self, steps, k0: str) -> None:
        """Positions one step on, and the registers loaded from there."""
        for ld, step in steps:
            self.out.line(f"{ld.pos} = {ld.pos} + {step};")
        self.load_step([ld for ld, _ in steps], f"{k0} + {self.tiles.k}i")

    def loaders(self, param: str, base: str, origin: str, k_fastest: bool) -> list[_Load]:
        """The elements of `param`'s tile this invocation loads each step, consecutive
        invocations walking k (`k_fastest`) or the tile's rows (A) / columns (B): the axis
        that is contiguous in memory, so a warp's loads coalesce."""
        t = self.tiles
        outer = t.m if param == A else t.n  # the tile's extent along M (A) or N (B)
        fast = t.k if k_fastest else outer
        loads = []
        for j in range(outer * t.k // t.invocations):
            e = f"i32(lid.x) + {j * t.invocations}i"
            first = self.int_local(f"kc_{param.lower()}{j}_fast", f"({e}) % {fast}i")
            second = self.int_local(f"kc_{param.lower()}{j}_slow", f"({e}) / {fast}i")
            kk, mm = (first, second) if k_fastest else (second, first)
            loads.append(self.loader(param, base, origin, kk, mm))
        return loads

    def loader(self, param: str, base: str, origin: str, kk: str, mm: str) -> _Load:
        """Registers and positions of one loaded element: k index `kk`, row (A) or column
        (B) `mm` within the tile."""
        nd, lower = self.spec.ndim, param.lower()
        extent = self.shape(nd - 2) if param == A else self.shape(nd - 1)
        along, k_axis = (nd - 2, nd - 1) if param == A else (nd - 1, nd - 2)
        ok = self.temp(f"kc_ok_{lower}")
        self.out.line(f"let {ok}: bool = {origin} + {mm} < {extent};")
        pos = self.int_local(
            f"kc_pos_{lower}",
            f"{base} + ({origin} + {mm}) * "
            f"{self.stride(param, along)} + {kk} * {self.stride(param, k_axis)}",
            mutable=True,
        )
        row = self.row_a if param == A else self.row_b
        slot = self.int_local(f"kc_slot_{lower}", f"{kk} * {row}i + {mm} / 4i")
        lane = self.int_local(f"kc_lane_{lower}", f"{mm} % 4i")
        reg = self.temp(f"kc_reg_{lower}")
        self.out.line(f"var {reg}: f32;")
        return _Load(param, ok, kk, pos, slot, lane, reg)

    def load_step(self, loads: list, k0: str) -> None:
        """Each register takes its element of the step starting at `k0` (0 outside)."""
        w = self.out
        left = self.int_local("kc_k_left", f"{self.k} - ({k0})")
        for ld in loads:
            w.line(f"{ld.reg} = 0.0f;")
            w.line(f"if ({ld.ok} && {ld.kk} < {left}) {{")
            w.line(f"    {ld.reg} = {self.element(ld.param, ld.pos)};")
            w.line("}")

    def multiply(self, acc: list[list[str]], tx: str, ty: str, at_a: str, at_b: str = "") -> None:
        """acc += tile_a^T tile_b over the step's k, fully unrolled, from the tiles' copy
        at offsets `at_a` / `at_b` (WGSL text + or "")."""
        w, t = self.out, self.tiles
        for kk in range(t.k):
            a = [self.temp(f"kc_a{kk}_{c}") for c in range(t.thread_m // 4)]
            b = [self.temp(f"kc_b{kk}_{c}") for c in range(t.thread_n // 4)]
            for c, name in enumerate(a):
                w.line(
                    f"let {name} = {self.tile_a}[{at_a}{kk * self.row_a + c * t.threads_m}i + {ty}];"
                )
            for c, name in enumerate(b):
                w.line(
                    f"let {name} = {self.tile_b}[{at_b}{kk * self.row_b + c * t.threads_n}i + {tx}];"
                )
            for r, row in enumerate(acc):
                lane = f"{a[r // 4]}.{LANES[r % 4]}"
                for c, name in enumerate(row):
                    w.line(f"{name} = fma(vec4<f32>({lane}), {b[c]}, {name});")

    def store(
        self, acc: list[list[str]], base: str, row0: str, col0: str, tx: str, ty: str
    ) -> None:
        w, t, nd = self.out, self.tiles, self.spec.ndim
        for r, row in enumerate(acc):
            chunk, within = divmod(r, 4)
            m = self.int_local("kc_m", f"{row0} + {chunk * 4 * t.threads_m + within}i + 4i * {ty}")
            w.line(f"if ({m} < {self.m}) {{")
            with w.indented():
                pos = self.int_local("kc_row_pos", f"{base} + {m} * {self.stride(C, nd - 2)}")
                for c, name in enumerate(row):
                    col = f"{col0} + {c * 4 * t.threads_n}i + 4i * {tx}"
                    w.line(f"{self.store_c}({pos}, {col}, {name});")
            w.line("}")

    # -- ABI

    def abi(self) -> Contract:
        t = self.tiles
        return replace(
            super().abi(),
            kind="matmul",
            batch_ndim=self.spec.batch_ndim,
            trans_a=self.spec.trans_a,
            trans_b=self.spec.trans_b,
            launch=MatmulLaunch(workgroup_size=(t.invocations, 1, 1), tile=t, group_m=GROUP_M),
        )


@dataclass(frozen=True, slots=True)
class _Load:
    """One element an invocation loads per step: `param`'s element at local `pos` into
    register `reg` when `ok` and its k index `kk` is in range; then into `tile[slot][lane]`."""

    param: str
    ok: str
    kk: str
    pos: str
    slot: str
    lane: str
    reg: str
