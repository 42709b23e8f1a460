"""Unmodified Chainer 7.8.1 trains an MLP and a CNN on wgpy_runtime (both backends, both
optimizers) and its losses follow CPU Chainer's within the stated tolerance.

Rule: runs inside `.venv-chainer` (numpy<2); the models, data and comparison are
`tools/train_chainer.py`'s, so what the docs report is what is tested.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools"))
import train_chainer

from wgpy_runtime import device as devices

BACKENDS = tuple(b for b in devices.BACKENDS if os.environ.get("WGPY_BACKEND", b) == b)
ITERATIONS = 50
# The Chainer kernels (cuda.elementwise / cuda.reduce) each model must have launched.
CHAINER_KERNELS = {
    "mlp": {"relu_bwd", "dropout_fwd", "crossent_fwd", "softmax_crossent_bwd"},
    "cnn": {
        "im2col",
        "col2im",
        "bn_fwd",
        "bn_bwd",
        "max_pool_2d_fwd",
        "max_pool_2d_bwd",
        "avg_pool_fwd",
        "avg_pool_bwd",
        "update_mean_var",
        "relu_bwd",
        "dropout_fwd",
        "crossent_fwd",
        "softmax_crossent_bwd",
    },
}
OPTIMIZER_KERNELS = {"momentum_sgd": "momentum_sgd", "adam": "adam"}


@pytest.fixture(autouse=True)
def fresh_programs():
    """Each run translates (or finds precompiled) every program it needs afresh, so its
    kernel list is complete."""
    from wgpy_runtime import clear_program_cache

    clear_program_cache()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "model,optimizer",
    [("mlp", "momentum_sgd"), ("mlp", "adam"), ("cnn", "momentum_sgd"), ("cnn", "adam")],
)
def test_training_matches_cpu_chainer(model, optimizer, backend):
    r = train_chainer.run(model, optimizer, backend, iterations=ITERATIONS)
    print(train_chainer.report(r))
    assert r["within_tolerance"], train_chainer.report(r)
    assert r["gpu_loss"][-1] < 0.5 * r["gpu_loss"][0]  # it learns
    assert not r["interpreted"]  # every kernel of these models runs on the device
    expected = CHAINER_KERNELS[model] | {OPTIMIZER_KERNELS[optimizer]}
    assert expected <= set(r["kernels"]), sorted(expected - set(r["kernels"]))
