"""Replaying a command stream (docs/protocol.md "Command streams") onto a device, and
comparing what its reads returned with what the recording run's reads returned.

Rule: this module imports no numpy (it runs in a Pyodide that has none): bytes are
decoded with `struct`, and a replay touches the device only through the six commands,
on buffer ids the device itself handed out.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path

from kernelc.abi import Contract, Program

from .protocol import Device

FORMAT = "wgpy-protocol-stream"
VERSION = 1
# struct codes of the protocol's storage dtypes (little-endian, docs/protocol.md)
_CODES = {
    "bool": "B",
    "int8": "b",
    "uint8": "B",
    "int16": "h",
    "uint16": "H",
    "float16": "e",
    "int32": "i",
    "uint32": "I",
    "float32": "f",
    "int64": "q",  # the exact 64-bit policy's storage (docs/dtypes.md)
    "uint64": "Q",
    "float64": "d",
}
_FLOATS = ("float16", "float32", "float64")
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


@dataclass(frozen=True, slots=True)
class Read:
    """One `read` of a replay: the stream's command index, the latest mark before it,
    the storage dtype, and the recording run's and this run's bytes."""

    index: int
    label: str | None
    dtype: str
    expected: bytes
    actual: bytes


class ReplayError(RuntimeError):
    """A stream command the device refused, with where it is in the stream."""


def load(path: str | Path) -> dict:
    """A stream as `RecordingDevice.save` wrote it (gzip-compressed or not)."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return json.loads(raw)


def check_stream(stream: dict, target: str | None = None) -> None:
    """Raise ValueError unless `stream` is a version-1 stream (for `target`, if given)."""
    if stream.get("format") != FORMAT or stream.get("version") != VERSION:
        raise ValueError(
            f"not a {FORMAT} version {VERSION} stream: "
            f"{stream.get('format')!r} version {stream.get('version')!r}"
        )
    if target is not None and stream["target"] != target:
        raise ValueError(f"a {stream['target']} stream cannot replay on a {target} device")


def programs(stream: dict) -> list[Program]:
    """The stream's programs, as `Device.dispatch` takes them."""
    contracts = [Contract.from_json(p["abi"]) for p in stream["programs"]]
    return [
        Program(abi.kernel, abi.target, p["code"], abi)
        for p, abi in zip(stream["programs"], contracts)
    ]


def dispatch_values(entries: list) -> dict:
    """A dispatch's `[[what, param, axis, value], ...]` -> the protocol's values dict."""
    return {
        (what, param, axis): _NON_FINITE.get(x, x) if isinstance(x, str) else x
        for what, param, axis, x in entries
    }


def replay(stream: dict, device: Device) -> list[Read]:
    """Run every command of `stream` on `device`, in order; the reads, in order. Buffers
    are the device's own (`device.alloc`), mapped from the stream's ids; what the stream
    left allocated is freed at the end."""
    check_stream(stream, device.target)
    progs = programs(stream)
    ids: dict[int, int] = {}  # stream buffer id -> device buffer id
    reads: list[Read] = []
    label = None
    try:
        for index, command in enumerate(stream["commands"]):
            if command[0] == "mark":
                label = command[1]
                continue
            try:
                read = _run(device, command, ids, progs)
            except Exception as e:
                where = f" (after mark {label!r})" if label is not None else ""
                raise ReplayError(f"command {index} {command[0]}{where}: {e}") from e
            if read is not None:
                reads.append(Read(index, label, command[4], base64.b64decode(command[5]), read))
    finally:
        for buf in ids.values():
            device.free(buf)
    return reads


def _run(device: Device, command: list, ids: dict[int, int], progs: list[Program]):
    match command:
        case ["alloc", buf, size, dtype]:
            ids[buf] = device.alloc(size, dtype)
        case ["free", buf]:
            device.free(ids.pop(buf))
        case ["write", buf, start, data]:
            device.write(ids[buf], start, base64.b64decode(data))
        case ["copy", src, dst, src_start, dst_start, count]:
            device.copy(ids[src], ids[dst], src_start, dst_start, count)
        case ["dispatch", program, buffers, entries]:
            bound = {param: ids[buf] for param, buf in buffers.items()}
            device.dispatch(progs[program], bound, dispatch_values(entries))
        case ["read", buf, start, count, _dtype, _expected]:
            return bytes(device.read(ids[buf], start, count))
        case _:
            raise ValueError(f"unknown stream command {command[0]!r}")
    return None


# ------------------------------------------------------------------------- comparing


def compare(
    reads: list[Read],
    rtol: float = 1e-6,
    atol: float = 0.0,
    *,
    tolerances: dict | None = None,
    shown: int = 3,
) -> list[str]:
    """Readable messages, one per read that differs: integers and bools exactly, floats
    within `atol + rtol * |expected|` (NaN equals NaN, infinities only themselves).
    `tolerances` maps a label to its own `(rtol, atol)`; `shown` caps the elements a
    message lists."""
    messages = []
    for r in reads:
        tol = (tolerances or {}).get(r.label, (rtol, atol))
        message = compare_one(r, *tol, shown=shown)
        if message:
            messages.append(message)
    return messages


def compare_one(r: Read, rtol: float, atol: float, shown: int = 3) -> str | None:
    """The message for one read that differs, or None."""
    if r.expected == r.actual:
        return None
    where = f"read {r.index}" + (f" ({r.label})" if r.label is not None else "")
    if len(r.expected) != len(r.actual):
        return f"{where}: {len(r.actual)} bytes, expected {len(r.expected)}"
    want, got = decode(r.dtype, r.expected), decode(r.dtype, r.actual)
    close = _close_float if r.dtype in _FLOATS else _equal
    bad = [k for k, (w, g) in enumerate(zip(want, got)) if not close(w, g, rtol, atol)]
    if not bad:
        return None
    tol = f" (rtol {rtol:g}, atol {atol:g})" if r.dtype in _FLOATS else ""
    items = ", ".join(f"[{k}] {got[k]!r} != {want[k]!r}" for k in bad[:shown])
    more = f", ... ({len(bad) - shown} more)" if len(bad) > shown else ""
    return (
        f"{where}: {len(bad)} of {len(want)} {r.dtype} elements differ{tol}: "
        f"{items}{more} (actual != expected)"
    )


def decode(dtype: str, data: bytes) -> tuple:
    """The elements of protocol bytes of storage dtype `dtype`."""
    code = _CODES.get(dtype)
    if code is None:
        raise ValueError(f"unknown storage dtype {dtype!r}")
    count = len(data) // struct.calcsize("<" + code)
    return struct.unpack(f"<{count}{code}", data)


def _equal(want, got, rtol: float, atol: float) -> bool:
    return want == got


def _close_float(want: float, got: float, rtol: float, atol: float) -> bool:
    if want == got or (math.isnan(want) and math.isnan(got)):
        return True
    if not (math.isfinite(want) and math.isfinite(got)):
        return False
    return abs(got - want) <= atol + rtol * abs(want)
