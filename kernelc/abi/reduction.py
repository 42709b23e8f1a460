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
    ReductionPlan,
    ReductionStage,
    ReductionStages,
    SplitRule,
)
from kernelc.abi.launch import spill

TREE_SIZE = WORKGROUP_SIZE  # invocations of a reduction workgroup = shared-memory tree size
# WGSL split rule: spread one output over several workgroups only while each keeps at least
# ELEMENTS_PER_GROUP elements (16 per invocation) and the launch has fewer than
# TARGET_WORKGROUPS workgroups in all; at most MAX_GROUPS (the merge stage's tree size), so
# stage 2 reads one partial per invocation.
SPLIT_RULE = SplitRule(
    elements_per_group=16 * TREE_SIZE, target_workgroups=1024, max_groups=TREE_SIZE
)
FAN_IN = 32  # GLSL: reduced elements (pass 0) or partials (later passes) per fragment

# WGSL entry points: one stage when groups == 1, else a split stage and a merge stage.
ENTRY_SINGLE, ENTRY_PARTIAL, ENTRY_MERGE = "main", "main_partial", "main_merge"
STAGES = ReductionStages(
    single=(ReductionStage(entry_point=ENTRY_SINGLE, workgroups="n"),),
    split=(
        ReductionStage(entry_point=ENTRY_PARTIAL, workgroups="n*groups"),
        ReductionStage(entry_point=ENTRY_MERGE, workgroups="n"),
    ),
)
WGSL_PLAN = ReductionPlan(workgroup_size=(TREE_SIZE, 1, 1), split_rule=SPLIT_RULE, stages=STAGES)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def wgsl_groups(rule: SplitRule, n: int, red_n: int) -> int:
    """Workgroups per output: min(max_groups, ceil(red_n / elements_per_group),
    ceil(target_workgroups / n)), at least 1."""
    if n <= 0:
        return 1
    groups = min(
        rule.max_groups,
        _ceil_div(red_n, rule.elements_per_group),
        _ceil_div(rule.target_workgroups, n),
    )
    return max(1, groups)


@dataclass(frozen=True, slots=True)
class Stage:
    """One WGSL dispatch: the entry point and its workgroup counts (x, y, z)."""

    entry_point: str
    workgroups: int
    dispatch: tuple[int, int, int]


def wgsl_stages(
    launch: ReductionPlan, n: int, red_n: int, groups: int | None = None
) -> tuple[int, list[Stage]]:
    """(groups, the dispatches in order) for `n` outputs of `red_n` reduced elements each.
    `groups` overrides the rule (any value >= 1 gives the same result up to the order of
    combination)."""
    if groups is None:
        groups = wgsl_groups(launch.split_rule, n, red_n)
    if groups < 1:
        raise ValueError(f"groups must be at least 1, not {groups}")
    stages = []
    for s in launch.stages.split if groups > 1 else launch.stages.single:
        count = n * groups if s.workgroups == "n*groups" else n
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
