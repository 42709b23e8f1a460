"""Command streams (docs/protocol.md "Command streams"): a run recorded on a native
device (`RecordingDevice`) and replayed onto a fresh native device of the same backend
(`replay`) reads back exactly what the recording run read; the stream format; `compare`.

Rule: a replay on the same backend must match bit for bit (`compare(reads, 0, 0)`);
tolerances are for other executors (tests/browser).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import wgpy_runtime as wp
from wgpy_runtime import device as devices
from wgpy_runtime.device.recording import RecordingDevice
from wgpy_runtime.device.replay import Read, ReplayError, compare, load, replay

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import record_streams

BACKENDS = tuple(b for b in devices.BACKENDS if os.environ.get("WGPY_BACKEND", b) == b)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def recorder(backend) -> RecordingDevice:
    """A recorder around a device of its own (not the process's shared one)."""
    return RecordingDevice(devices.create_device(backend))


def _a_run(rec: RecordingDevice) -> None:
    """Kernels, scalars (NaN and infinity among them), ufuncs on views, a reduction, a
    matmul, copies and frees, each after a mark."""
    host = np.linspace(-3, 3, 60, dtype=np.float32).reshape(6, 10)
    with wp.use_device(rec):
        x = wp.asarray(host)
        scale = wp.ElementwiseKernel("T x, T s", "T y", "y = x * s", "rec_scale")
        rec.mark("scale")
        scale(x, 2.5).get()
        scale(x, math.nan).get()
        scale(x, -math.inf).get()
        rec.mark("views")
        wp.exp(x[1::2, ::-3]).get()
        (x[:, :4] > 0).get()
        rec.mark("reduction")
        x.sum(axis=1).get()
        wp.asarray(np.arange(50, dtype=np.int32)).max().get()
        rec.mark("matmul")
        (x @ x.T).get()
        rec.mark("copy")
        y = x.copy()
        y[2:4] = x[0:2]
        y.get()
        rec.mark("64-bit")  # 8-byte storage under the exact policy (the default)
        (wp.asarray(host.astype(np.float64)) / 3).get()
        (wp.arange(2**40, 2**40 + 5) * 7).get()
        del x, y


def test_a_recorded_run_replays_bit_for_bit(recorder, backend):
    _a_run(recorder)
    stream = recorder.stream()
    reads = replay(stream, devices.create_device(backend))
    assert len(reads) == sum(c[0] == "read" for c in stream["commands"]) >= 11
    labels = {"scale", "views", "reduction", "matmul", "copy", "64-bit"}
    assert {r.label for r in reads} == labels
    if wp.get_64bit_policy() == "exact":
        assert {r.dtype for r in reads if r.label == "64-bit"} == {"float64", "int64"}
    assert compare(reads, 0, 0) == []


def test_the_corpus_replays_bit_for_bit(backend):
    """tools/record_streams.py's corpus stream: every corpus kernel the backend runs,
    checked against its reference while recorded, then replayed."""
    rec, report = record_streams.record_corpus(backend)
    target = devices.create_device(backend)
    assert not report.failed, report.summary()
    assert all(why == f"not supported on {target.target}" for why in report.skipped.values())
    assert len(report.recorded) >= 45
    reads = replay(rec.stream(), target)
    assert {r.label for r in reads} == set(report.recorded)
    assert compare(reads, 0, 0) == []


def test_the_recorder_forwards_all_but_prepared_launches(recorder, backend):
    inner = recorder.inner
    assert (recorder.name, recorder.target) == (inner.name, inner.target)
    assert not hasattr(recorder, "prepare") and not hasattr(recorder, "launch")
    assert hasattr(inner, "prepare")  # what the recorder hides exists
    assert recorder.trim == inner.trim
    if backend == "webgpu":
        assert recorder.limits is inner.limits
    with pytest.raises(AttributeError):
        recorder.no_such_attribute  # noqa: B018


def test_stream_format(recorder, tmp_path):
    with wp.use_device(recorder):
        k = wp.ElementwiseKernel("T x, float32 s", "T y", "y = x + s", "rec_add")
        x = wp.asarray(np.arange(4, dtype=np.float32))
        recorder.mark("add")
        k(x, math.inf)
        k(x, math.nan).get()
        del x
    stream = recorder.stream()
    assert stream["format"] == "wgpy-protocol-stream" and stream["version"] == 1
    assert (stream["backend"], stream["target"]) == (recorder.name, recorder.target)
    assert len(stream["programs"]) == 1  # one program, dispatched twice
    ops = [c[0] for c in stream["commands"]]
    assert ops.count("dispatch") == 2 and ops[-1] == "free" and "mark" in ops
    dispatches = [c for c in stream["commands"] if c[0] == "dispatch"]
    assert all(c[1] == 0 for c in dispatches)
    scalars = [
        next(v for what, param, _, v in c[3] if (what, param) == ("value", "s")) for c in dispatches
    ]
    assert scalars == ["Infinity", "NaN"]
    read = next(c for c in stream["commands"] if c[0] == "read")
    assert read[1:5] == [dispatches[1][2]["y"], 0, 4, "float32"]
    for name in ("s.json", "s.json.gz"):
        path = recorder.save(tmp_path / name)
        assert load(path) == json.loads(json.dumps(stream))
        text = path.read_text() if name.endswith(".json") else None
        if text:  # strict JSON: no NaN/Infinity literals
            json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))


def test_replay_errors_name_the_command_and_mark(backend):
    device = devices.create_device(backend)
    stream = {
        "format": "wgpy-protocol-stream",
        "version": 1,
        "backend": backend,
        "target": device.target,
        "programs": [],
        "commands": [["alloc", 7, 4, "int32"], ["mark", "oops"], ["copy", 7, 7, 0, 2, 4]],
    }
    with pytest.raises(ReplayError, match=r"command 2 copy \(after mark 'oops'\)"):
        replay(stream, device)
    with pytest.raises(ValueError, match="cannot replay"):
        replay(dict(stream, target="glsl" if device.target == "wgsl" else "wgsl"), device)


# ---------------------------------------------------------------------------- compare


def _read(dtype, want, got, label="k", fmt=None):
    fmt = fmt or {"float32": "f", "float16": "e", "int32": "i", "bool": "?"}[dtype]
    pack = lambda xs: (
        np.asarray(xs).astype({"f": "<f4", "e": "<f2", "i": "<i4", "?": "u1"}[fmt]).tobytes()
    )
    return Read(3, label, dtype, pack(want), pack(got))


def test_compare_floats_within_tolerance_nan_equal_nan():
    nan, inf = math.nan, math.inf
    same = _read("float32", [1.0, nan, inf, -inf, 0.0], [1.0 + 1e-7, nan, inf, -inf, 0.0])
    assert compare([same], 1e-6, 0) == []
    assert compare([_read("float16", [1.0, nan], [1.0009765625, nan])], 1e-3, 0) == []
    [message] = compare([_read("float32", [1.0, 2.0, inf], [1.1, nan, 3.0], "kern")], 1e-3, 0)
    assert message.startswith("read 3 (kern): 3 of 3 float32 elements differ")
    assert "[0] 1.100000023841858 != 1.0" in message and "[2] 3.0 != inf" in message
    assert compare([_read("float32", [0.0], [1e-7])], 0, 1e-6) == []


def test_compare_integers_exactly_and_tolerances_by_label():
    assert compare([_read("int32", [1, 2], [1, 3])], 1.0, 10.0) != []  # no tolerance
    assert compare([_read("bool", [1, 0], [1, 0])]) == []
    reads = [_read("float32", [1.0], [1.01], "loose"), _read("float32", [1.0], [1.01], "tight")]
    [message] = compare(reads, 1e-6, 0, tolerances={"loose": (0.1, 0)})
    assert "(tight)" in message
    [short] = compare([Read(0, None, "int32", b"\0" * 8, b"\0" * 4)])
    assert short == "read 0: 4 bytes, expected 8"


def test_replay_imports_no_numpy():
    """Replay and compare run where numpy is absent (Pyodide without it)."""
    code = r"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "numpy":
            raise ModuleNotFoundError("numpy is blocked", name=name)
sys.meta_path.insert(0, Block())
from wgpy_runtime.device.protocol import Device
from wgpy_runtime.device.replay import compare, replay

class Memory(Device):
    name, target = "memory", "wgsl"
    def __init__(self): self.bufs = {}
    def alloc(self, size, dtype):
        self.bufs[len(self.bufs)] = bytearray(4 * size); return len(self.bufs) - 1
    def free(self, buf): del self.bufs[buf]
    def write(self, buf, start, data): self.bufs[buf][4 * start : 4 * start + len(data)] = data
    def read(self, buf, start, count): return bytes(self.bufs[buf][4 * start : 4 * (start + count)])
    def copy(self, src, dst, a, b, n): self.bufs[dst][4 * b : 4 * (b + n)] = self.bufs[src][4 * a : 4 * (a + n)]
    def dispatch(self, program, buffers, values): pass

stream = {"format": "wgpy-protocol-stream", "version": 1, "backend": "webgpu", "target": "wgsl",
          "programs": [], "commands": [["alloc", 5, 2, "float32"], ["write", 5, 0, "AADAfwAAgD8="],
          ["mark", "m"], ["copy", 5, 5, 1, 0, 1], ["read", 5, 0, 2, "float32", "AACAPwAAgD8="]]}
reads = replay(stream, Memory())
assert compare(reads) == [] and reads[0].label == "m", reads
assert not [m for m in sys.modules if m.split(".")[0] == "numpy"]
print("ok")
"""
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.stdout.strip() == "ok", proc.stderr[-2000:]
