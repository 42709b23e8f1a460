"""A device that records the protocol commands it runs as a command stream
(docs/protocol.md "Command streams"), so a run can be replayed elsewhere: onto a fresh
native device (`replay.py`) or onto a browser executor (tests/browser).

Rule: the recorder changes nothing about the run. Every command goes to the inner device
as it came, and is recorded only after the inner device accepted it; reads are recorded
with the bytes the inner device returned. It offers no prepared launches
(`prepare`/`launch`), so every kernel launch reaches it, and the stream, as a plain
`dispatch`; every other attribute the runtime reads (`limits`, `trim`, ...) is the inner
device's.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
from pathlib import Path

from kernelc.abi import Program

from .protocol import Device
from .replay import FORMAT, VERSION

_HIDDEN = frozenset({"prepare", "launch"})  # the runtime must use plain dispatch


class RecordingDevice(Device):
    """`inner`, with every protocol command also appended to a command stream."""

    def __init__(self, inner: Device) -> None:
        self.inner = inner
        self.name, self.target = inner.name, inner.target
        self._commands: list[list] = []
        self._programs: list[dict] = []
        self._program_index: dict[int, tuple[Program, int]] = {}  # id(program) -> index
        self._by_text: dict[tuple[str, str], int] = {}  # (code, abi JSON) -> index
        self._dtypes: dict[int, str] = {}  # live buffer id -> storage dtype

    def __getattr__(self, attr: str):
        # Only reached for attributes the recorder lacks: the inner device's, except the
        # prepared launches (the runtime tests for them with hasattr).
        if attr in _HIDDEN or attr.startswith("__") or attr == "inner":
            raise AttributeError(attr)
        return getattr(self.inner, attr)

    # ------------------------------------------------------------------ the six commands

    def alloc(self, size: int, dtype: str) -> int:
        buf = self.inner.alloc(size, dtype)
        self._dtypes[buf] = dtype
        self._commands.append(["alloc", buf, size, dtype])
        return buf

    def free(self, buf: int) -> None:
        self.inner.free(buf)
        self._dtypes.pop(buf, None)
        self._commands.append(["free", buf])

    def write(self, buf: int, start: int, data) -> None:
        raw = bytes(memoryview(data).cast("B"))  # the caller may reuse its memory at once
        self.inner.write(buf, start, raw)
        self._commands.append(["write", buf, start, _b64(raw)])

    def read(self, buf: int, start: int, count: int) -> bytes:
        data = self.inner.read(buf, start, count)
        dtype = self._dtypes.get(buf, "uint8")
        self._commands.append(["read", buf, start, count, dtype, _b64(data)])
        return data

    def copy(self, src: int, dst: int, src_start: int, dst_start: int, count: int) -> None:
        self.inner.copy(src, dst, src_start, dst_start, count)
        self._commands.append(["copy", src, dst, src_start, dst_start, count])

    def dispatch(self, program: Program, buffers: dict[str, int], values: dict) -> None:
        self.inner.dispatch(program, buffers, values)
        entries = [[what, param, axis, json_number(x)] for (what, param, axis), x in values.items()]
        self._commands.append(["dispatch", self._program(program), dict(buffers), entries])

    def synchronize(self) -> None:
        self.inner.synchronize()

    # ------------------------------------------------------------------------- the stream

    def mark(self, label: str) -> None:
        """Label the commands from here on (replay reports reads by their latest mark)."""
        self._commands.append(["mark", str(label)])

    def stream(self) -> dict:
        """The commands so far, as the JSON-ready dict docs/protocol.md describes."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "backend": self.name,
            "target": self.target,
            "programs": list(self._programs),
            "commands": list(self._commands),
        }

    def save(self, path: str | Path) -> Path:
        """Write `stream()` as JSON to `path` (gzip-compressed when it ends in .gz)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.stream(), separators=(",", ":"), allow_nan=False).encode()
        if path.suffix == ".gz":
            text = gzip.compress(text, compresslevel=6, mtime=0)  # mtime 0: reproducible
        path.write_bytes(text)
        return path

    def _program(self, program: Program) -> int:
        known = self._program_index.get(id(program))
        if known is not None and known[0] is program:
            return known[1]
        abi = program.abi.to_json()
        key = (program.code, json.dumps(abi, sort_keys=True))
        index = self._by_text.get(key)
        if index is None:
            index = self._by_text[key] = len(self._programs)
            self._programs.append({"code": program.code, "abi": abi})
        # The program is held here, so its id is not reused while the entry lives.
        self._program_index[id(program)] = (program, index)
        return index


def json_number(x):
    """A dispatch value as a stream holds it: non-finite floats as the strings "NaN",
    "Infinity", "-Infinity", which JavaScript's Number() and Python's float() read."""
    if isinstance(x, bool):
        return x
    if not isinstance(x, (int, float)):  # NumPy scalars
        x = int(x) if hasattr(x, "__index__") else float(x)
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    return x


def _b64(data) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")
