"""Command streams built by hand in the executor tests, and their replay on a fresh
executor of the page (tests/browser/pages/replay.js).

Rule: a stream's reads carry the bytes NumPy says they return; `replay` compares what the
executor read with them (docs/protocol.md "Command streams").
"""

from __future__ import annotations

import base64

import numpy as np

from wgpy_runtime.device.replay import Read, compare

TARGETS = {"webgpu": "wgsl", "webgl": "glsl"}
REPLAY = """async ([backend, stream, options, setup]) => {
  const { createExecutor, replay } = await import("/tests/browser/pages/replay.js");
  const exec = await createExecutor(backend, options);
  if (setup) (0, eval)(setup)(exec);
  try {
    const result = await replay(exec, stream);
    result.stats = exec.stats ?? null;
    return result;
  } finally {
    exec.destroy();
  }
}"""


class Stream:
    """A command stream for `backend` built by hand; `read` records the bytes NumPy says
    it returns."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.programs: list[dict] = []
        self.commands: list[list] = []
        self.next_id = 1

    def alloc(self, size: int, dtype: str) -> int:
        buf, self.next_id = self.next_id, self.next_id + 1
        self.commands.append(["alloc", buf, size, dtype])
        return buf

    def array(self, values: np.ndarray) -> int:
        """A buffer holding `values` (flattened)."""
        buf = self.alloc(values.size, values.dtype.name)
        self.write(buf, 0, values)
        return buf

    def write(self, buf: int, start: int, values: np.ndarray) -> None:
        self.commands.append(["write", buf, start, b64(values)])

    def copy(self, src: int, dst: int, src_start: int, dst_start: int, count: int) -> None:
        self.commands.append(["copy", src, dst, src_start, dst_start, count])

    def dispatch(self, program, buffers: dict, values: dict) -> None:
        self.programs.append({"code": program.code, "abi": program.abi.to_json()})
        entries = [[what, param, axis, x] for (what, param, axis), x in values.items()]
        self.commands.append(["dispatch", len(self.programs) - 1, buffers, entries])

    def read(self, label: str, buf: int, start: int, expected: np.ndarray) -> None:
        self.commands.append(["mark", label])
        self.commands.append(
            ["read", buf, start, expected.size, expected.dtype.name, b64(expected)]
        )

    def stream(self) -> dict:
        return {
            "format": "wgpy-protocol-stream",
            "version": 1,
            "backend": self.backend,
            "target": TARGETS[self.backend],
            "programs": self.programs,
            "commands": self.commands,
        }


def b64(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values).tobytes()).decode()


def replay(page, s: Stream, options=None, setup=None, rtol: float = 1e-6):
    """Replay `s` on a fresh executor (after `setup`, JS source of a function given the
    executor): (messages of reads that differ, command errors, the executor's stats)."""
    stream = s.stream()
    result = page.evaluate(REPLAY, [s.backend, stream, options or {}, setup])
    reads = [
        Read(
            r["index"],
            r["label"],
            r["dtype"],
            base64.b64decode(stream["commands"][r["index"]][5]),
            base64.b64decode(r["actual"]),
        )
        for r in result["reads"]
        if r["actual"] is not None
    ]
    return compare(reads, rtol, 0.0), result["errors"], result["stats"]


def replay_exact(page, s: Stream, options=None, setup=None, any_nan: bool = False):
    """`replay`, reads compared bit for bit (-0 and NaN payloads included; with `any_nan`
    every float NaN equals every other): (messages of reads that differ, naming the first
    elements that do, command errors)."""
    stream = s.stream()
    result = page.evaluate(REPLAY, [s.backend, stream, options or {}, setup])
    messages = []
    for r in result["reads"]:
        if r["actual"] is None:
            continue
        want = base64.b64decode(stream["commands"][r["index"]][5])
        got = base64.b64decode(r["actual"])
        if len(got) != len(want):
            messages.append(
                f"read {r['index']} ({r['label']}): {len(got)} bytes, expected {len(want)}"
            )
            continue
        dtype = np.dtype(r["dtype"])
        a, b = np.frombuffer(got, dtype), np.frombuffer(want, dtype)
        same = np.frombuffer(got, f"V{dtype.itemsize}") == np.frombuffer(want, f"V{dtype.itemsize}")
        if any_nan and dtype.kind == "f":
            same |= np.isnan(a) & np.isnan(b)
        bad = np.flatnonzero(~same)
        if bad.size:
            shown = ", ".join(f"[{k}] {a[k]!r} != {b[k]!r}" for k in bad[:3])
            messages.append(
                f"read {r['index']} ({r['label']}): {bad.size} of {a.size} "
                f"{dtype} elements differ: {shown} (actual != expected)"
            )
    return messages, result["errors"]


def random_values(rng, dtype: str, n: int) -> np.ndarray:
    """`n` values over `dtype`'s whole range (floats around ±100)."""
    if dtype == "bool":
        return rng.integers(0, 2, n).astype(bool)
    if dtype.startswith("float"):
        return (rng.standard_normal(n) * 100).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, n, endpoint=True, dtype=np.int64).astype(dtype)


def elementwise_case(dtype: str, x: np.ndarray, y: np.ndarray):
    """A kernel over two arrays of `dtype`, its C-semantics result in NumPy."""
    if dtype == "bool":
        return "z = x && !y", x & ~y
    if dtype.startswith("float"):
        want = (x.astype(np.float32) * 0.5 + y.astype(np.float32) * 3).astype(dtype)
        return "z = x * 0.5f + y * 3", want
    with np.errstate(over="ignore"):
        want = (x.astype(np.int64) * 3 + y.astype(np.int64) - 7).astype(dtype)  # wraps
    return "z = x * 3 + y - 7", want
