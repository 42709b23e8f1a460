"""The playground's Python side (wgpy_runtime/playground.py) on the native devices:
`run()` of the Mandelbrot kernel against a NumPy reference, the input convention,
errors placed in the pasted text, and that the module needs no NumPy.

Rule: the page sees only what `translate()`/`run()` return, so these tests check those
dicts; NumPy is used here for the reference only.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import kernelc
import wgpy_runtime.playground as pg
from kernelc.abi import Param

ROOT = Path(__file__).resolve().parents[2]
MANDELBROT = (ROOT / "examples" / "mandelbrot.cu").read_text() + "// defaults: max_iter = 200\n"
BACKENDS = ("webgpu", "webgl")


def image(result: dict) -> np.ndarray:
    out = result["output"]
    return np.frombuffer(base64.b64decode(out["data"]), out["dtype"]).reshape(out["shape"])


def pixel_grid(width: int, height: int, view) -> tuple[np.ndarray, np.ndarray]:
    """The convention's coordinates: pixel centres, row 0 at the top (y1)."""
    x0, x1, y0, y1 = view
    x = x0 + (np.arange(width) + 0.5) * ((x1 - x0) / width)
    y = y1 - (np.arange(height) + 0.5) * ((y1 - y0) / height)
    return np.broadcast_to(x.astype(np.float32), (height, width)), np.broadcast_to(
        y.astype(np.float32)[:, None], (height, width)
    )


def mandelbrot_reference(cx: np.ndarray, cy: np.ndarray, max_iter: int) -> np.ndarray:
    zr, zi = np.zeros_like(cx), np.zeros_like(cx)
    count = np.zeros(cx.shape, np.int32)
    with np.errstate(all="ignore"):
        for _ in range(max_iter):
            going = zr * zr + zi * zi <= np.float32(4)
            t = zr * zr - zi * zi + cx
            zi = np.where(going, np.float32(2) * zr * zi + cy, zi)
            zr = np.where(going, t, zr)
            count += going
    return count


@pytest.mark.parametrize("backend", BACKENDS)
def test_mandelbrot_run_matches_numpy(backend):
    view = (-2.0, 1.0, -1.2, 1.2)  # not square, not symmetric about the middle row
    width, height = 300, 200
    result = pg.run(MANDELBROT, backend, width, height, view, {"max_iter": 64})
    assert result["error"] is None, result["error"]
    got = image(result)
    want = mandelbrot_reference(*pixel_grid(width, height, view), 64)
    assert got.shape == (height, width) and got.dtype == np.int32
    # Contracted multiply-adds may move a point on the set's edge by an iteration or more.
    assert np.mean(got != want) < 0.005
    assert result["inputs"] == {"cx": "x", "cy": "y", "max_iter": "scalar", "count": "nothing"}
    assert result["target"] == kernelc.for_backend(backend).name and result["adapter"]
    timings = result["timings"]
    assert {"compile_ms", "upload_ms", "dispatch_ms", "read_ms", "run_ms"} <= timings.keys()
    parts = timings["upload_ms"] + timings["dispatch_ms"] + timings["read_ms"]
    assert abs(timings["run_ms"] - parts) < 1e-6 * max(1.0, parts) + 1e-9


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_input_convention(backend):
    kernel = """// name: fill
// in_params: float32 a, float32 b, float32 c, int32 m, float32 s
// out_params: float32 y, float32 u, int32 w
// scalars: s
y = b + c * 1000.0f + s * 0.0f;
u = a;
w = m;
"""
    view = (0.0, 4.0, -1.0, 1.0)
    result = pg.run(kernel, backend, 8, 4, view, {"s": 3})
    assert result["error"] is None, result["error"]
    assert result["inputs"] == {
        "a": "x",
        "b": "y",
        "c": "zeros",
        "m": "zeros",
        "s": "scalar",
        "y": "nothing",
        "u": "nothing",
        "w": "nothing",
    }
    assert result["output"]["name"] == "y"  # the first output is the one drawn
    np.testing.assert_array_equal(image(result), pixel_grid(8, 4, view)[1])
    assert image(result)[0, 0] == pytest.approx(0.75) and image(result)[3, 0] == -0.75


@pytest.mark.parametrize("backend", BACKENDS)
def test_bool_and_raw_outputs_come_back_in_their_storage_dtype(backend):
    kernel = """// name: inside
// in_params: T x, T y, raw T r
// out_params: bool hit
hit = x * x + y * y < 1.0f && r[i] == 0.0f;
"""
    result = pg.run(kernel, backend, 64, 32, (-2.0, 2.0, -1.0, 1.0))
    assert result["error"] is None, result["error"]
    assert result["output"]["dtype"] == "bool" and result["inputs"]["r"] == "zeros"
    x, y = pixel_grid(64, 32, (-2.0, 2.0, -1.0, 1.0))
    np.testing.assert_array_equal(image(result), x * x + y * y < 1)


def test_translate_gives_both_targets_and_the_form():
    result = pg.translate(MANDELBROT)
    assert result["error"] is None and result["name"] == "mandelbrot"
    assert result["types"] == {"T": "float32"}
    for target in ("wgsl", "glsl"):
        entry = result["targets"][target]
        assert entry["error"] is None and entry["code"] and entry["compile_ms"] > 0
        assert any(line.startswith("launch: ") for line in entry["abi"])
    assert "@compute" in result["targets"]["wgsl"]["code"]
    assert result["targets"]["glsl"]["code"].startswith("#version 300 es")
    assert result["scalars"] == [{"name": "max_iter", "dtype": "int32", "default": 200}]
    plain = pg.translate(MANDELBROT.replace("// defaults: max_iter = 200\n", ""))
    assert plain["scalars"][0]["default"] == 100


def test_a_compile_error_points_into_the_pasted_text():
    bad = MANDELBROT.replace("zi = 2.0f * zr * zi + cy;", "zi = 2.0f * zr * zq + cy;")
    result = pg.translate(bad)
    line = bad.splitlines().index("    zi = 2.0f * zr * zq + cy;") + 1
    for target in ("wgsl", "glsl"):
        error = result["targets"][target]["error"]
        assert (error["kernel"], error["line"], error["column"]) == ("mandelbrot", line, 22)
        assert error["kind"] == "KernelNameError" and "zq" in error["message"]
        head, source, caret = error["text"].splitlines()[:3]
        assert head == f"mandelbrot:{line}:22: error: use of undeclared identifier 'zq'"
        assert source.strip() == "zi = 2.0f * zr * zq + cy;"
        assert caret.index("^") == source.index("zq")
    run = pg.run(bad, "webgpu")  # run reports it too, without touching a device
    assert run["error"]["line"] == line and "output" not in run


def test_a_header_error_has_the_column_of_the_pasted_line():
    bad = MANDELBROT.replace("T cx, T cy", "T cx, floot cy")
    error = pg.translate(bad)["targets"]["wgsl"]["error"]
    assert (error["line"], error["column"]) == (2, bad.splitlines()[1].index("floot") + 1)
    _, source, caret = error["text"].splitlines()[:3]
    assert source.strip() == bad.splitlines()[1] and caret.strip() == "^~~~~"
    missing = pg.translate("count = 1;\n")
    assert missing["error"]["line"] == 1 and "in_params" in missing["error"]["message"]


def test_bad_form_values_are_errors_not_exceptions():
    assert "types" in pg.translate(MANDELBROT, types="T")["error"]["message"]
    assert pg.run(MANDELBROT, "vulkan")["error"]["kind"] == "ValueError"
    assert pg.run(MANDELBROT, "webgpu", 0, 10)["error"]["kind"] == "ValueError"
    result = pg.run(MANDELBROT, "webgpu", 4, 4, scalars={"max_iter": "lots"})
    assert "max_iter" in result["error"]["message"]


def test_the_module_needs_no_numpy():
    code = (
        "import sys; sys.modules['numpy'] = None\n"
        "import wgpy_runtime.playground as pg\n"
        f"r = pg.translate({MANDELBROT!r})\n"
        "assert r['error'] is None and all(t['code'] for t in r['targets'].values())\n"
        "assert len(pg.coordinates('y', 'float16', 3, 2, pg.DEFAULT_VIEW)) == 12\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.strip() == "ok", done.stderr


FILLS = """// name: fills
// in_params: int32 k, int8 b, float32 f, bool t
// out_params: int32 q, int32 c, float32 g, bool u
q = k;
c = b;
g = f;
u = t;
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_inputs_hold_the_fill_asked_for(backend):
    fills = {"k": "index", "b": "index", "f": "constant:2.5", "t": "index"}
    result = pg.run(FILLS, backend, 40, 10, fills=fills)
    assert result["error"] is None, result["error"]
    written = dict.fromkeys(("q", "c", "g", "u"), "nothing")
    assert result["inputs"] == {**fills, **written}
    np.testing.assert_array_equal(image(result).ravel(), np.arange(400))
    param = Param(name="b", role="in", kind="array", dtype="int8", storage_dtype="int8")
    wrapped = np.frombuffer(pg._contents("index", param, 40, 10, pg.DEFAULT_VIEW), np.int8)
    assert list(wrapped[126:130]) == [126, 127, -128, -127]
    again = pg.run(FILLS, backend, 40, 10, fills={"k": "random"})
    values = image(again)
    assert (
        0 <= values.min() and values.max() < pg.RANDOM_INT_RANGE and len(set(values.ravel())) > 50
    )
    assert np.array_equal(values, image(pg.run(FILLS, backend, 40, 10, fills={"k": "random"})))


def test_bad_fills_and_sizes_that_cannot_run_are_errors_before_allocation():
    bad = pg.run(FILLS, "webgpu", 8, 8, fills={"k": "sometimes"})
    assert "fill 'sometimes' is not one of" in bad["error"]["message"]
    assert "no input array" in pg.run(FILLS, "webgpu", 8, 8, fills={"zz": "index"})["error"]["text"]
    huge = pg.run(FILLS, "webgpu", 100000, 100000)
    assert huge["error"]["kind"] == "ValueError"
    assert "more than the playground runs" in huge["error"]["text"]
    assert "nothing was allocated" in huge["error"]["text"]


def test_translate_says_what_each_input_gets_by_default():
    result = pg.translate(FILLS)
    written = dict.fromkeys(("q", "c", "g", "u"), "nothing")
    assert result["fills"] == {"k": "zeros", "b": "zeros", "f": "x", "t": "zeros", **written}
