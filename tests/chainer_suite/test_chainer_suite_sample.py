"""A deterministic sample of Chainer 7.8.1's own tests, run unmodified on both backends
through `tools/chainer_suite.py` (the full run is that tool; docs/chainer-suite.md).

Rule: every test file contributes its first SAMPLE tests in a hash order of their names
(the same on every run and backend), among those that do not depend on float64 (held in
32 bits: no float64 parameter, no gradient test, whose checks Chainer computes in
float64) — see `Sample` in tools/chainer_suite_plugin.py. Each must pass,
except where its failure's cause is one docs/chainer-suite.md explains and this project
cannot change (`_explained`). The
sample needs `.venv-chainer` (tools/chainer_env.sh) and Chainer's tests
(../shared/third_party/chainer-7.8.1-tests or $CHAINER_TESTS); without them it skips
and says why.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import chainer_suite
import chainer_suite_report as report

VENV = Path(os.environ.get("WGPY_CHAINER_VENV", ROOT / ".venv-chainer"))
SAMPLE = 1  # tests per file and backend
TIMEOUT_S = 60  # per test (the whole sample takes about two minutes per backend)


def _absent_names() -> set[str]:
    """The names docs/chainer-cupy-names.md lists as absent (also by design)."""
    table = (ROOT / "docs" / "chainer-cupy-names.md").read_text()
    return {
        line.split("`")[1]
        for line in table.splitlines()
        if "| **no** |" in line or "| no (by design" in line
    }


def _explained(record: dict, absent: set[str]) -> bool:
    """A failure whose cause is a CuPy name the names table lists as absent, complex
    numbers (routines docs/dtypes.md lists as missing for them), raw device addresses
    (which WebGPU/WebGL do not have; cuBLAS takes them), or a result that agrees with
    NumPy's to float32 rounding where the test demands NumPy's exact float32 sums."""
    cause = report.classify(record)
    if cause.startswith("complex numbers") or cause in (report.POINTERS, report.FLOAT32_CLOSE):
        return True
    if cause != "missing in the cupy shim":
        return False
    text = report.innermost(record["error"])
    return any(f"'{name.rsplit('.', 1)[-1]}'" in text for name in absent)


@pytest.mark.parametrize("backend", ["webgpu", "webgl"])
def test_chainer_suite_sample_passes(backend, tmp_path):
    if not (VENV / "bin" / "python").exists():
        pytest.skip(f"no Chainer venv at {VENV} (build it with: bash tools/chainer_env.sh)")
    tests = chainer_suite.DEFAULT_TESTS
    if not (tests / "setup.cfg").is_file():
        pytest.skip(f"Chainer's tests are not at {tests} (set CHAINER_TESTS)")
    cmd = [
        sys.executable,
        str(ROOT / "tools" / "chainer_suite.py"),
        "--backend",
        backend,
        "--sample",
        str(SAMPLE),
        "--one-process",
        "--timeout",
        str(TIMEOUT_S),
        "--python",
        str(VENV / "bin" / "python"),
        "--out",
        str(tmp_path),
    ]
    env = dict(os.environ, XDG_RUNTIME_DIR=os.environ.get("XDG_RUNTIME_DIR", "/tmp"))
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    status = json.loads((tmp_path / backend / "all.status.json").read_text())
    assert status["rc"] in (0, 1), status.get("tail", status)
    records = [
        json.loads(line) for line in (tmp_path / backend / "all.jsonl").read_text().splitlines()
    ]
    files = {r["nodeid"].split("::")[0] for r in records}
    assert len(files) >= 140, f"only {len(files)} test files sampled"  # 156 files, a few CPU-only
    absent = _absent_names()
    bad = [
        r
        for r in records
        if r["outcome"] not in ("passed", "skipped") and not _explained(r, absent)
    ]
    lines = [
        f"{report.short_name(r['nodeid'])}: {r['outcome']} ({report.classify(r)}): "
        f"{report.innermost(r['error']).splitlines()[0][:300] if r['error'] else ''}"
        for r in bad
    ]
    assert not bad, f"{len(bad)} of {len(records)} sampled tests failed:\n" + "\n".join(lines)
