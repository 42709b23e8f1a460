"""The CPU fallback for kernels a target rejects: kernelc's IR interpreter on host copies.

Rule: a kernel the target cannot express (`kernelc.UnsupportedOnTarget`: scatter or
atomics in a WebGL fragment shader, too many textures) still runs, with CuPy's result:
its arrays are read back, the IR interpreter (`kernelc.ir.interp`, the executable
definition of the IR) runs it, and what it may have written is written back. A
`PerformanceWarning` says so once per kernel and target; a rejection is remembered, so
translation is not retried on every call.
"""

from __future__ import annotations

import warnings

import kernelc

from . import _dtypes
from .ndarray import ndarray


class PerformanceWarning(RuntimeWarning):
    """A computation ran a slow way (the CPU interpreter instead of the GPU)."""


_REJECTED: dict[tuple, str] = {}  # (kind, strings, spec) -> the target's reason
_WARNED: set[tuple] = set()


def _key(kind: str, strings: dict, spec: dict) -> tuple:
    return (kind, tuple(strings.items()), tuple(sorted((k, repr(v)) for k, v in spec.items())))


def rejected(kind: str, strings: dict, spec: dict) -> bool:
    """Whether this kernel and specialisation was rejected by its target before."""
    return _key(kind, strings, spec) in _REJECTED


def remember(kind: str, strings: dict, spec: dict, error: Exception) -> None:
    _REJECTED[_key(kind, strings, spec)] = getattr(error, "message", str(error))


def _warn(kind: str, strings: dict, spec: dict, stacklevel: int) -> None:
    """Once per kernel and target; `stacklevel` reaches the user's kernel call."""
    key = (kind, tuple(strings.items()), spec["target"])
    if key in _WARNED:
        return
    _WARNED.add(key)
    reason = _REJECTED.get(_key(kind, strings, spec), "")
    warnings.warn(
        f"kernel '{strings['name']}' cannot run on {spec['target']} ({reason}); "
        "it runs on the CPU through kernelc's IR interpreter",
        PerformanceWarning,
        stacklevel=stacklevel,
    )


def _host(values: dict) -> dict:
    return {k: v.get() if isinstance(v, ndarray) else v for k, v in values.items()}


def _host_spec(spec: dict, host: dict) -> dict:
    """The specialisation for host copies: every raw array is C-contiguous there."""
    raw = {name: (host[name].ndim, True) for name in spec["raw"]}
    return {k: v for k, v in spec.items() if k != "target"} | {"raw": raw}


def _write_back(params, values: dict, host: dict) -> None:
    for p in params:
        v = values.get(p.name)
        if isinstance(v, ndarray) and not p.is_const:
            v.set(host[p.name])


def interpret_elementwise(kernel, spec: dict, values: dict, loop_shape: tuple) -> None:
    """Run the `ElementwiseKernel` `kernel` on the host; `values` as `_launch.dispatch`
    takes them (arrays already viewed over `loop_shape`)."""
    _warn("elementwise", kernel._strings, spec, 5)
    host = _host(values)
    lowered, _ = kernelc.lower_kernel(
        **kernel._strings, **_host_spec(spec, host), exact64=_dtypes.exact64()
    )
    kernelc.run_elementwise(lowered, host, loop_shape)
    _write_back(kernel.params, values, host)


def interpret_reduction(
    kernel, spec: dict, values: dict, out_shape: tuple, reduce_shape: tuple
) -> None:
    """Run the `ReductionKernel` `kernel` on the host (inputs viewed over
    `reduce_shape + out_shape`, outputs over `out_shape`)."""
    _warn("reduction", kernel._strings, spec, 6)
    host = _host(values)
    lowered, _ = kernelc.lower_reduction_kernel(
        **kernel._strings, **_host_spec(spec, host), exact64=_dtypes.exact64()
    )
    kernelc.run_reduction(lowered, host, out_shape, reduce_shape)
    _write_back(kernel.params, values, host)
