"""tools/bench_chainer.py: one run gathers a leg per backend from its own subprocess, the
wgpy_runtime legs follow NumPy's losses, and a missing or failing backend is reported
beside the others' results.

Rule: runs inside `.venv-chainer`; a few iterations only (its figures are not checked).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tools"))

import bench_chainer


def test_one_run_gathers_every_backend(tmp_path, capsys):
    out = tmp_path / "bench.json"
    argv = [
        "--backends",
        "numpy,cupy,webgpu,webgl",
        "--models",
        "mlp",
        "--warmup",
        "1",
        "--iterations",
        "3",
        "--json",
        str(out),
    ]
    assert bench_chainer.main(argv) == 0
    results = {r["backend"]: r for r in json.loads(out.read_text())}
    assert list(results) == ["numpy", "cupy", "webgpu", "webgl"]
    assert "error" in results["cupy"]  # no CuPy in this venv: said, not fatal
    for name in ("webgpu", "webgl"):
        (run,) = results[name]["runs"]
        assert len(run["losses"]) == 4 and run["ms"] > 0
        assert run["max_rel_vs_numpy"] < 1e-4  # same weights, batches and dropout masks
        assert results[name]["interpreted"] == []
    assert "| MLP (momentum_sgd), 16 | webgl |" in capsys.readouterr().out


def test_a_backend_at_a_tree_runs_that_trees_wgpy_runtime(tmp_path):
    """`webgpu@DIR` imports wgpy_runtime from DIR (here links to this tree's packages)."""
    root = Path(bench_chainer.__file__).resolve().parents[1]
    for package in ("wgpy_runtime", "kernelc", "kernels_chainer"):
        (tmp_path / package).symlink_to(root / package)
    args = bench_chainer.argparse.Namespace(
        models="mlp", batch="8", warmup=0, iterations=1, timeout=300
    )
    leg = bench_chainer.spawn(f"webgpu@{tmp_path}", args)
    assert leg["backend"] == f"webgpu@{tmp_path}" and "error" not in leg["runs"][0]
    assert leg["wgpy_runtime"] == str(tmp_path)
    assert bench_chainer.spawn("webgpu", args)["wgpy_runtime"] == str(root)


def test_a_failing_model_leaves_the_others(monkeypatch):
    real = bench_chainer.timed_run

    def failing_cnn(kind, *args):
        if kind == "cnn":
            raise RuntimeError("planted")
        return real(kind, *args)

    monkeypatch.setattr(bench_chainer, "timed_run", failing_cnn)
    leg = bench_chainer.run_leg("numpy", ["cnn", "mlp"], [8], 1, 2)
    cnn, mlp = leg["runs"]
    assert "planted" in cnn["error"] and len(mlp["losses"]) == 3
    assert "ERROR" in bench_chainer.table([leg])


def test_resnet18_takes_cifar100_shaped_batches():
    import chainer
    import numpy as np

    images, labels = bench_chainer.make_cifar100(4, seed=3)
    again, _ = bench_chainer.make_cifar100(4, seed=3)
    assert images.shape == (4, 3, 32, 32) and images.dtype == np.float32
    assert np.array_equal(images, again) and labels.dtype == np.int32
    assert 0 <= labels.min() and labels.max() < 100
    model = bench_chainer.make_model("resnet18")
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        y = model(images[:2])
    assert y.shape == (2, 100)
    assert sum(p.size for p in model.params()) == 11_220_132  # ResNet-18, 100 classes
    convs = [link for link in model.links() if isinstance(link, chainer.links.Convolution2D)]
    assert len(convs) == 20 and model.conv.W.shape == (64, 3, 3, 3)  # 17 + 3 projections


def test_ratios_take_the_median_over_alternated_rounds():
    def leg(backend, ms):
        return {"backend": backend, "runs": [{"model": "mlp", "batch": 16, "ms": ms}]}

    rounds = [
        [leg("cupy", 2.0), leg("webgpu", 3.0)],  # 1.5
        [leg("cupy", 4.0), leg("webgpu", 4.0)],  # 1.0
        [leg("cupy", 2.0), leg("webgpu", 5.0)],  # 2.5
    ]
    text = bench_chainer.ratios(rounds, "cupy")
    assert "| MLP, 16 | webgpu | 1.50× | 1.00–2.50× |" in text
    failed = [[{"backend": "cupy", "error": "no CuPy"}, leg("webgpu", 3.0)]]
    assert "webgpu" not in bench_chainer.ratios(failed, "cupy")  # no reference, no ratio
