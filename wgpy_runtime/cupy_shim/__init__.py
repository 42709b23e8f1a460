"""`import cupy` on wgpy_runtime: a shim that lets unmodified CuPy code (Chainer 7.8.1)
run its GPU code paths on WebGPU/WebGL devices.

    import wgpy_runtime.cupy_shim
    wgpy_runtime.cupy_shim.install()      # before `import chainer`
    import chainer                         # chainer.backends.cuda.available is True

`install()` registers in `sys.modules`: `cupy` (wgpy_runtime's API, `ndarray`,
`ElementwiseKernel`, `ReductionKernel`, `memoize`, `fuse`, `RawKernel` raising
`RawKernelUnsupportedError`), `cupy.cuda` (`Device`, `Event`, `Stream`, `runtime`,
`driver`, `memory`, `cublas`, `nvtx`), `cupy.random`, `cupy.linalg`, `cupy._util`,
`cupy._core`, `cupyx`, `cupyx.scipy.special`, `cupyx.scipy.linalg`. Every kernel CuPy
code builds is translated by kernelc (or found in the precompiled cache); one the target
rejects runs on kernelc's IR interpreter with a `PerformanceWarning`. While installed,
NumPy scalars promote as Python scalars do (CuPy 7, NumPy 1.x): `float32 array *
np.float64(2)` is float32.

Rule: the shim never hides a real CuPy: when one is importable (or already imported)
`install()` raises `CupyShadowError` unless `force=True`.
"""

from __future__ import annotations

import importlib.util
import sys
import types

from .. import _dtypes
from .namespace import build
from .util import RawKernelUnsupportedError

__all__ = ["CupyShadowError", "RawKernelUnsupportedError", "install", "installed", "uninstall"]

_INSTALLED: dict[str, types.ModuleType] = {}


class CupyShadowError(RuntimeError):
    """A real CuPy is importable; installing the shim would hide it."""


def installed() -> bool:
    return bool(_INSTALLED) and sys.modules.get("cupy") is _INSTALLED.get("cupy")


def _real_cupy() -> str | None:
    """Where a real CuPy would be imported from, if anywhere."""
    present = sys.modules.get("cupy")
    if present is not None:
        return getattr(present, "__file__", None) or repr(present)
    try:
        spec = importlib.util.find_spec("cupy")
    except (ImportError, ValueError):
        return None
    return None if spec is None else (spec.origin or str(spec.submodule_search_locations))


def install(force: bool = False) -> types.ModuleType:
    """Make `import cupy` (and `cupyx`) resolve to wgpy_runtime; returns the `cupy` module.
    Idempotent. `force=True` replaces a real CuPy (imported or importable) in this
    process."""
    if installed():
        return _INSTALLED["cupy"]
    real = _real_cupy()
    if real is not None and not force:
        raise CupyShadowError(
            f"a real CuPy is importable ({real}); install(force=True) "
            "would hide it behind wgpy_runtime"
        )
    modules = build()
    for name in [n for n in sys.modules if n.split(".")[0] in ("cupy", "cupyx")]:
        del sys.modules[name]  # a forced install: no half-real, half-shim package
    sys.modules.update(modules)
    _INSTALLED.clear()
    _INSTALLED.update(modules)
    _dtypes.NUMPY_SCALARS_WEAK = True  # CuPy 7's promotion (docs/chainer.md)
    return modules["cupy"]


def uninstall() -> None:
    """Remove the shim's modules from `sys.modules` (modules that imported `cupy` keep
    the objects they hold)."""
    for name, module in _INSTALLED.items():
        if sys.modules.get(name) is module:
            del sys.modules[name]
    _INSTALLED.clear()
    _dtypes.NUMPY_SCALARS_WEAK = False
