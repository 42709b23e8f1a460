"""The `kernelc` command: files in, programs or diagnostics out, and its exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kernelc.cli import command as cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        cli.main(list(argv))
    out, err = capsys.readouterr()
    return info.value.code, out, err


def test_translate_cu_for_both_targets(capsys):
    code, out, err = run(capsys, "translate", str(EXAMPLES / "mandelbrot.cu"))
    assert code == 0, err
    assert "// ---- mandelbrot (wgsl)" in out and "@compute @workgroup_size(256)" in out
    assert "// ---- mandelbrot (glsl)" in out and "#version 300 es" in out
    assert "s_max_iter" in out  # the `// scalars:` header made max_iter a uniform


def test_json_lists_every_result(capsys):
    code, out, _ = run(capsys, "translate", str(EXAMPLES / "kernels.py"), "--json")
    assert code == 0
    results = json.loads(out)
    assert [(r["name"], r["target"]) for r in results] == [
        ("relu_bwd", "wgsl"),
        ("relu_bwd", "glsl"),
        ("axpy", "wgsl"),
        ("axpy", "glsl"),
    ]
    assert all(r["error"] is None and r["abi"]["abi_version"] == 2 for r in results)


def test_output_file_and_directory(capsys, tmp_path):
    single = tmp_path / "sq.wgsl"
    code, _, _ = run(
        capsys,
        "translate",
        str(EXAMPLES / "squared_diff.cu"),
        "--target",
        "wgsl",
        "-o",
        str(single),
    )
    assert code == 0 and "fn main(" in single.read_text()
    outdir = tmp_path / "out"
    code, _, _ = run(capsys, "translate", str(EXAMPLES / "squared_diff.cu"), "-o", str(outdir))
    assert code == 0
    assert sorted(p.name for p in outdir.iterdir()) == ["squared_diff.frag", "squared_diff.wgsl"]


def test_emit_ir_and_types(capsys):
    code, out, _ = run(
        capsys, "translate", str(EXAMPLES / "squared_diff.cu"), "--emit", "ir", "--types", "T=int32"
    )
    assert code == 0
    assert "param x: i32 (array in)" in out and "mul:i32" in out


def test_error_points_into_the_file(capsys, tmp_path):
    bad = tmp_path / "bad.cu"
    bad.write_text("// name: broken\n// in_params: T x\n// out_params: T y\n\ny = x +;\n")
    code, out, err = run(capsys, "translate", str(bad))
    assert code == 1 and out == ""
    first = err.splitlines()[0]
    assert first.startswith("broken:5:8: error: "), first
    assert err.splitlines()[1] == "    y = x +;"


def test_check_reports_per_target(capsys, tmp_path):
    scatter = tmp_path / "scatter.cu"
    scatter.write_text(
        "// name: scatter\n// in_params: int32 k, T v\n// out_params: raw T y\ny[k] = v;\n"
    )
    code, out, err = run(capsys, "check", str(scatter))
    assert code == 1
    assert out.splitlines() == ["ok: scatter (wgsl)", "error: scatter (glsl)"]
    assert "a WebGL fragment" in err


def test_non_literal_kernels_are_noted(capsys, tmp_path):
    src = tmp_path / "k.py"
    src.write_text("import cupy\nOP = 'y = x'\nk = cupy.ElementwiseKernel('T x', 'T y', OP, 'k')\n")
    code, out, err = run(capsys, "translate", str(src))
    assert code == 0 and out == ""
    assert "non-literal arguments skipped" in err


def test_usage_errors_exit_1(capsys):
    code, _, err = run(capsys, "translate", str(EXAMPLES / "squared_diff.cu"), "--types", "T")
    assert code == 1 and "T=dtype" in err
    code, _, err = run(capsys, "translate", str(EXAMPLES / "nope.cu"))
    assert code == 1 and "No such file" in err


def test_console_script_runs_as_a_module():
    done = subprocess.run(
        [sys.executable, "-m", "kernelc", "check", str(EXAMPLES / "smooth_clip.cu")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["ok: smooth_clip (wgsl)", "ok: smooth_clip (glsl)"]
