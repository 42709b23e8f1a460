"""Chainer 7.8.1 training on wgpy_runtime, run where Chainer can run: `.venv-chainer`
(numpy<2; built by `bash tools/chainer_env.sh`, which .ci/run calls).

Rule: the main suite (numpy 2) only launches `tests/chainer_train/inner` in that venv and
reports its output; without the venv this test skips and says how to build it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("WGPY_CHAINER_VENV", ROOT / ".venv-chainer"))
TIMEOUT_S = 900  # the inner suite takes about a minute on 2 cores


def test_chainer_trains_on_wgpy_runtime_in_its_venv():
    python = VENV / "bin" / "python"
    if not python.exists():
        pytest.skip(f"no Chainer venv at {VENV} (build it with: bash tools/chainer_env.sh)")
    env = dict(os.environ)
    env.setdefault("XDG_RUNTIME_DIR", "/tmp")
    cmd = [
        str(python),
        "-m",
        "pytest",
        "tests/chainer_train/inner",
        "-q",
        "-rfE",
        "-p",
        "no:cacheprovider",
        "-W",
        "ignore::DeprecationWarning",
    ]
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    out = proc.stdout + proc.stderr
    if proc.returncode == 5 or "no tests ran" in proc.stdout:
        pytest.fail(
            f"the venv at {VENV} collected no Chainer tests (chainer or numpy<2 "
            f"missing there?)\n{out[-3000:]}"
        )
    assert proc.returncode == 0, out[-8000:]
