"""CuPy's utilities for the shim: `memoize`/`clear_memo` (real memoization) and
`RawKernel`/`RawModule`, which cannot exist here and say so (`fuse` is
`wgpy_runtime.fusion.fuse`).

Rule: what CuPy code depends on for correctness (memoize's caching, which keeps
Chainer's kernel objects and their program caches alive) is real.
"""

from __future__ import annotations

import functools

from .._fallback import PerformanceWarning  # noqa: F401  (cupy._util.PerformanceWarning)
from ..device import current_device

_MEMOS: list[dict] = []
_MISSING = object()


def memoize(for_each_device: bool = False):
    """CuPy's `memoize`: cache `f`'s result per (args, kwargs) — and per device id when
    `for_each_device`. Arguments must be hashable, as in CuPy."""

    def decorator(f):
        memo: dict = {}
        _MEMOS.append(memo)

        @functools.wraps(f)
        def memoized(*args, **kwargs):
            key = (args, frozenset(kwargs.items()))
            if for_each_device:
                key = (current_device().id, key)
            result = memo.get(key, _MISSING)
            if result is _MISSING:
                result = memo[key] = f(*args, **kwargs)
            return result

        return memoized

    return decorator


def clear_memo() -> None:
    """Forget every result `memoize` has kept."""
    for memo in _MEMOS:
        memo.clear()


class RawKernelUnsupportedError(NotImplementedError):
    """CUDA source given as a whole kernel (`RawKernel`, `RawModule`): kernelc translates
    CuPy's ElementwiseKernel and ReductionKernel bodies only."""


class RawKernel:
    """`cupy.RawKernel`: raises `RawKernelUnsupportedError` when constructed."""

    def __init__(self, code, name, options=(), backend="nvrtc", **kwargs) -> None:
        raise RawKernelUnsupportedError(
            f"cupy.RawKernel({name!r}): raw CUDA kernels (whole __global__ functions, "
            "threadIdx/blockIdx, shared memory) cannot run on wgpy_runtime; kernelc "
            "translates cupy.ElementwiseKernel and cupy.ReductionKernel only. Rewrite "
            "the kernel as an ElementwiseKernel (raw arrays allow arbitrary indexing)."
        )


class RawModule:
    """`cupy.RawModule`: raises `RawKernelUnsupportedError` when constructed."""

    def __init__(self, code=None, *args, **kwargs) -> None:
        raise RawKernelUnsupportedError(
            "cupy.RawModule: raw CUDA modules cannot run on wgpy_runtime; kernelc "
            "translates cupy.ElementwiseKernel and cupy.ReductionKernel only."
        )
