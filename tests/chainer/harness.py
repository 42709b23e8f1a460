"""Chainer's kernels exactly as Chainer defines them, run the way Chainer runs them.

Rule: kernel text comes from scanning Chainer's own sdist (never copied into this repo);
a test names a kernel by its CuPy `name`, passes Chainer-like arguments, and compares with
a NumPy reference. A kernel a target rejects (`UnsupportedOnTarget`) runs on the IR
interpreter, the runtime's fallback, and the result says so.

Every call that returns is offered to `RECORDER` (None unless tests/chainer/conftest.py
sets it, when $KERNELC_COVERAGE_REPORT names a report): the kernel instance, the target,
and whether the interpreter ran it; tools/coverage.py reads the report.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from kernelc import UnsupportedOnTarget
from tests.support.interp_call import call_elementwise_interpreted
from tests.support.kernel_call import call_elementwise
from tests.support.reduction_call import call_reduction

ROOT = Path(__file__).resolve().parents[2]
VERSION = "7.8.1"


@dataclass
class Ran:
    """Outputs of one call, and whether the interpreter ran it instead of the target."""

    outputs: object
    fallback: bool


RECORDER = None  # a callable(instance: dict, target: str, fallback: bool), or None


def _note(inst: dict, target: str, fallback: bool) -> None:
    if RECORDER is not None:
        RECORDER(inst, target, fallback)


def sdist(version: str = VERSION) -> str:
    """The path of Chainer's sdist the tests scan: $KERNELC_CHAINER_SDIST, else the default."""
    sys.path.insert(0, str(ROOT / "tools"))
    from chainer_sdist import sdist_path

    return os.environ.get("KERNELC_CHAINER_SDIST") or sdist_path(version)


@functools.cache
def chainer_kernels(version: str = VERSION) -> dict[str, list[dict]]:
    """Kernel name -> its scanned instances (generated kernels have several)."""
    path = sdist(version)
    if not os.path.isfile(path):
        pytest.skip(
            f"Chainer {version} sdist not found at {path} "
            f"(fetch it with: python tools/chainer_sdist.py {version})"
        )
    import kernels_chainer.scan_plugin  # noqa: F401 - Chainer's helpers, stubs and dtypes
    from kernelc.scan.scanner import scan

    found: dict[str, list[dict]] = {}
    for inst in scan(path).to_json()["instances"]:
        found.setdefault(inst["name"], []).append(inst)
    return found


def kernel_args(name: str, params: dict | None = None, origin: str | None = None) -> dict:
    """The constructor arguments of kernel `name` (for generated kernels, the instance
    whose generator parameters include `params`, e.g. {'ndim': 2}; for a name Chainer
    defines at several sites, the one at `origin`, e.g. 'chainer/optimizers/adam.py:314')."""
    return dict(kernel_instance(name, params, origin)["args"])


def kernel_instance(name: str, params: dict | None = None, origin: str | None = None) -> dict:
    """The scanned instance `kernel_args` reads (its `id` names it in docs/coverage.md)."""
    for inst in chainer_kernels()[name]:
        if origin is not None and inst["origin"] != origin:
            continue
        if all(inst.get("params", {}).get(k) == v for k, v in (params or {}).items()):
            return inst
    raise KeyError(f"no instance of {name} with {params} at {origin}")


def run_elementwise(
    target: str,
    name: str,
    *args,
    params: dict | None = None,
    origin: str | None = None,
    size: int | None = None,
) -> Ran:
    """Call Chainer's elementwise kernel `name` with CuPy's call semantics."""
    inst = kernel_instance(name, params, origin)
    kargs = dict(inst["args"])
    strings = (kargs.pop("in_params"), kargs.pop("out_params"), kargs.pop("operation"))
    options = {k: kargs.get(k, "") for k in ("preamble", "loop_prep", "after_loop")}
    try:
        out = call_elementwise(target, *strings, *args, name=name, size=size, **options)
        ran = Ran(out, False)
    except UnsupportedOnTarget:
        out = call_elementwise_interpreted(*strings, *args, name=name, size=size, **options)
        ran = Ran(out, True)
    _note(inst, target, ran.fallback)
    return ran


def run_reduction(
    target: str, name: str, *args, axis=None, keepdims: bool = False, out=None
) -> Ran:
    """Call Chainer's reduction kernel `name` with CuPy's call semantics. (There is no
    interpreted reduction call yet: a target's rejection is raised, not run on the IR.)"""
    inst = kernel_instance(name)
    kargs = dict(inst["args"])
    strings = [
        kargs.pop(k)
        for k in ("in_params", "out_params", "map_expr", "reduce_expr", "post_map_expr", "identity")
    ]
    out = call_reduction(
        target,
        *strings,
        *args,
        name=name,
        reduce_type=kargs.get("reduce_type"),
        preamble=kargs.get("preamble", ""),
        axis=axis,
        keepdims=keepdims,
        out=out,
    )
    _note(inst, target, False)
    return Ran(out, False)
