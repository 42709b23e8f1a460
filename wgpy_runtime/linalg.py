"""`numpy.linalg` on the device (reachable as `cupy.linalg` under the shim): the products
`matmul dot tensordot inner outer vdot trace`, `einsum` (explicit or implicit subscripts,
'...' included) and `norm` here; the decompositions and solvers (`cholesky qr det slogdet
inv solve eigh eigvalsh svd`, `LinAlgError`) from `linalg_decomp`, re-exported.

Rule: every product is a `matmul`; the others are views and reshapes around it. A
`matmul` launches on views of the operands (strided, transposed, broadcast batch axes)
as `_products` plans it: kernelc's tiled matmul programs for float dtypes but float64
under the exact policy, one simple batched kernel for integers, bool and those float64
products, a dot-product reduction for a few outputs of a long shared axis, and a long
shared axis split over several launches. A complex product is four real ones on the
operands' (re, im) parts.
"""

from __future__ import annotations

import string

import numpy as np

from . import _complex, _dtypes, _fastpath, _launch, _products, _shapes
from .creation import asarray
from .linalg_decomp import (  # noqa: F401  (numpy.linalg's names, re-exported)
    LinAlgError,
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    qr,
    slogdet,
    solve,
    svd,
)
from .manipulation import diagonal, moveaxis
from .ndarray import into_out, ndarray
from .reductions import sum as sum_
from .ufuncs import absolute, exp, log, multiply, sqrt


def matmul(a, b, out=None, dtype=None) -> ndarray:
    if dtype is None:  # a call signature launched before (`_fastpath`)
        call = (a, b) if out is None else (a, b, out)
        plan = _fastpath.find(matmul, call)
        if plan is not None and (out is None or out._buf not in (a._buf, b._buf)):
            return plan(call)[0]
    a, b = asarray(a), asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    n, k, m = a2.shape[-2], a2.shape[-1], b2.shape[-1]
    if b2.shape[-2] != k:
        raise ValueError(
            f"matmul: Input operand 1 has a mismatch in its core dimension 0, "
            f"with gufunc signature (n?,k),(k,m?)->(n?,m?) (size {b2.shape[-2]} "
            f"is different from {k})"
        )
    batch = _shapes.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    loop = np.matmul.resolve_dtypes((a.dtype, b.dtype, None))
    rt = _dtypes.normalize(dtype or loop[2])
    a3 = (a2 if a2.dtype == rt else a2.astype(rt))._broadcast_to(batch + (n, k))
    b3 = (b2 if b2.dtype == rt else b2.astype(rt))._broadcast_to(batch + (k, m))
    shape = batch + (n, m)
    into = out if _writable_result(out, shape, rt, (a, b)) else None  # written directly
    result = ndarray(shape, rt, device=a.device) if into is None else into
    if dtype is None and a.dtype == b.dtype == rt and rt.kind != "c" and min(a.ndim, b.ndim) >= 2:
        _replayable_product(a3, b3, (a, b) if out is None else (a, b, out), result)
        return result if out is None or into is not None else into_out(result, out)
    if result.size:
        (_complex_product if rt.kind == "c" else _products.launch)(a3, b3, result)
    if a.ndim == 1:
        result = result.squeeze(-2)
    if b.ndim == 1:
        result = result.squeeze(-1)
    return result if into is not None else into_out(result, out)


def _writable_result(out, shape: tuple, dtype: np.dtype, operands) -> bool:
    """Whether the product can be written straight into `out` as NumPy leaves it: all of
    a buffer of its own, C order, of the result's shape and dtype."""
    return (
        type(out) is ndarray
        and out.shape == shape
        and out.dtype == dtype
        and _launch.is_whole_dense(out)
        and all(out._buf is not x._buf for x in operands)
    )


def _replayable_product(a3: ndarray, b3: ndarray, call: tuple, result: ndarray) -> None:
    """result[...] = a3 @ b3, views of the operands `call[:2]` (matrices of the result's
    real dtype), as a call that later calls of the same signature replay
    (`_fastpath.record_call`): `call` is matmul's arrays, `out` last when given."""
    if not result.size:
        return
    with _fastpath.capturing() as launches:
        _products.launch(a3, b3, result)
    if len(call) == 2:
        _fastpath.record_call(matmul, call, [result], launches)
    elif result is call[2]:
        _fastpath.record_call(matmul, call, [], launches)


def _complex_product(a: ndarray, b: ndarray, result: ndarray) -> None:
    """(Ar + i Ai) @ (Br + i Bi) = (Ar @ Br - Ai @ Bi) + i (Ar @ Bi + Ai @ Br)."""
    component = _dtypes.component(result.dtype)
    parts = []
    for x, y in ((a.real, b.real), (a.imag, b.imag), (a.real, b.imag), (a.imag, b.real)):
        part = ndarray(result.shape, component, device=result.device)
        _products.launch(x, y, part)
        parts.append(part)
    _complex.launch("product_parts", parts, result.dtype, result)


def dot(a, b, out=None) -> ndarray:
    a, b = asarray(a), asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b, out=out)
    if a.ndim <= 2 and b.ndim <= 2:
        return matmul(a, b, out=out)
    return into_out(tensordot(a, b, axes=([a.ndim - 1], [max(b.ndim - 2, 0)])), out)


def tensordot(a, b, axes=2) -> ndarray:
    a, b = asarray(a), asarray(b)
    if isinstance(axes, (int, np.integer)):
        axes_a = list(range(a.ndim - axes, a.ndim))
        axes_b = list(range(axes))
    else:
        axes_a, axes_b = ([x] if isinstance(x, (int, np.integer)) else list(x) for x in axes)
    axes_a = [_shapes.normalize_axis(x, a.ndim) for x in axes_a]
    axes_b = [_shapes.normalize_axis(x, b.ndim) for x in axes_b]
    if len(axes_a) != len(axes_b) or any(a.shape[x] != b.shape[y] for x, y in zip(axes_a, axes_b)):
        raise ValueError("shape-mismatch for sum")
    free_a = [d for d in range(a.ndim) if d not in axes_a]
    free_b = [d for d in range(b.ndim) if d not in axes_b]
    shape = tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b)
    return _contract(a, b, free_a, axes_a, axes_b, free_b).reshape(shape)


def _extent(x: ndarray, axes) -> int:
    return int(np.prod([x.shape[d] for d in axes], dtype=np.int64))


# The fewest rows a batch of views may give each product: below it the matmul tiles run
# mostly empty, and copying the operand is cheaper (H100, ResNet's 512-channel stage: 16
# rows an image, 3.5 TFLOP/s as views against 19.5 for one copied product).
MIN_BATCH_ROWS = 256


def _contract(a, b, free_a, axes_a, axes_b, free_b) -> ndarray:
    """The product of a's free axes with b's, summed over the contracted pairs, as a
    matmul of views where the strides allow (Chainer's im2col convolutions do), else of
    copies: (rows, k) @ (k, n), or a batch over a's leading free axes, or a batch over
    the leading contracted axes summed afterwards when that holds fewer elements than
    the copies it saves."""
    k, rows, n = _extent(a, axes_a), _extent(a, free_a), _extent(b, free_b)
    at, bt = a.transpose(free_a + axes_a), b.transpose(axes_b + free_b)
    if not (a.size and b.size):  # nothing to view: empty products
        return matmul(at.reshape(rows, k), bt.reshape(k, n))
    b2 = bt._reshaped_view((k, n))
    a2 = at._reshaped_view((rows, k))
    for split in range(1, len(free_a) if a2 is None else 0):  # im2col: n transposed matrices
        lead = _extent(a, free_a[:split])
        if rows // lead < MIN_BATCH_ROWS:
            break
        a2 = at._reshaped_view((lead, rows // lead, k))
        if a2 is not None:
            break
    copied = (0 if a2 is not None else at.size) + (0 if b2 is not None else bt.size)
    for split in range(1, len(axes_a) if copied else 0):  # its weight gradient
        batch = _extent(a, axes_a[:split])
        if batch * rows * n >= copied:
            break
        a3 = a.transpose(axes_a[:split] + free_a + axes_a[split:])
        a3 = a3._reshaped_view((batch, rows, k // batch))
        b3 = bt._reshaped_view((batch, k // batch, n))
        if a3 is not None and b3 is not None:
            products = matmul(a3, b3)
            return sum_(products, axis=0, dtype=products.dtype)
    a2 = a2 if a2 is not None else at.reshape(rows, k)
    return matmul(a2, b2 if b2 is not None else bt.reshape(k, n))


def inner(a, b) -> ndarray:
    a, b = asarray(a), asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        return dot(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


def outer(a, b, out=None) -> ndarray:
    a, b = asarray(a).reshape(-1, 1), asarray(b).reshape(1, -1)
    return multiply(a, b, out=out)


def vdot(a, b) -> ndarray:
    """The dot product of the flattened operands, the first one conjugated (NumPy's)."""
    a = asarray(a)
    if a.dtype.kind == "c":
        a = _complex.apply("conjugate", [a])
    return dot(a.reshape(-1), asarray(b).reshape(-1))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None) -> ndarray:
    return sum_(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype, out=out)


# ---------------------------------------------------------------------------- norm


def norm(x, ord=None, axis=None, keepdims=False) -> ndarray:
    """NumPy's vector and matrix norms (integers in float64); ord 2, -2 and 'nuc' of a
    matrix take its singular values (`svd`)."""
    x = asarray(x)
    if x.dtype.kind not in "fc":
        x = x.astype(np.float64)
    if axis is None and (
        ord is None or (ord in ("f", "fro") and x.ndim == 2) or (ord == 2 and x.ndim == 1)
    ):
        flat = x.reshape(-1)
        result = sqrt(sum_(flat * flat))
        return result.reshape((1,) * x.ndim) if keepdims else result
    axes = _norm_axes(axis, x.ndim)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) != 2:
        raise ValueError("Improper number of dimensions to norm.")
    result = _matrix_norm(x, ord, *axes)
    if keepdims:
        shape = list(x.shape)
        shape[axes[0]] = shape[axes[1]] = 1
        result = result.reshape(shape)
    return result


def _norm_axes(axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    elif not isinstance(axis, tuple):
        raise TypeError("'axis' must be None, an integer or a tuple of integers")
    axes = tuple(_shapes.normalize_axis(a, ndim) for a in axis)
    if len(axes) == 2 and axes[0] == axes[1]:
        raise ValueError("Duplicate axes given.")
    return axes


def _vector_norm(x: ndarray, ord, axis: int, keepdims: bool) -> ndarray:
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    if ord is None or ord == 2:
        return sqrt(sum_(x * x, axis=axis, keepdims=keepdims))
    if ord == np.inf:
        return absolute(x).max(axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return absolute(x).min(axis=axis, keepdims=keepdims)
    if ord == 0:
        return sum_((x != 0).astype(x.dtype), axis=axis, keepdims=keepdims)
    if ord == 1:
        return sum_(absolute(x), axis=axis, keepdims=keepdims)
    # |x|^p as exp(p log|x|): float64 exp and log are exact-policy functions, pow is not
    total = sum_(exp(log(absolute(x)) * x.dtype.type(ord)), axis=axis, keepdims=keepdims)
    return exp(log(total) / total.dtype.type(ord))


def _matrix_norm(x: ndarray, ord, row: int, col: int) -> ndarray:
    if ord in (2, -2, "nuc"):
        s = svd(moveaxis(x, (row, col), (-2, -1)), compute_uv=False)
        if ord == "nuc":
            return sum_(s, axis=-1)
        return s.max(axis=-1) if ord == 2 else s.min(axis=-1)
    if ord in (None, "fro", "f"):
        return sqrt(sum_(x * x, axis=(row, col)))
    if ord in (1, -1):  # largest (smallest) column sum
        sums = sum_(absolute(x), axis=row)
        col = col - 1 if col > row else col
        return sums.max(axis=col) if ord == 1 else sums.min(axis=col)
    if ord in (np.inf, -np.inf):  # largest (smallest) row sum
        sums = sum_(absolute(x), axis=col)
        row = row - 1 if row > col else row
        return sums.max(axis=row) if ord == np.inf else sums.min(axis=row)
    raise ValueError("Invalid norm order for matrices.")


# ---------------------------------------------------------------------------- einsum


def einsum(subscripts: str, *operands, **kwargs) -> ndarray:
    """Explicit or implicit subscripts, '...' included (broadcast axes, as NumPy's):
    repeated letters in one operand take its diagonal (a view), then operands are aligned,
    multiplied with broadcasting and summed over the letters not in the output. `dtype`
    casts the operands; `optimize` (the contraction order) does not change the result."""
    kwargs.pop("optimize", None)  # the order of the products: the result is the same
    dtype = kwargs.pop("dtype", None)
    if kwargs:
        raise NotImplementedError(f"einsum options {sorted(kwargs)} are not supported")
    operands = [asarray(op) for op in operands]
    if dtype is not None:
        operands = [op.astype(dtype) for op in operands]
    text = _expand_ellipsis(subscripts.replace(" ", ""), operands)
    inputs, output = _parse_subscripts(text, len(operands))
    views = [_diagonal_view(op, s) for op, s in zip(operands, inputs)]
    letters = list(dict.fromkeys("".join(s for _, s in views)))
    order = list(output) + [c for c in letters if c not in output]
    product = None
    for view, labels in views:
        aligned = _align(view, labels, order)
        product = aligned if product is None else product * aligned
    summed = tuple(range(len(output), len(order)))
    sizes = _letter_sizes(views)
    result = sum_(product, axis=summed) if summed else product
    full_shape = tuple(sizes[c] for c in output)
    return result if result.shape == full_shape else result._broadcast_to(full_shape).copy()


def _expand_ellipsis(text: str, operands) -> str:
    """`text` with each '...' spelled as letters of its own: an operand's '...' stands
    for its leading axes, right-aligned with the others' (broadcast); an implicit output
    puts them first, as NumPy does."""
    if "..." not in text:
        if "." in text:
            raise ValueError(
                "einstein sum subscript string contains a '.' that is not part of '...'"
            )
        return text
    lhs, arrow, out = text.partition("->")
    inputs = lhs.split(",")
    free = [c for c in string.ascii_letters if c not in text]
    counts = []
    for labels, op in zip(inputs, operands):
        explicit = len(labels.replace("...", ""))
        counts.append(max(0, op.ndim - explicit) if "..." in labels else 0)
    width = max(counts, default=0)
    if width > len(free):
        raise ValueError("einsum: too many broadcast axes for the free subscript letters")
    broadcast = "".join(free[:width])
    spelled = [labels.replace("...", broadcast[width - k :]) for labels, k in zip(inputs, counts)]
    if arrow and "..." not in out and width:  # NumPy refuses, extents of 1 too
        raise ValueError(
            "output has more dimensions than subscripts given in einstein sum, but no "
            "'...' ellipsis provided to broadcast the extra dimensions."
        )
    if arrow:
        out = out.replace("...", broadcast)
    else:
        once = [c for c in "".join(spelled) if c.isalpha() and c not in broadcast]
        out = broadcast + "".join(sorted(c for c in set(once) if once.count(c) == 1))
    return ",".join(spelled) + "->" + out


def _parse_subscripts(text: str, n: int) -> tuple[list[str], str]:
    if "->" in text:
        lhs, output = text.split("->")
    else:
        lhs = text
        counts = {c: lhs.count(c) for c in lhs if c.isalpha()}
        output = "".join(sorted(c for c, k in counts.items() if k == 1))
    inputs = lhs.split(",")
    if len(inputs) != n:
        raise ValueError(
            "more operands provided to einstein sum function than specified in "
            "the subscripts string"
            if n > len(inputs)
            else "fewer operands "
            "provided to einstein sum function than specified in the subscripts "
            "string"
        )
    return inputs, output


def _diagonal_view(a: ndarray, labels: str) -> tuple[ndarray, str]:
    if len(labels) != a.ndim:
        raise ValueError("einstein sum subscripts string contains too many subscripts for operand")
    shape, strides, seen = [], [], []
    for c, e, s in zip(labels, a.shape, a._strides):
        if c in seen:
            k = seen.index(c)
            if shape[k] != e:
                raise ValueError("dimensions in operand for collapsing index don't match")
            strides[k] += s
        else:
            seen.append(c)
            shape.append(e)
            strides.append(s)
    return ndarray._view(a._buf, shape, strides, a._offset), "".join(seen)


def _letter_sizes(views) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for view, labels in views:
        for c, e in zip(labels, view.shape):
            if sizes.setdefault(c, e) != e and e != 1 and sizes[c] != 1:
                raise ValueError(f"operands could not be broadcast together (letter {c!r})")
            sizes[c] = max(sizes[c], e)
    return sizes


def _align(view: ndarray, labels: str, order: list[str]) -> ndarray:
    """`view` transposed to `order` with extent-1 axes for the letters it lacks."""
    present = [c for c in order if c in labels]
    moved = view.transpose([labels.index(c) for c in present])
    shape = [moved.shape[present.index(c)] if c in present else 1 for c in order]
    strides = [moved._strides[present.index(c)] if c in present else 0 for c in order]
    return ndarray._view(moved._buf, shape, strides, moved._offset)
