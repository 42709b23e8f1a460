"""`translate_matmul`: the tiled matrix-product programs (docs/abi.md, "Matmul programs").

Rule: a matmul has no kernel text to parse; its specialisation (dtype, batch axes,
transposed operands, WGSL tiles) goes straight to the targets' matmul shells, which
print it with the emitters' machinery. Any exception other than ValueError for a bad
option is our bug and leaves as an `InternalCompilerError`.
"""

from __future__ import annotations

from kernelc.abi import Program
from kernelc.abi.matmul import tiles_of
from kernelc.emit.matmul import KERNEL_NAME, MatmulSpec, matmul_kernel
from kernelc.emit_glsl.matmul import GlslMatmulEmitter
from kernelc.emit_glsl.matmul_packed import emit_packed_matmul
from kernelc.emit_wgsl.matmul import WgslMatmulEmitter
from kernelc.errors import InternalCompilerError
from kernelc.pipeline import link_library
from kernelc.targets import target_named

EMITTERS = {"wgsl": WgslMatmulEmitter, "glsl": GlslMatmulEmitter}


def translate_matmul(
    dtype="float32",
    *,
    target: str,
    batch_ndim: int = 0,
    trans_a: bool = False,
    trans_b: bool = False,
    tiles=None,
    packed: bool = True,
    fold: int = 0,
) -> Program:
    """The program computing C = A @ B for `target` ('wgsl' or 'glsl').

    dtype: of A, B and C ('float16', 'float32', or 'float64', held as float32); products
    are accumulated in float32. batch_ndim: batch axes before the matrix axes (0 for one
    matrix product). trans_a / trans_b: the operand is a transposed view (its M, resp.
    N, axis is the contiguous one); any strides give the right result, these only choose
    the coalesced load order (WGSL). tiles: WGSL tile shape, a preset name of
    `kernelc.abi.matmul.TILES` (default 'large') or (m, n, k, thread_m, thread_n).
    packed: GLSL only; operands packed into RGBA texels and 2x2 blocks of C per fragment
    (launch kind 'packed_matmul'), or, when False, one element of C per fragment.
    fold: WGSL only, for float32 operands holding integers: C is int32, the float32 sums
    are folded into int32 ones every `fold` multiply-adds (a multiple of the tiles' k),
    so the product is exact while `fold` products' sums stay below 2^24 and C's below
    2^31; 0 (the default) accumulates in float32 only.
    """
    caps = target_named(target)
    dtype = getattr(dtype, "name", dtype)
    tiles = tiles_of(tiles) if caps.workgroup_tiles else None
    packed = bool(packed) and caps.packed_texels
    spec = MatmulSpec(
        str(dtype), batch_ndim, bool(trans_a), bool(trans_b), tiles, packed, fold
    ).check()
    try:
        kernel = link_library(matmul_kernel(spec), target)
        if packed:
            code, abi = emit_packed_matmul(spec, kernel)
        else:
            code, abi = EMITTERS[target](spec, kernel).emit()
    except InternalCompilerError:
        raise
    except Exception as e:  # our bug: say so, with the specialisation
        raise InternalCompilerError(f"{type(e).__name__}: {e}", [f"matmul {spec}"]) from e
    return Program(KERNEL_NAME, target, code, abi, [])
