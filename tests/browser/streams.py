"""What the browser tests that replay command streams share: the recorder
(tools/record_streams.py), the tolerances, and when a recorded Chainer stream is stale.

Rule: tolerances live here once, for replays on the executor page and through the
bridge alike.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tools") not in sys.path:
    sys.path.insert(0, str(ROOT / "tools"))
import record_streams

CHAINER_TOLERANCE = (1e-4, 1e-5)  # float32 training steps on another GPU implementation
# Headless Chromium runs both browser backends on SwiftShader, which computes some float
# operations only as precisely as WGSL and GLSL ES require, where lavapipe/llvmpipe (the
# native recordings) are close to exact: sin/cos within 2^-11 absolute, x / y within 2.5
# ULP (a reciprocal multiply). The corpus kernels made of them compare with these
# (rtol, atol) instead of their own tolerances, which are set against NumPy on the native
# devices. Measured on SwiftShader: math_trig 3.5e-4 and math_intrinsics 3.0e-4 absolute
# at most; casts (a / 3.0f + float(u), |a / 3| < 2^11) 1 ULP of the quotient, 1.2e-4.
SPEC_PRECISION = {
    "math_trig": (0.0, 2**-10),  # two sin/cos (or tan, atan2) terms per output
    "math_intrinsics": (0.0, 2**-10),
    "casts": (1e-6, 2.5 * 2**-13),  # 2.5 ULP of a quotient below 2^11
}
# What a Chainer step stream is recorded from: newer sources make it stale.
CHAINER_SOURCES = ("wgpy_runtime", "kernelc", "tools/record_streams.py", "tools/train_chainer.py")


def corpus_tolerances() -> dict[str, tuple[float, float]]:
    """(rtol, atol) by kernel name for replays on SwiftShader."""
    return {**record_streams.corpus_tolerances(), **SPEC_PRECISION}


def newest_source() -> float:
    newest = 0.0
    for name in CHAINER_SOURCES:
        path = ROOT / name
        files = path.rglob("*.py") if path.is_dir() else [path]
        newest = max([newest, *(f.stat().st_mtime for f in files)])
    return newest
