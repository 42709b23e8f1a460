"""The launch contract as data: what a translated program tells whoever launches it.

Rule: every record is a frozen dataclass of JSON scalars, tuples and other records, and
has one JSON form (`to_json` / `from_json`, the keys being the field names). A `Contract`
carries `ABI_VERSION` in its JSON and refuses any other version. Nothing here knows the
IR or a shader: the emitters fill these records (`kernelc.abi.layout`), executors read
them (`kernelc.abi.launch`, `reduction`, `matmul`, and js_bridge/abi.js from the JSON).
docs/abi.md describes every field.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any, ClassVar, NamedTuple

ABI_VERSION = 2
WORKGROUP_SIZE = 256
MAX_WORKGROUPS_PER_DIMENSION = 65535
MAX_INVOCATIONS = 256  # WebGPU's default maxComputeInvocationsPerWorkgroup
MAX_WORKGROUP_BYTES = 16384  # WebGPU's default maxComputeWorkgroupStorageSize


class AbiVersionError(ValueError):
    """A contract of another ABI version than the one this kernelc reads."""


# ---------------------------------------------------------------------------- value keys


class ValueKey(NamedTuple):
    """What a uniform member holds, and the key of a dispatch's values: `what` (a name of
    docs/abi.md's table), of parameter `param` (None: of the loop), along `axis`."""

    what: str
    param: str | None = None
    axis: int | None = None

    def to_json(self) -> dict:
        out: dict[str, Any] = {"what": self.what}
        if self.param is not None:
            out["param"] = self.param
        if self.axis is not None:
            out["axis"] = self.axis
        return out

    @classmethod
    def from_json(cls, data: dict) -> ValueKey:
        return cls(data["what"], data.get("param"), data.get("axis"))


SIZE = ValueKey("size")
BASE = ValueKey("base")
OUT_WIDTH = ValueKey("out_width")
REDUCE_SIZE = ValueKey("reduce_size")
REDUCE_GROUPS = ValueKey("reduce_groups")
PASS = ValueKey("pass")
PASS_ITEMS = ValueKey("pass_items")
PASS_CHUNKS = ValueKey("pass_chunks")


def loop_shape(axis: int) -> ValueKey:
    return ValueKey("shape", None, axis)


def reduce_shape(axis: int) -> ValueKey:
    return ValueKey("reduce_shape", None, axis)


def scalar_value(param: str, component: int | None = None) -> ValueKey:
    """A scalar's value; a complex scalar's part `component` (0 real, 1 imaginary) is
    keyed along axis `component`."""
    return ValueKey("value", param, component)


def array_offset(param: str) -> ValueKey:
    return ValueKey("offset", param)


def array_size(param: str) -> ValueKey:
    return ValueKey("size", param)


def array_shape(param: str, axis: int) -> ValueKey:
    return ValueKey("shape", param, axis)


def array_stride(param: str, axis: int) -> ValueKey:
    return ValueKey("stride", param, axis)


def array_key(param: str, what: str, axis: int = 0) -> ValueKey:
    """The key of an array fact ('offset', 'size', 'shape' or 'stride' along `axis`)."""
    return ValueKey(what, param, axis if what in ("shape", "stride") else None)


# ---------------------------------------------------------------------------- records

_OMIT = {"omit_if_none": True}


def optional(default: Any = None) -> Any:
    """A field left out of the JSON form while it is None."""
    return field(default=default, metadata=_OMIT)


class Record:
    """`to_json` / `from_json` for a dataclass; `NESTED` names the record type of fields
    holding records (or tuples of them)."""

    __slots__ = ()
    NESTED: ClassVar[dict[str, Any]] = {}

    def to_json(self) -> dict:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.metadata.get("omit_if_none"):
                continue
            out[f.name] = _to_json(value)
        return out

    @classmethod
    def from_json(cls, data: dict):
        return cls(**_field_values(cls, data))


def _field_values(cls, data: dict) -> dict:
    """The constructor arguments of record class `cls` from its JSON form."""
    unknown = sorted(set(data) - {f.name for f in fields(cls)})
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown keys {unknown}")
    return {k: _from_json(cls.NESTED.get(k), v) for k, v in data.items()}


def _to_json(value):
    if isinstance(value, (Record, ValueKey)):
        return value.to_json()
    if isinstance(value, tuple):
        return [_to_json(x) for x in value]
    return value


def _from_json(kind, value):
    if isinstance(value, list):
        return tuple(_from_json(kind, x) for x in value)
    if kind is not None and value is not None:
        return kind.from_json(value)
    return value


RECORD = dict(frozen=True, slots=True, kw_only=True)


@dataclass(**RECORD)
class Param(Record):
    """A kernel parameter in CuPy order: `role` 'in'/'out', `kind` 'array'/'raw'/'scalar',
    the declared `dtype` and the `storage_dtype` the program holds it in."""

    name: str
    role: str
    kind: str
    dtype: str
    storage_dtype: str
    ndim: int | None = optional()
    contiguous: bool | None = optional()
    reads_old: bool | None = optional()

    @property
    def is_output(self) -> bool:
        return self.role == "out"


@dataclass(**RECORD)
class UniformMember(Record):
    """One 4-byte member of the uniform block: what `key` names, of `type` i32/u32/f32 (or
    a 64-bit scalar's word: f64lo/f64hi/i64lo/i64hi), at byte `offset`. `default`: the
    value an executor may leave out of a dispatch's values."""

    name: str
    offset: int
    type: str
    key: ValueKey
    default: int | None = optional()

    NESTED: ClassVar[dict[str, Any]] = {"key": ValueKey}


@dataclass(**RECORD)
class PackedLayout(Record):
    """WGSL: `per_word` elements of `dtype` in each u32 word."""

    dtype: str
    per_word: int


@dataclass(**RECORD)
class Binding(Record):
    """A WGSL binding of group 0: the uniform block, a parameter's storage buffer, or a
    reduction's scratch buffer."""

    binding: int
    resource: str  # 'uniform' | 'storage' | 'scratch'
    size: int | None = optional()  # uniform: bytes
    param: str | None = optional()
    access: str | None = optional()  # 'read' | 'read_write'
    element: str | None = optional()  # 'f32' | 'i32' | 'u32' | 'vec2<u32>'
    packed: PackedLayout | None = optional()
    words_of: str | None = optional()  # a 64-bit dtype held as u32 word pairs
    elements: str | None = optional()  # scratch: 'n*groups'

    NESTED: ClassVar[dict[str, Any]] = {"packed": PackedLayout}


@dataclass(**RECORD)
class Texture(Record):
    """A GLSL sampler: `contents` 'array' (a parameter's buffer), 'previous' (an output's
    old contents), 'partials' (a reduction's previous pass) or 'stage' (render target
    `output` of packed-matmul stage `stage`)."""

    unit: int
    name: str
    param: str | None
    format: str
    contents: str
    stage: str | None = optional()
    output: int | None = optional()


@dataclass(**RECORD)
class RenderTarget(Record):
    location: int
    name: str
    param: str | None
    format: str


@dataclass(**RECORD)
class Draw(Record):
    """One fragment shader with what it samples and renders: an output group, a
    reduction's partial shader, or a packed-matmul stage (which has a `name`)."""

    code: str
    textures: tuple[Texture, ...]
    outputs: tuple[RenderTarget, ...]
    name: str | None = optional()

    NESTED: ClassVar[dict[str, Any]] = {"textures": Texture, "outputs": RenderTarget}


@dataclass(**RECORD)
class UniformBlock(Record):
    name: str
    binding: int


# ---------------------------------------------------------------------------- launch rules


@dataclass(**RECORD)
class MatmulTiles(Record):
    """A workgroup computes an `m` x `n` tile of C, `k` columns of A (rows of B) at a
    time through workgroup memory; each invocation holds a `thread_m` x `thread_n` block
    of accumulators. `(m / thread_m) * (n / thread_n)` invocations."""

    m: int
    n: int
    k: int
    thread_m: int
    thread_n: int

    @property
    def threads_m(self) -> int:
        return self.m // self.thread_m

    @property
    def threads_n(self) -> int:
        return self.n // self.thread_n

    @property
    def invocations(self) -> int:
        return self.threads_m * self.threads_n

    def check(self) -> MatmulTiles:
        """Raise ValueError unless the shell can print these tiles: 4-wide register
        blocks (vec4 reads of workgroup memory), whole tiles per thread grid, at most 256
        invocations, and tile loads that every invocation shares equally."""
        problems = []
        if any(x <= 0 for x in (self.m, self.n, self.k, self.thread_m, self.thread_n)):
            problems.append("sizes must be positive")
        elif self.thread_m % 4 or self.thread_n % 4:
            problems.append("thread_m and thread_n must be multiples of 4")
        elif self.m % self.thread_m or self.n % self.thread_n:
            problems.append("m and n must be multiples of thread_m and thread_n")
        elif self.invocations > MAX_INVOCATIONS:
            problems.append(f"{self.invocations} invocations (at most {MAX_INVOCATIONS})")
        elif (self.m * self.k) % self.invocations or (self.n * self.k) % self.invocations:
            problems.append("m * k and n * k must be multiples of the invocations")
        if problems:
            raise ValueError(f"bad matmul tiles {self}: {problems[0]}")
        return self


@dataclass(**RECORD)
class SplitRule(Record):
    """WGSL reductions: spread one output over several workgroups only while each keeps at
    least `elements_per_group` elements and the launch has fewer than `target_workgroups`
    workgroups; at most `max_groups` (docs/abi.md, "the rule")."""

    elements_per_group: int
    target_workgroups: int
    max_groups: int


@dataclass(**RECORD)
class ReductionStage(Record):
    """One WGSL dispatch of a reduction: its entry point and workgroup count, 'n' (one per
    output) or 'n*groups'."""

    entry_point: str
    workgroups: str


@dataclass(**RECORD)
class ReductionStages(Record):
    single: tuple[ReductionStage, ...]
    split: tuple[ReductionStage, ...]

    NESTED: ClassVar[dict[str, Any]] = {"single": ReductionStage, "split": ReductionStage}


@dataclass(**RECORD)
class ColumnRule(Record):
    """WGSL reductions read by columns: one invocation per output, so neighbouring
    invocations read neighbouring outputs' elements. Taken when there are at least
    `min_outputs` outputs and the deciding input's `output_stride` (its innermost output
    axis) is smaller in magnitude than its `reduce_stride` (innermost reduced axis), or
    the reduction is at most `short_reduce` long, and no invocation folds more than
    `max_chunk` elements; `split_rule` spreads an output's elements over several
    workgroups as the row rule does (its `elements_per_group` counting the elements of
    one invocation), `stages` are the column entry points ('blocks' = ceil(n / workgroup
    size) workgroups)."""

    output_stride: ValueKey
    reduce_stride: ValueKey
    min_outputs: int
    short_reduce: int
    max_chunk: int
    split_rule: SplitRule
    stages: ReductionStages

    NESTED: ClassVar[dict[str, Any]] = {
        "output_stride": ValueKey,
        "reduce_stride": ValueKey,
        "split_rule": SplitRule,
        "stages": ReductionStages,
    }


@dataclass(**RECORD)
class LaunchRule(Record):
    """How a program is started; `KIND` is its JSON `kind`."""

    KIND: ClassVar[str]

    @property
    def kind(self) -> str:
        return self.KIND

    def to_json(self) -> dict:
        return {"kind": self.KIND, **Record.to_json(self)}  # (slotted: no bare super())

    @classmethod
    def from_json(cls, data: dict):
        return cls(**_field_values(cls, {k: v for k, v in data.items() if k != "kind"}))


@dataclass(**RECORD)
class ComputeLaunch(LaunchRule):
    """WGSL elementwise: `ceil(n / workgroup_size[0])` workgroups, spilled into y past
    `max_workgroups_per_dimension`."""

    KIND: ClassVar[str] = "compute"
    workgroup_size: tuple[int, int, int] = (WORKGROUP_SIZE, 1, 1)
    max_workgroups_per_dimension: int = MAX_WORKGROUPS_PER_DIMENSION


@dataclass(**RECORD)
class ReductionPlan(ComputeLaunch):
    """WGSL reductions: `stages.single` when the split rule gives one group per output,
    else `stages.split`, in order; by columns instead when `columns` says so."""

    KIND: ClassVar[str] = "reduction"
    split_rule: SplitRule
    stages: ReductionStages
    columns: ColumnRule | None = optional()  # None: rows only (no array input decides)

    NESTED: ClassVar[dict[str, Any]] = {
        "split_rule": SplitRule,
        "stages": ReductionStages,
        "columns": ColumnRule,
    }


@dataclass(**RECORD)
class MatmulLaunch(ComputeLaunch):
    """WGSL matmul: one workgroup per `tile` of C, tile rows walked in groups of `group_m`."""

    KIND: ClassVar[str] = "matmul"
    tile: MatmulTiles
    group_m: int

    NESTED: ClassVar[dict[str, Any]] = {"tile": MatmulTiles}


@dataclass(**RECORD)
class DrawLaunch(LaunchRule):
    """GLSL: fragment shaders drawn with `vertex_shader` over render targets at most
    `max_width` texels wide."""

    vertex_shader: str
    max_width: int


@dataclass(**RECORD)
class FragmentLaunch(DrawLaunch):
    """GLSL elementwise: one draw, or one per output group. `lanes` (complex outputs):
    fragments per element, the loop shape having a last axis of that extent (docs/abi.md)."""

    KIND: ClassVar[str] = "fragment"
    output_groups: tuple[Draw, ...] | None = optional()
    lanes: int | None = optional()

    NESTED: ClassVar[dict[str, Any]] = {"output_groups": Draw}


@dataclass(**RECORD)
class PassesLaunch(DrawLaunch):
    """GLSL reductions: passes of fan-in `fan_in`, all but the last drawing
    `partial_shader` into `partial_format` partials. `lanes` (complex outputs): fragments
    per output in every pass, as `FragmentLaunch`'s (docs/abi.md)."""

    KIND: ClassVar[str] = "reduction"
    fan_in: int
    partial_format: str
    partial_shader: Draw | None = optional()
    lanes: int | None = optional()

    NESTED: ClassVar[dict[str, Any]] = {"partial_shader": Draw}


@dataclass(**RECORD)
class PackedMatmulLaunch(DrawLaunch):
    """GLSL matmul: the `stages` draw packed operands and the product into `texel_format`
    textures (`k_per_texel` elements of K a texel, `block` rows x columns of C a fragment)
    before the program's own shader."""

    KIND: ClassVar[str] = "packed_matmul"
    texel_format: str
    k_per_texel: int
    block: tuple[int, int]
    stages: tuple[Draw, ...]

    NESTED: ClassVar[dict[str, Any]] = {"stages": Draw}


LAUNCHES: dict[tuple[str, str], type[LaunchRule]] = {
    ("wgsl", "compute"): ComputeLaunch,
    ("wgsl", "reduction"): ReductionPlan,
    ("wgsl", "matmul"): MatmulLaunch,
    ("glsl", "fragment"): FragmentLaunch,
    ("glsl", "reduction"): PassesLaunch,
    ("glsl", "packed_matmul"): PackedMatmulLaunch,
}


# ---------------------------------------------------------------------------- the contract


@dataclass(frozen=True, kw_only=True)
class Contract(Record):
    """Everything an executor knows of a program (docs/abi.md): its parameters, uniform
    block, launch rule, and the target's bindings (WGSL) or textures and render targets
    (GLSL)."""

    target: str
    kernel: str
    kind: str  # 'elementwise' | 'reduction' | 'matmul'
    ndim: int
    params: tuple[Param, ...]
    uniforms: tuple[UniformMember, ...]
    uniform_size: int
    launch: LaunchRule
    entry_point: str | None = optional()
    bindings: tuple[Binding, ...] | None = optional()
    textures: tuple[Texture, ...] | None = optional()
    outputs: tuple[RenderTarget, ...] | None = optional()
    uniform_block: UniformBlock | None = optional()
    reduce_ndim: int | None = optional()
    batch_ndim: int | None = optional()
    trans_a: bool | None = optional()
    trans_b: bool | None = optional()
    packed: bool | None = optional()

    NESTED: ClassVar[dict[str, Any]] = {
        "params": Param,
        "uniforms": UniformMember,
        "bindings": Binding,
        "textures": Texture,
        "outputs": RenderTarget,
        "uniform_block": UniformBlock,
    }

    def to_json(self) -> dict:
        return {"abi_version": ABI_VERSION, **Record.to_json(self)}

    @classmethod
    def from_json(cls, data: dict) -> Contract:
        version = data.get("abi_version")
        if version != ABI_VERSION:
            raise AbiVersionError(
                f"a program of ABI version {version}: this kernelc reads version "
                f"{ABI_VERSION} (translate the kernel again, or regenerate the cache)"
            )
        rest = {k: v for k, v in data.items() if k not in ("abi_version", "launch")}
        launch = data["launch"]
        rule = LAUNCHES.get((data.get("target"), launch.get("kind")))
        if rule is None:
            raise ValueError(f"unknown launch kind {launch.get('kind')!r} for {data.get('target')}")
        return cls(**_field_values(cls, rest), launch=rule.from_json(launch))

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"kernel {self.kernel!r} has no parameter {name!r}")

    @cached_property
    def members_by_key(self) -> dict[ValueKey, tuple[UniformMember, ...]]:
        """The uniform members holding each value (two for a 64-bit scalar's words)."""
        out: dict[ValueKey, tuple[UniformMember, ...]] = {}
        for m in self.uniforms:
            out[m.key] = (*out.get(m.key, ()), m)
        return out

    def has_value(self, key: ValueKey) -> bool:
        return key in self.members_by_key
