"""The module objects the shim registers: `cupy` and its submodules, `cupyx` and its.

Rule: `cupy` holds wgpy_runtime's public names (so `cupy.ndarray is wgpy_runtime.ndarray`)
plus the shim's CuPy-only names; a name neither has is an `AttributeError` that says the
shim lacks it (so `hasattr` and Chainer's optional-feature checks work).
`cupy.get_array_module` returns the `cupy` module object itself, because CuPy code
compares modules by identity (`xp is cuda.cupy`).
"""

from __future__ import annotations

import types

import numpy as np

import wgpy_runtime as _wp

from .. import linalg as _linalg
from .. import random as _random
from .._fusion_trace import Var
from ..creation import asarray
from ..ndarray import ndarray
from . import array_extras, cuda, cupyx, numpy_extras, testing, util

CUPY_VERSION = "7.8.0"  # what Chainer 7.8.1 accepts (>=7.7, <8); no cuDNN module exists
_LINALG_NAMES = (
    "LinAlgError cholesky det dot eigh eigvalsh einsum inner inv matmul norm outer qr "
    "slogdet solve svd tensordot trace vdot"
).split()
_SKIP = {"device", "random", "fft", "current_device", "use_device", "get_array_module"}
_FFT_NAMES = ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn")


def _module(name: str, doc: str, names: dict, package: bool = False) -> types.ModuleType:
    module = types.ModuleType(name, doc)
    module.__dict__.update(names)
    if package:
        module.__path__ = []  # `import name.unknown` is then an ImportError
    return module


def _missing_attribute(module_name: str):
    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"module '{module_name}' (the wgpy_runtime cupy shim) has no "
            f"attribute '{name}': wgpy_runtime does not implement it"
        )

    return __getattr__


# CuPy's distributions drawn from the host state: name -> default dtype
_HOST_DISTRIBUTIONS = {
    "laplace": float,
    "binomial": int,
    "gumbel": float,
    "beta": float,
    "chisquare": float,
    "dirichlet": float,
    "gamma": float,
    "geometric": int,
    "pareto": float,
    "poisson": int,
    "standard_cauchy": float,
    "standard_exponential": float,
    "standard_gamma": float,
    "exponential": float,
    "lognormal": float,
    "logistic": float,
    "rayleigh": float,
    "weibull": float,
}


def _host_distribution(state, name: str, default_dtype):
    def draw(*params, size=None, dtype=default_dtype):
        params = [p.get() if isinstance(p, ndarray) else p for p in params]
        return asarray(np.asarray(getattr(state, name)(*params, size=size)).astype(dtype))

    draw.__name__ = draw.__qualname__ = name
    return draw


def _random_module() -> types.ModuleType:
    state = _random.get_random_state()
    names = {k: v for k, v in vars(_random).items() if not k.startswith("_")}
    for name, dtype in _HOST_DISTRIBUTIONS.items():
        names[name] = _host_distribution(state, name, dtype)
    module = _module(
        "cupy.random", "Random numbers: host RandomState, uploaded (wgpy_runtime.random).", names
    )
    module.__getattr__ = _missing_attribute("cupy.random")
    return module


def _linalg_module() -> types.ModuleType:
    names = {k: v for k, v in vars(_linalg).items() if k in _LINALG_NAMES}
    module = _module("cupy.linalg", "numpy.linalg on the device (wgpy_runtime.linalg).", names)
    module.__getattr__ = _missing_attribute("cupy.linalg")
    return module


def _util_module(name: str) -> types.ModuleType:
    return _module(
        name,
        "CuPy utilities.",
        {
            "PerformanceWarning": util.PerformanceWarning,
            "memoize": util.memoize,
            "clear_memo": util.clear_memo,
        },
    )


def _core_module(name: str) -> types.ModuleType:
    return _module(
        name,
        "CuPy's core names.",
        {
            "ndarray": ndarray,
            "ElementwiseKernel": _wp.ElementwiseKernel,
            "ReductionKernel": _wp.ReductionKernel,
            "RawKernel": util.RawKernel,
            "fusion": types.SimpleNamespace(_is_fusing=lambda: False),
        },
    )


def _cupy_names(cupy: types.ModuleType) -> dict:
    names = {k: v for k, v in vars(_wp).items() if not k.startswith("_") and k not in _SKIP}
    names.update(numpy_extras.numpy_names())
    names.update(numpy_extras.FUNCTIONS)
    names.update(array_extras.FUNCTIONS)

    def get_array_module(*args):
        """`cupy` when any argument is a device array (or a value of a fused function),
        else `numpy`."""
        return cupy if any(isinstance(a, (ndarray, Var)) for a in args) else np

    names.update(
        __version__=CUPY_VERSION,
        get_array_module=get_array_module,
        is_available=lambda: True,
        memoize=util.memoize,
        clear_memo=util.clear_memo,
        fuse=_wp.fuse,
        RawKernel=util.RawKernel,
        RawModule=util.RawModule,
        get_default_memory_pool=cuda.get_default_memory_pool,
        get_default_pinned_memory_pool=cuda.get_default_pinned_memory_pool,
        show_config=lambda: print(cupyx.get_runtime_info()),
    )
    return names


def _fft_module() -> types.ModuleType:
    names = {k: getattr(_wp.fft, k) for k in _FFT_NAMES}
    module = _module("cupy.fft", "numpy.fft on the device (wgpy_runtime.fft).", names)
    module.__getattr__ = _missing_attribute("cupy.fft")
    return module


def build() -> dict[str, types.ModuleType]:
    """Every module the shim registers, by its `sys.modules` name."""
    cupy = types.ModuleType("cupy", "CuPy's API on wgpy_runtime (wgpy_runtime.cupy_shim).")
    cupy.__path__ = []
    cupy.__dict__.update(_cupy_names(cupy))
    cupy.__getattr__ = _missing_attribute("cupy")
    cuda_subs = cuda.submodules()
    modules = {
        "cupy": cupy,
        "cupy.cuda": cuda.module(cuda_subs),
        **cuda_subs,
        "cupy.random": _random_module(),
        "cupy.linalg": _linalg_module(),
        "cupy.fft": _fft_module(),
        "cupy._util": _util_module("cupy._util"),
        "cupy.util": _util_module("cupy.util"),
        "cupy._core": _core_module("cupy._core"),
        "cupy.core": _core_module("cupy.core"),
        **testing.modules(),
        **array_extras.lib_module(),
        **cupyx.modules(),
    }
    for name, module in modules.items():
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(modules[parent], child, module)
    return modules
