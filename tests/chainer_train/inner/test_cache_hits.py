"""Chainer's own kernels find their programs in the precompiled cache (kernels_chainer/)
when the MLP and the CNN train: ≥ 95% of their launches on both backends, counted by
tools/chainer_cache_hits.py (the tool that records the specialisations the cache is
built with).

Rule: runs inside `.venv-chainer`; two iterations at batch 4 from fresh programs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools"))
import chainer_cache_hits

from wgpy_runtime import device as devices

TARGET = 0.95


@pytest.mark.parametrize("backend", devices.BACKENDS)
def test_training_launches_hit_the_precompiled_cache(backend):
    import chainer

    chainer.config.use_cudnn = "never"
    r = chainer_cache_hits.measure(backend, ["mlp", "cnn"], batch=4, iterations=2)
    print(chainer_cache_hits.table([r]))
    assert r["chainer_launches"] >= 80  # relu, dropout, softmax, im2col, bn, pooling, adam...
    assert r["hit_rate"] >= TARGET, f"{backend}: missed {r['missed']}"
