"""Running the shader library's 64-bit functions, which work on pairs of uint32 words, as
an elementwise kernel over word arrays: through the interpreter or on a real target.

Rule: the kernel's preamble is the library source itself (its kc_ functions become the
kernel's own), so what runs is exactly the C that kernelc links for 64-bit dtypes.
"""

from __future__ import annotations

import numpy as np

from kernelc.ir.interp import run_elementwise
from kernelc.lib.library import source_text
from kernelc.pipeline import lower_kernel
from tests.support.kernel_call import call_elementwise

TARGETS = ("interp", "wgsl", "glsl")


def split(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """64-bit values (any 8-byte dtype) -> (high words, low words), uint32."""
    u = np.ascontiguousarray(x).view(np.uint64)
    return (u >> np.uint64(32)).astype(np.uint32), (u & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def join(h: np.ndarray, lo: np.ndarray, dtype) -> np.ndarray:
    u = (h.astype(np.uint64) << np.uint64(32)) | lo.astype(np.uint64)
    return u.view(dtype)


def run_words(
    target: str, sources: tuple[str, ...], operation: str, inputs: dict, outputs: dict
) -> tuple:
    """`operation` over `inputs` (name -> array) writing `outputs` (name -> dtype name), with
    the library files `sources` as preamble. Returns the outputs in order."""
    preamble = source_text(sources)
    in_params = ", ".join(f"{a.dtype.name} {n}" for n, a in inputs.items())
    out_params = ", ".join(f"{dt} {n}" for n, dt in outputs.items())
    if target == "interp":
        kernel, _ = lower_kernel(in_params, out_params, operation, "words", preamble)
        args = dict(inputs)
        n = next(iter(inputs.values())).size
        args.update({name: np.zeros(n, dt) for name, dt in outputs.items()})
        run_elementwise(kernel, args, (n,))
        return tuple(args[name] for name in outputs)
    result = call_elementwise(
        target, in_params, out_params, operation, *inputs.values(), name="words", preamble=preamble
    )
    return result if isinstance(result, tuple) else (result,)
