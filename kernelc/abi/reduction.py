"""The launch rules of reduction programs (docs/abi.md, "Reduction programs"): the WGSL
stages and how many workgroups share one output, and the GLSL passes with their partials.

Rule: the emitters take their constants and launch records from here and executors their
plans, so a shader and its launch cannot disagree. Plain arithmetic on sizes; nothing here
reads shader text.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernelc.abi.contract import (
    WORKGROUP_SIZE,
    ColumnRule,
    ReductionPlan,
    ReductionStage,
    ReductionStages,
    SplitRule,
    array_stride,
)
from kernelc.abi.launch import spill

TREE_SIZE = WORKGROUP_SIZE  # invocations of a reduction workgroup = shared-memory tree size
# WGSL split rule: spread one output over several workgroups only while each keeps at least
# ELEMENTS_PER_GROUP elements (16 per invocation) and the launch has fewer than
# TARGET_WORKGROUPS workgroups in all (enough to keep every core of a large GPU reading);
# at most MAX_GROUPS (the merge stage folds them 256 at a time).
SPLIT_RULE = SplitRule(
    elements_per_group=16 * TREE_SIZE, target_workgroups=4096, max_groups=8 * TREE_SIZE
)
# Columns: a workgroup reads TREE_SIZE neighbouring outputs; an output's elements are split
# into chunks of at least 32 per invocation until the launch has 2048 workgroups.
COLUMN_SPLIT_RULE = SplitRule(elements_per_group=32, target_workgroups=2048, max_groups=256)
MIN_COLUMN_OUTPUTS = 32  # fewer outputs than a warp: rows (a tree per output) read faster
SHORT_REDUCE = 16  # this long or shorter: a tree of 256 invocations per output would idle
# Longer chunks read by rows, so no invocation loops past the test machines' cap of 65,535
# iterations (docs/testing.md; a chunk costs 1 + 1 / UNROLL iterations an element).
MAX_COLUMN_CHUNK = 16_384
UNROLL = 4  # elements a fold loop iteration maps: independent loads in flight
FAN_IN = 32  # GLSL: reduced elements (pass 0) or partials (later passes) per fragment

# WGSL entry points: one stage when groups == 1, else a split stage and a merge stage.
ENTRY_SINGLE, ENTRY_PARTIAL, ENTRY_MERGE = "main", "main_partial", "main_merge"
ENTRY_COLUMNS, ENTRY_COLUMNS_PARTIAL, ENTRY_COLUMNS_MERGE = (
    "main_columns",
    "main_columns_partial",
    "main_columns_merge",
)
STAGES = ReductionStages(
    single=(ReductionStage(entry_point=ENTRY_SINGLE, workgroups="n"),),
    split=(
        ReductionStage(entry_point=ENTRY_PARTIAL, workgroups="n*groups"),
        ReductionStage(entry_point=ENTRY_MERGE, workgroups="n"),
    ),
)
COLUMN_STAGES = ReductionStages(
    single=(ReductionStage(entry_point=ENTRY_COLUMNS, workgroups="blocks"),),
    split=(
        ReductionStage(entry_point=ENTRY_COLUMNS_PARTIAL, workgroups="blocks*groups"),
        ReductionStage(entry_point=ENTRY_COLUMNS_MERGE, workgroups="blocks"),
    ),
)


def wgsl_plan(columns_by: str | None, reduce_ndim: int, ndim: int) -> ReductionPlan:
    """The launch rule of a reduction program; `columns_by`: the input array parameter
    whose strides choose columns (viewed over reduced axes, then output axes), None for
    rows only."""
    columns = None
    if columns_by is not None and ndim > 0 and reduce_ndim > 0:
        columns = ColumnRule(
            output_stride=array_stride(columns_by, reduce_ndim + ndim - 1),
            reduce_stride=array_stride(columns_by, reduce_ndim - 1),
            min_outputs=MIN_COLUMN_OUTPUTS,
            short_reduce=SHORT_REDUCE,
            max_chunk=MAX_COLUMN_CHUNK,
            split_rule=COLUMN_SPLIT_RULE,
            stages=COLUMN_STAGES,
        )
    return ReductionPlan(
        workgroup_size=(TREE_SIZE, 1, 1), split_rule=SPLIT_RULE, stages=STAGES, columns=columns
    )


WGSL_PLAN = wgsl_plan(None, 1, 0)  # rows only


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def wgsl_groups(rule: SplitRule, n: int, red_n: int) -> int:
    """Workgroups per output (per block of outputs, by columns): min(max_groups,
    ceil(red_n / elements_per_group), ceil(target_workgroups / n)), at least 1."""
    if n <= 0:
        return 1
    groups = min(
        rule.max_groups,
        _ceil_div(red_n, rule.elements_per_group),
        _ceil_div(rule.target_workgroups, n),
    )
    return max(1, groups)


def by_columns(launch: ReductionPlan, n: int, red_n: int, values: dict) -> bool:
    """Whether the launch reads by columns (`ColumnRule`)."""
    rule = launch.columns
    if rule is None or n < rule.min_outputs:
        return False
    groups = wgsl_groups(rule.split_rule, _ceil_div(n, TREE_SIZE), red_n)
    if _ceil_div(red_n, groups) > rule.max_chunk:
        return False
    if red_n <= rule.short_reduce:
        return True
    return abs(values[rule.output_stride]) < abs(values[rule.reduce_stride])


@dataclass(frozen=True, slots=True)
class Stage:
    """One WGSL dispatch: the entry point and its workgroup counts (x, y, z)."""

    entry_point: str
    workgroups: int
    dispatch: tuple[int, int, int]


def wgsl_stages(
    launch: ReductionPlan,
    n: int,
    red_n: int,
    groups: int | None = None,
    columns: bool = False,
) -> tuple[int, list[Stage]]:
    """(groups, the dispatches in order) for `n` outputs of `red_n` reduced elements each,
    by rows or by `columns`. `groups` overrides the rule (any value >= 1 gives the same
    result up to the order of combination)."""
    plan, blocks = launch.stages, _ceil_div(n, TREE_SIZE)
    if columns:
        if launch.columns is None:
            raise ValueError("this reduction cannot be read by columns")
        plan = launch.columns.stages
        if groups is None:
            groups = wgsl_groups(launch.columns.split_rule, blocks, red_n)
    elif groups is None:
        groups = wgsl_groups(launch.split_rule, n, red_n)
    if groups < 1:
        raise ValueError(f"groups must be at least 1, not {groups}")
    counts = {"n": n, "n*groups": n * groups, "blocks": blocks, "blocks*groups": blocks * groups}
    stages = []
    for s in plan.split if groups > 1 else plan.single:
        count = counts[s.workgroups]
        stages.append(
            Stage(s.entry_point, count, spill(count, launch.max_workgroups_per_dimension))
        )
    return groups, stages


@dataclass(frozen=True, slots=True)
class Pass:
    """One GLSL draw: `items` values per output are read (reduced elements in pass 0,
    partials of the previous pass later) and `chunks` values per output written, each
    combining up to fan-in consecutive items; the final pass (chunks == 1) writes outputs."""

    index: int
    items: int
    chunks: int

    @property
    def final(self) -> bool:
        return self.chunks == 1


def glsl_passes(red_n: int, fan_in: int = FAN_IN) -> list[Pass]:
    """The passes for `red_n` reduced elements per output: chunks = ceil(items / fan_in),
    the next pass's items = these chunks, until one chunk is left (at least one pass, so
    an empty reduction still writes post_map(identity))."""
    passes, items = [], red_n
    while True:
        chunks = max(1, _ceil_div(items, fan_in))
        passes.append(Pass(len(passes), items, chunks))
        if chunks == 1:
            return passes
        items = chunks
