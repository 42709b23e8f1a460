"""Everything `import wgpy_runtime` offers when NumPy is present (the package re-exports
it; see wgpy_runtime/__init__.py).

Rule: this module only re-exports, and binds `ndarray`'s methods that run kernels once
the modules they call are loaded (`_ndarray_methods`); each name lives in the module named
after what it holds (creation, ufuncs, reductions, manipulation, indexing, linalg, random,
kernel).
"""

from numpy import (  # noqa: F401  (dtypes and constants, as NumPy spells them)
    bool_,
    can_cast,
    complex64,
    complex128,
    dtype,
    e,
    finfo,
    float16,
    float32,
    float64,
    iinfo,
    inf,
    int8,
    int16,
    int32,
    int64,
    nan,
    newaxis,
    pi,
    promote_types,
    result_type,
    uint8,
    uint16,
    uint32,
    uint64,
)

from ._dtypes import PrecisionWarning, get_64bit_policy, set_64bit_policy
from ._fallback import PerformanceWarning
from ._launch import cached_programs, clear_program_cache
from .creation import (
    arange,
    array,
    asarray,
    ascontiguousarray,
    asnumpy,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    get_array_module,
    identity,
    linspace,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from .device import current_device, use_device
from .fusion import fuse
from .indexing import argwhere, compress, flatnonzero, nonzero, take
from .kernel import ElementwiseKernel, ReductionKernel
from .linalg import dot, einsum, inner, matmul, outer, tensordot, trace, vdot
from .manipulation import (
    array_split,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_arrays,
    broadcast_to,
    concatenate,
    diagonal,
    expand_dims,
    flip,
    hstack,
    moveaxis,
    ravel,
    repeat,
    reshape,
    rollaxis,
    split,
    squeeze,
    stack,
    swapaxes,
    tile,
    transpose,
    vstack,
)
from .ndarray import ndarray
from .reductions import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    count_nonzero,
    cumprod,
    cumsum,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from .sorting import argsort, median, percentile, quantile, sort
from .ufuncs import UFUNCS, ufunc

globals().update(UFUNCS)
from . import device, fft, random  # noqa: E402
from .elementwise import (  # noqa: E402
    angle,
    around,
    clip,
    conj,
    conjugate,
    imag,
    real,
    round,
    round_,
    where,
)

bool = bool_

# ndarray's methods that call the modules above, bound now that those are loaded.
from ._ndarray_methods import install as _install_methods  # noqa: E402

_install_methods(ndarray)

__all__ = [n for n in dir() if not n.startswith("_")]
