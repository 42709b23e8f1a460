"""The program cache: stable keys, building, lookups that never parse, and the committed
Chainer cache against the current compiler."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import pytest

import kernelc
from kernelc import frontend, pipeline
from kernelc.cache import specialisations as cache_specialisations
from kernelc.cache.build import build, key_of, translate
from kernelc.cache.store import Cache, cache_key, write_json
from kernelc.cli.command import run
from kernelc.scan.scanner import KernelInstance, ScanResult

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "kernels_chainer" / "chainer-7.8.1.json.gz"
RECORDED = ROOT / "kernels_chainer" / "specialisations-7.8.1.jsonl"
RELU = {
    "in_params": "T y, T gy",
    "out_params": "T gx",
    "operation": "gx = y > 0 ? gy : (T)0",
    "name": "relu_bwd",
    "preamble": "",
    "loop_prep": "",
    "after_loop": "",
}
SUM = {
    "in_params": "T x",
    "out_params": "T y",
    "map_expr": "x * x",
    "reduce_expr": "a + b",
    "post_map_expr": "y = a",
    "identity": "0",
    "name": "l2",
    "reduce_type": None,
    "preamble": "",
}


def test_key_is_stable():
    # Changing this value invalidates every cache: bump CACHE_FORMAT instead.
    key = cache_key("elementwise", RELU, target="wgsl", types={"T": "float32"})
    assert key == cache_key(
        "elementwise", dict(reversed(RELU.items())), target="wgsl", types={"T": "float32"}
    )
    assert len(key) == 32 and int(key, 16) >= 0
    again = cache_key(
        "elementwise", {k: v for k, v in RELU.items() if v}, target="wgsl", types={"T": "float32"}
    )
    assert again == key  # omitted strings take CuPy's defaults


def test_key_sees_every_input():
    base = dict(target="wgsl", types={"T": "float32", "U": "int32"}, scalars=("a", "b"))
    key = cache_key("elementwise", RELU, **base)
    assert key == cache_key(
        "elementwise", RELU, target="wgsl", types={"U": "int32", "T": "float32"}, scalars=("b", "a")
    )
    variants = [
        cache_key("elementwise", {**RELU, "operation": "gx = gy"}, **base),
        cache_key("elementwise", {**RELU, "preamble": "// x"}, **base),
        cache_key("elementwise", RELU, **{**base, "target": "glsl"}),
        cache_key("elementwise", RELU, **{**base, "types": {"T": "int32", "U": "int32"}}),
        cache_key("elementwise", RELU, **base, ndim=2),
        cache_key("elementwise", RELU, **{**base, "scalars": ("a",)}),
        cache_key("elementwise", RELU, **base, raw={"y": (2, True)}),
        cache_key("elementwise", RELU, **base, exact64=True),
    ]
    assert len({key, *variants}) == len(variants) + 1
    assert cache_key("reduction", SUM, target="wgsl", ndim=0) != cache_key(
        "reduction", SUM, target="wgsl", ndim=0, reduce_ndim=2
    )


def small_scan() -> ScanResult:
    binding = {"types": {"T": "float32"}, "scalars": [], "ndim": 1}
    reduction = {"types": {"T": "float32"}, "scalars": [], "ndim": 0, "reduce_ndim": 1}
    return ScanResult(
        "synthetic",
        "1.0",
        [
            KernelInstance("elementwise", "relu_bwd", "a.py:1", dict(RELU), bindings=[binding]),
            KernelInstance("reduction", "l2", "a.py:2", dict(SUM), bindings=[reduction]),
            KernelInstance(
                "elementwise",
                "bad",
                "a.py:3",
                {**RELU, "operation": "gx = nope(y)", "name": "bad"},
                bindings=[binding],
            ),
            KernelInstance("raw", "k", "a.py:4", {"code": "", "name": "k"}),
        ],
    )


def test_build_and_get(tmp_path):
    cache, outcomes = build(small_scan(), progress=False)
    status = {(o.name, o.target): o.status for o in outcomes}
    assert status[("relu_bwd", "wgsl")] == status[("relu_bwd", "glsl")] == "ok"
    assert status[("bad", "wgsl")] == "error" and status[("k", "glsl")] == "out of scope"
    assert status[("l2", "wgsl")] == (
        "ok" if hasattr(kernelc, "translate_reduction") else "pending"
    )
    bad = next(o for o in outcomes if o.name == "bad")
    assert bad.error_kind == "KernelNameError" and "nope" in bad.error
    path = str(tmp_path / "c.json.gz")
    write_json(path, cache.to_json())
    loaded = Cache.load(path)
    got = loaded.get("elementwise", RELU, target="glsl", types={"T": "float32"})
    direct = kernelc.translate_elementwise(**RELU, target="glsl", types={"T": "float32"})
    assert (got.code, got.abi, got.name, got.target) == (
        direct.code,
        direct.abi,
        "relu_bwd",
        "glsl",
    )
    assert loaded.get("elementwise", RELU, target="glsl", types={"T": "int32"}) is None


def test_lookup_never_parses(monkeypatch):
    cache, _ = build(small_scan(), ("wgsl",), progress=False)

    def refuse(*args, **kwargs):
        raise AssertionError("a cache lookup parsed")

    for module, name in (
        (frontend, "parse_elementwise"),
        (pipeline, "lower_kernel"),
        (pipeline, "translate_elementwise"),
    ):
        monkeypatch.setattr(module, name, refuse)
    assert cache.get("elementwise", RELU, target="wgsl", types={"T": "float32"}) is not None


def test_lookup_speed_smoke():
    cache, _ = build(small_scan(), ("wgsl",), progress=False)
    start = time.perf_counter()
    for _ in range(2000):
        cache.get("elementwise", RELU, target="wgsl", types={"T": "float32"})
    per_hit = (time.perf_counter() - start) / 2000
    assert per_hit < 1e-3  # ~10 µs here; docs/benchmarks.md has the real measurement


def test_cli_cache_build(tmp_path, capsys):
    pkg = tmp_path / "src" / "mypkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("__version__ = '2.0'\n")
    (pkg / "k.py").write_text(
        "from chainer.backends import cuda\n"
        "K = cuda.elementwise('T x', 'T y', 'y = x * 2', 'dbl')\n"
    )
    out = tmp_path / "out"
    assert (
        run(
            [
                "cache",
                "build",
                "--source",
                str(pkg),
                "--package",
                "mypkg",
                "--plugin",
                "kernels_chainer.scan_plugin",
                "-o",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    data = json.loads(gzip.open(out / "mypkg-2.0.json.gz").read())
    # both targets under both 64-bit policies
    assert data["instances"][0]["name"] == "dbl" and len(data["entries"]) == 4
    assert data["meta"]["policies"] == ["exact", "fast"]
    assert "wgsl (exact): ok 1" in capsys.readouterr().err
    strings = {"in_params": "T x", "out_params": "T y", "operation": "y = x * 2", "name": "dbl"}
    cache = Cache(data["entries"])
    exact = cache.get("elementwise", strings, target="wgsl", types={"T": "float64"}, exact64=True)
    fast = cache.get("elementwise", strings, target="wgsl", types={"T": "float64"})
    assert exact is None and fast is None  # the scanned binding is float32
    f32 = {"T": "float32"}
    assert cache.get("elementwise", strings, target="wgsl", types=f32, exact64=True)
    assert cache.get("elementwise", strings, target="wgsl", types=f32)


def committed_sample(step: int = 1):
    """The committed cache and every `step`-th translated result (all of them by default:
    checking a sample let one stale entry through)."""
    data = json.loads(gzip.open(COMMITTED).read())
    ok = [(i, r) for i in data["instances"] for r in i["results"] if r["status"] == "ok"]
    return data, ok[::step]


@pytest.mark.skipif(not COMMITTED.is_file(), reason="kernels_chainer cache not present")
def test_committed_cache_matches_the_compiler():
    data, sample = committed_sample()
    stale = []
    for record, result in sample:
        instance = KernelInstance(record["kind"], record["name"], record["origin"], record["args"])
        exact64 = result["policy"] == "exact"
        assert key_of(instance, result["binding"], result["target"], exact64) == result["key"]
        program = translate(
            record["kind"], record["args"], result["binding"], result["target"], exact64
        )
        entry = data["entries"][result["key"]]
        if (program.code, program.abi.to_json()) != (entry["code"], entry["abi"]):
            stale.append(f"{record['id']} ({result['target']}, {result['policy']})")
    assert not stale, f"stale entries {stale}: run bash kernels_chainer/regenerate.sh"


def test_cli_cache_build_adds_recorded_specialisations(tmp_path, capsys):
    pkg = tmp_path / "src" / "mypkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("__version__ = '2.0'\n")
    (pkg / "k.py").write_text(
        "from chainer.backends import cuda\n"
        "K = cuda.elementwise('T x', 'T y', 'y = x * 2', 'dbl')\n"
    )
    strings = {"in_params": "T x", "out_params": "T y", "operation": "y = x * 2", "name": "dbl"}
    spec = {"types": {"T": "float32"}, "ndim": 2, "scalars": (), "raw": {}}
    recorded = [
        cache_specialisations.record_of("elementwise", strings, spec),
        cache_specialisations.record_of("elementwise", {**strings, "name": "gone"}, spec),
    ]
    specs = tmp_path / "specs.jsonl"
    specs.write_text(cache_specialisations.dumps(recorded * 2))  # duplicates: written once
    assert len(specs.read_text().splitlines()) == 2
    out = tmp_path / "out.json"
    assert (
        run(
            [
                "cache",
                "build",
                "--source",
                str(pkg),
                "--package",
                "mypkg",
                "--plugin",
                "kernels_chainer.scan_plugin",
                "-o",
                str(out),
                "--no-progress",
                "--specialisations",
                str(specs),
            ]
        )
        == 0
    )
    assert "'gone'" in capsys.readouterr().err  # a kernel the scan did not find: said
    data = json.loads(out.read_text())
    # the scanned ndim-1 binding and the recorded ndim 2, both targets, both policies
    assert len(data["entries"]) == 8
    cache = Cache(data["entries"])
    for target in ("wgsl", "glsl"):
        for exact64 in (True, False):
            f32 = {"T": "float32"}
            assert cache.get(
                "elementwise", strings, target=target, types=f32, ndim=2, exact64=exact64
            )
    assert data["meta"]["specialisations"] == {"files": ["specs.jsonl"], "records": 2}


def test_bad_specialisations_file_names_its_line(tmp_path, capsys):
    specs = tmp_path / "specs.jsonl"
    specs.write_text('{"kernel": "00", "kind": "elementwise"}\n')
    assert (
        run(
            [
                "cache",
                "build",
                "--source",
                str(tmp_path),
                "-o",
                str(tmp_path / "o.json"),
                "--specialisations",
                str(specs),
                "--no-progress",
            ]
        )
        == 1
    )
    assert f"{specs}:1: 'name' must be a str" in capsys.readouterr().err


@pytest.mark.skipif(not COMMITTED.is_file(), reason="kernels_chainer cache not present")
def test_committed_cache_holds_the_recorded_specialisations():
    """Every recorded call shape was compiled by the last regeneration (regenerate.sh
    passes the file to `kernelc cache build`)."""
    with gzip.open(COMMITTED) as f:
        data = json.load(f)
    records = cache_specialisations.read(str(RECORDED))
    assert records
    built = {
        json.dumps(r["binding"], sort_keys=True) + r["target"]
        for i in data["instances"]
        for r in i["results"]
    }
    for record in records:
        binding = json.dumps(cache_specialisations.binding_of(record), sort_keys=True)
        for target in data["meta"]["targets"]:
            assert binding + target in built, f"{record['name']} ({target}) not built"
