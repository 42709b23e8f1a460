"""Inclusive scans along the last axis (`cumsum`, `cumprod`) as a blocked parallel scan.

Each row is cut into blocks of `BLOCK` elements: one launch folds every block to its
total, the row of totals is scanned the same way (recursively, until one block is left),
and a last launch gives each element its block's prefix combined with the elements
before it in its block.

Rule: no invocation loops over more than `BLOCK` elements, whatever the length, so a
scan needs no long serial loop (Mesa's software drivers stop any shader loop after 65,535
iterations; real GPUs then also keep all their cores busy). Every step is an
ElementwiseKernel, so both targets run the same kernels.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from . import _dtypes
from .kernel import ElementwiseKernel
from .ndarray import ndarray

BLOCK = 32  # elements one invocation combines: levels = ceil(log_BLOCK(length))


@dataclass(frozen=True)
class ScanOp:
    """A scan's combining operator (`a OP b`) and its identity, as C text."""

    name: str
    op: str
    identity: str


ADD = ScanOp("cumsum", "+", "0")
MULTIPLY = ScanOp("cumprod", "*", "1")


def accumulator(dtype: np.dtype) -> np.dtype:
    """The dtype partial results are held in: float16 scans accumulate in float32."""
    return np.dtype(np.float32) if dtype.kind == "f" and dtype.itemsize < 4 else dtype


def _block_range(row: str, block: str, length: str) -> str:
    """C text declaring this block's first element `lo` and end `hi` in row `row`."""
    return (
        f"int lo = {block} * {BLOCK};\n"
        f"int hi = lo + {BLOCK} < {length} ? lo + {BLOCK} : {length};\n"
        f"int base = {row} * {length};\n"
    )


@functools.cache
def _fold_kernel(op: ScanOp, in_dtype: np.dtype, acc: np.dtype) -> ElementwiseKernel:
    """y[r, b] = the total of block b of row r of x (rows of `n`, `nb` blocks)."""
    ct = _dtypes.ctype(acc)
    return ElementwiseKernel(
        f"raw {in_dtype.name} x, int32 n, int32 nb",
        f"{acc.name} y",
        "int row = (int)(i / nb);\n"
        + _block_range("row", "(int)(i % nb)", "n")
        + f"{ct} s = {op.identity};\n"
        f"for (int j = lo; j < hi; j++) {{ s = s {op.op} ({ct})x[base + j]; }}\n"
        "y = s;",
        f"wp_{op.name}_fold",
    )


@functools.cache
def _finish_kernel(
    op: ScanOp, in_dtype: np.dtype, acc: np.dtype, out_dtype: np.dtype, with_prefix: bool
) -> ElementwiseKernel:
    """y[r, k] = prefix[r, k / BLOCK - 1] OP x[r, block start .. k] (`prefix`: the
    inclusive scan of the block totals; none for a single block)."""
    ct = _dtypes.ctype(acc)
    start = "b > 0 ? prefix[row * nb + b - 1] : " if with_prefix else ""
    params = f"raw {in_dtype.name} x, " + (f"raw {acc.name} prefix, " if with_prefix else "")
    return ElementwiseKernel(
        params + "int32 n, int32 nb",
        f"{out_dtype.name} y",
        f"int row = (int)(i / n);\nint k = (int)(i % n);\nint b = k / {BLOCK};\n"
        + _block_range("row", "b", "n")
        + f"{ct} s = {start}({ct}){op.identity};\n"
        f"for (int j = lo; j <= k; j++) {{ s = s {op.op} ({ct})x[base + j]; }}\n"
        f"y = ({_dtypes.ctype(out_dtype)})s;",
        f"wp_{op.name}_block" if with_prefix else f"wp_{op.name}_short",
    )


def scan_rows(op: ScanOp, x: ndarray, out: ndarray) -> None:
    """out[..., k] = x[..., 0] OP ... OP x[..., k] for a C-contiguous `x` and `out` of one
    shape (any number of rows, any row length)."""
    n = x.shape[-1]
    if out.size == 0:
        return
    acc = accumulator(out.dtype)
    nb = -(-n // BLOCK)
    if nb == 1:
        _finish_kernel(op, x.dtype, acc, out.dtype, False)(x, n, nb, out)
        return
    rows = out.size // n
    totals = ndarray((rows, nb), acc, device=out.device)
    _fold_kernel(op, x.dtype, acc)(x, n, nb, totals)
    prefix = ndarray((rows, nb), acc, device=out.device)
    scan_rows(op, totals, prefix)
    _finish_kernel(op, x.dtype, acc, out.dtype, True)(x, prefix, n, nb, out)
