"""A Chainer kernel test as one row of data: the kernel's name, the arguments Chainer
passes it, and a NumPy reference; `check` runs a row on one target.

Rule: the arguments are made the way Chainer makes them (its dtypes, its Python scalars,
its views), the reference is Chainer's CPU code path where it has one (else the kernel's
math in float64), and a row says whether the target may hand the kernel to the IR
interpreter: only the GLSL target, and only for kernels with atomics or scatter.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from kernelc import InternalCompilerError, KernelCompileError
from tests.chainer.harness import Ran, run_elementwise, run_reduction


@dataclass(frozen=True)
class Case:
    """One call of a Chainer kernel and what it must return."""

    kernel: str
    args: Callable[[np.random.Generator], tuple]  # Chainer's call arguments, from an rng
    ref: Callable[..., object]  # the same arguments -> the output, or a tuple of them
    rtol: float = 1e-5
    atol: float = 0.0
    tag: str = ""  # tells apart several rows of one kernel
    glsl_fallback: bool = False  # WebGL cannot run it (atomics, scatter): the interpreter does
    reduction: dict | None = None  # a ReductionKernel: its call options (axis, keepdims)
    size: int | Callable[[tuple], int] | None = None  # CuPy's `size=`, or Chainer's rule
    xfail: str | None = None  # a strict xfail: the feature or the bug that blocks it
    xfail_on: tuple[str, ...] = ("wgsl", "glsl")  # the targets it blocks

    @property
    def id(self) -> str:
        return f"{self.kernel}-{self.tag}" if self.tag else self.kernel


def params(cases: list[Case]) -> list:
    """`cases` as pytest parameters named by kernel (and tag)."""
    return [pytest.param(c, id=c.id) for c in cases]


def run(target: str, case: Case, args: tuple) -> Ran:
    if case.reduction is not None:
        return run_reduction(target, case.kernel, *args, **case.reduction)
    size = case.size(args) if callable(case.size) else case.size
    return run_elementwise(target, case.kernel, *args, size=size)


def check(target: str, case: Case) -> None:
    """Run `case` on `target`, then compare with its reference and its fallback flag. A
    case marked xfail on `target` must fail (strict: a pass fails the test, so that the
    mark is removed once the feature or the fix lands)."""
    if not (case.xfail and target in case.xfail_on):
        _check(target, case)
        return
    try:
        _check(target, case)
    except (AssertionError, KernelCompileError, InternalCompilerError) as e:
        pytest.xfail(f"{case.xfail} ({type(e).__name__})")
    pytest.fail(f"[XPASS(strict)] {case.xfail}: passes on {target}", pytrace=False)


def _check(target: str, case: Case) -> None:
    args = case.args(np.random.default_rng(zlib.crc32(case.id.encode())))
    want = case.ref(*_copies(args))  # before the call: outputs passed in are updated in place
    ran = run(target, case, args)
    assert ran.fallback == (target == "glsl" and case.glsl_fallback), (
        f"{case.kernel} on {target}: fallback={ran.fallback}"
    )
    assert_outputs(ran.outputs, want, case.rtol, case.atol)


def assert_outputs(got, want, rtol: float, atol: float) -> None:
    """Each output has the reference's dtype and shape; floats within tolerance, the
    rest exact."""
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for k, (g, w) in enumerate(zip(got, want)):
        w = np.asarray(w)
        assert g.dtype == w.dtype, f"output {k}: dtype {g.dtype}, expected {w.dtype}"
        assert g.shape == w.shape, f"output {k}: shape {g.shape}, expected {w.shape}"
        if w.dtype.kind == "f":
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"output {k}")
        else:
            np.testing.assert_array_equal(g, w, err_msg=f"output {k}")


def _copies(args: tuple) -> tuple:
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


# Inputs. Chainer's arrays are float32 unless a row says otherwise.


def normal(rng: np.random.Generator, shape, scale: float = 1.0, dtype=np.float32):
    return (rng.standard_normal(shape) * scale).astype(dtype)


def uniform(rng: np.random.Generator, shape, low: float, high: float, dtype=np.float32):
    return rng.uniform(low, high, shape).astype(dtype)


def planted(x: np.ndarray, *values: float) -> np.ndarray:
    """`x` with `values` written over its first elements: the branch points of a kernel
    (0, a cap, ±2.5) then occur in every run."""
    flat = x.reshape(-1)
    flat[: len(values)] = values
    return x
