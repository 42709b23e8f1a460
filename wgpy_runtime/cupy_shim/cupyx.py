"""`cupyx`, `cupyx.scipy`, `cupyx.scipy.special` and `cupyx.scipy.linalg` for the shim.

Rule: a special function is one `ElementwiseKernel` over CUDA's math library name (which
kernelc translates, polyfilling what WGSL/GLSL lack); a function with no device
implementation is still an attribute (so `import` and attribute lookups at import time
succeed) and raises `NotImplementedError` naming itself when called.
"""

from __future__ import annotations

import functools
import types

import numpy as np

import wgpy_runtime as _wp

from ..kernel import ElementwiseKernel
from . import numpy_extras

# cupyx.scipy.special name -> CUDA math function of one float argument
SPECIAL = {
    "erf": "erf",
    "erfc": "erfc",
    "erfinv": "erfinv",
    "erfcinv": "erfcinv",
    "erfcx": "erfcx",
    "ndtr": "normcdf",
    "ndtri": "normcdfinv",
    "gammaln": "lgamma",
    "gamma": "tgamma",
    "expit": None,
    "log_ndtr": None,
    "digamma": None,
    "polygamma": None,
    "zeta": None,
    "i0": None,
    "i1": None,
}


@functools.cache
def _special_kernel(name: str, fn: str) -> ElementwiseKernel:
    return ElementwiseKernel("T x", "T y", f"y = {fn}(x)", f"cupyx_special_{name}")


def _special(name: str, fn: str | None):
    def call(x, out=None):
        if fn is None:
            raise NotImplementedError(
                f"cupyx.scipy.special.{name} is not available on wgpy_runtime"
            )
        x = _wp.asarray(x)
        if x.dtype.kind != "f":
            x = x.astype(np.float64)
        return _special_kernel(name, fn)(x) if out is None else _special_kernel(name, fn)(x, out)

    call.__name__ = call.__qualname__ = name
    return call


def _expit(x, out=None):
    return _wp.reciprocal(1 + _wp.exp(-_wp.asarray(x)), out=out)


def _missing(module: str, name: str):
    def call(*args, **kwargs):
        raise NotImplementedError(f"{module}.{name} is not available on wgpy_runtime")

    call.__name__ = call.__qualname__ = name
    return call


def get_runtime_info(full=True) -> str:
    device = _wp.current_device()
    return f"wgpy_runtime (cupy shim): device {device.name} ({device.target} kernels)"


def modules() -> dict[str, types.ModuleType]:
    special = types.ModuleType("cupyx.scipy.special", "Special functions as kernels.")
    for name, fn in SPECIAL.items():
        setattr(special, name, _special(name, fn))
    special.expit = _expit
    linalg = types.ModuleType("cupyx.scipy.linalg", "Not available on wgpy_runtime.")
    for name in ("solve_triangular", "lu_factor", "lu_solve", "tri", "tril", "triu"):
        setattr(linalg, name, _missing("cupyx.scipy.linalg", name))
    linalg.tri, linalg.tril, linalg.triu = (numpy_extras.tri, numpy_extras.tril, numpy_extras.triu)
    scipy = types.ModuleType("cupyx.scipy", "SciPy-like functions.")
    scipy.special, scipy.linalg = special, linalg
    cupyx = types.ModuleType("cupyx", "CuPy's extensions, as far as wgpy_runtime has them.")
    cupyx.scipy = scipy
    cupyx.get_runtime_info = get_runtime_info
    for name, fn in numpy_extras.CUPYX_FUNCTIONS.items():
        setattr(cupyx, name, fn)
    for m in (cupyx, scipy):
        m.__path__ = []
    return {m.__name__: m for m in (cupyx, scipy, special, linalg)}
