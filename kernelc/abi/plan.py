"""The WGSL dispatches of any launch rule: what an executor runs for a contract and a
dispatch's values (js_bridge/abi.js's `wgslSteps` is the same function).

Rule: composed from the launch rules of `launch`, `reduction` and `matmul`; it reads
the contract and the values only.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernelc.abi.contract import REDUCE_GROUPS, REDUCE_SIZE, SIZE, Contract
from kernelc.abi.launch import wgsl_dispatch
from kernelc.abi.matmul import matmul_dims, wgsl_grid
from kernelc.abi.reduction import wgsl_stages


@dataclass(frozen=True, slots=True)
class WgslSteps:
    """The dispatches in order as (entry point, workgroup counts), the scratch elements
    they need, and a reduction's workgroups per output (None for other launches: the
    executor sets it as the `reduce_groups` value)."""

    stages: list[tuple[str, tuple[int, int, int]]]
    scratch: int
    groups: int | None


def wgsl_steps(abi: Contract, values: dict) -> WgslSteps:
    """The dispatches of `abi`'s launch rule for `values` (their `size` outputs; a
    reduction's `reduce_groups`, when given, fixes the split)."""
    launch, n = abi.launch, values[SIZE]
    if launch.kind == "compute":
        size = launch.workgroup_size
        if tuple(size[1:]) != (1, 1):
            raise ValueError(f"unsupported workgroup size {size}")
        grid = wgsl_dispatch(n, size[0], launch.max_workgroups_per_dimension)
        return WgslSteps([(abi.entry_point or "main", grid)], 0, None)
    if launch.kind == "matmul":  # one workgroup per tile of C (docs/abi.md)
        batch, m, cols, _ = matmul_dims(abi, values)
        return WgslSteps([(abi.entry_point or "main", wgsl_grid(launch, batch, m, cols))], 0, None)
    if launch.kind != "reduction":
        raise ValueError(f"unknown launch kind {launch.kind!r}")
    groups, stages = wgsl_stages(launch, n, values[REDUCE_SIZE], values.get(REDUCE_GROUPS))
    return WgslSteps([(s.entry_point, s.dispatch) for s in stages], n * groups, groups)
