"""tools/profile_launches.py: both clocks name every program of a training iteration with
its commands and time; the GPU clock's figures are GPU time from timestamps; the first
iteration's one-off commands are not profiled.

Rule: runs inside `.venv-chainer`, each profile in its own subprocess (it sets the backend
and, for the GPU clock, how devices are made); a few iterations only.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[3] / "tools" / "profile_launches.py"


@pytest.mark.parametrize("clock", ["wait", "gpu"])
def test_each_program_is_timed(clock):
    argv = ["--model", "mlp", "--batch", "4", "--warmup", "1", "--iterations", "2"]
    run = subprocess.run(
        [sys.executable, str(TOOL), *argv, "--clock", clock],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    total = float(re.search(r"profiled: ([\d.]+) ms", run.stdout).group(1))
    rows = {
        cells[0]: [float(c) for c in cells[1:]]
        for line in run.stdout.splitlines()
        if line.startswith("| ") and not line.startswith(("| program", "| ---"))
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    assert {"matmul", "momentum_sgd"} <= set(rows)
    # the optimizer's state is made and zeroed before the profile: a fill an iteration
    # is left, the loss's gradient (`ones`) that `backward` starts from
    assert rows["wp_fill"][0] == 1
    # commands per iteration, then ms per iteration: every program took time, and the
    # programs' times add up to the profiled total
    assert all(r[0] > 0 and r[1] > 0 for r in rows.values())
    assert sum(r[1] for r in rows.values()) == pytest.approx(total, rel=0.01, abs=0.01)
    assert ("of GPU time" in run.stdout) is (clock == "gpu")
