"""Real Chainer, not `tests/chainer`: pytest puts `tests/` on `sys.path` for
`tests/conftest.py`, and there `tests/chainer` (the Chainer kernel tests) would shadow the
`chainer` package. Also: the cupy shim is installed before Chainer is imported."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[2]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != TESTS]
_wrong = sys.modules.get("chainer")
if _wrong is not None and TESTS in Path(getattr(_wrong, "__file__", "/") or "/").parents:
    for _name in [n for n in sys.modules if n == "chainer" or n.startswith("chainer.")]:
        del sys.modules[_name]

from wgpy_runtime import cupy_shim

cupy_shim.install()
