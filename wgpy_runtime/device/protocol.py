"""The device protocol (docs/protocol.md) as an abstract class, with its element types.

Rule: the runtime reaches a GPU only through these six commands; native backends and the
browser bridge implement exactly them, and learn what a program needs only from its ABI.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from kernelc import Target, target_named
from kernelc.abi import Program

from .registry import RegisteredDevice

# The element types a buffer can hold, and their bytes per element on the protocol (each
# dtype's own little-endian bytes; bool one byte). The 64-bit ones are used under the exact
# 64-bit policy (docs/dtypes.md): WGSL reads them as u32 pairs, GLSL as RG32UI texels.
ITEMSIZE = {
    "bool": 1,
    "int8": 1,
    "uint8": 1,
    "int16": 2,
    "uint16": 2,
    "int32": 4,
    "uint32": 4,
    "float16": 2,
    "float32": 4,
    "int64": 8,
    "uint64": 8,
    "float64": 8,
}


class DeviceError(RuntimeError):
    """A GPU-side failure (compile or validation error, out of memory, device lost, bad
    buffer id), raised at the next blocking command at the latest."""


class KernelTrail:
    """The last few kernels given to a device since its last answer, so that a failure
    reported at a sync point can name them (an ordered set, bounded)."""

    KEPT = 4

    def __init__(self) -> None:
        self.names: dict[str, None] = {}

    def add(self, kernel: str) -> None:
        if kernel not in self.names:
            self.names[kernel] = None
            if len(self.names) > self.KEPT:
                del self.names[next(iter(self.names))]

    def note(self, message: str) -> str:
        """`message`, plus the kernels when it names none; the trail starts again."""
        names, self.names = list(self.names), {}
        if names and "kernel '" not in message:
            message += f" (kernels since the last answer: {', '.join(map(repr, names))})"
        return message


def check_range(what: str, buf: int, size: int, start: int, count: int) -> None:
    """Raise DeviceError unless [start, start + count) lies inside a buffer of `size`."""
    if start < 0 or count < 0 or start + count > size:
        raise DeviceError(
            f"{what} of elements [{start}, {start + count}) is outside buffer {buf} "
            f"of {size} elements"
        )


class Device(RegisteredDevice, ABC):
    """A GPU device: the protocol's commands (abstract here), with the registry's part of
    CuPy's device interface (`RegisteredDevice`: id, use, `with`, pickling)."""

    #: the kernelc target its programs are translated for: 'wgsl' or 'glsl'
    target: str

    @property
    def capabilities(self) -> Target:
        """What its programs can do (scatter, dense outputs, texture limits), from kernelc."""
        return target_named(self.target)

    @abstractmethod
    def alloc(self, size: int, dtype: str) -> int:
        """A new buffer of `size` elements of storage dtype `dtype`; contents undefined."""

    @abstractmethod
    def free(self, buf: int) -> None:
        """Release `buf`; later use of the id is an error."""

    @abstractmethod
    def write(self, buf: int, start: int, data: bytes | memoryview) -> None:
        """Copy `data` (whole elements) into `buf` from element `start` on."""

    @abstractmethod
    def read(self, buf: int, start: int, count: int) -> bytes:
        """`count` elements of `buf` from `start`, after every earlier command ran."""

    @abstractmethod
    def copy(self, src: int, dst: int, src_start: int, dst_start: int, count: int) -> None:
        """Copy `count` elements between two buffers of one dtype."""

    @abstractmethod
    def dispatch(self, program: Program, buffers: dict[str, int], values: dict) -> None:
        """Run `program` with its array parameters bound to `buffers` (ABI param name ->
        buffer id) and its uniform block filled from `values` (see docs/protocol.md)."""

    def synchronize(self) -> None:  # noqa: B027 - optional: a device may have nothing to wait for
        """Wait until every earlier command ran (and raise what failed)."""
