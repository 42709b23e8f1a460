"""Reproduce the polynomial coefficients of the math polyfills in the shader library
(kernelc/lib/math.cu).

Each fit is a weighted minimax fit (Lawson's iteratively reweighted least squares) on a
dense grid against a float64 (or mpmath) reference; coefficients are rounded to float32
one at a time, lowest first, and the remaining ones refitted, so that the rounding of one
is absorbed by the others. Needs numpy, scipy and mpmath (development only):

    python tools/fit_math_coefficients.py
"""

from __future__ import annotations

import mpmath
import numpy as np
import scipy.special as sp


def lawson(basis: np.ndarray, f: np.ndarray, w: np.ndarray, iters: int = 150) -> np.ndarray:
    """Coefficients c minimising max |w (f - basis c)| (approximately)."""
    lam = np.full(len(f), 1.0 / len(f))
    best, best_err = None, np.inf
    for _ in range(iters):
        sw = np.sqrt(lam) * w
        c = np.linalg.lstsq(basis * sw[:, None], f * sw, rcond=None)[0]
        e = np.abs(w * (f - basis @ c))
        if e.max() < best_err:
            best, best_err = c, e.max()
        lam = lam * e
        lam /= lam.sum()
    return best


def fit(v: np.ndarray, f: np.ndarray, deg: int, w: np.ndarray | None = None) -> list[float]:
    """f ~ sum c_k v^k with float32 coefficients; `w` weighs the error (default relative)."""
    w = 1 / np.abs(f) if w is None else w
    fixed: list[float] = []
    for k in range(deg + 1):
        resid = f - sum(c * v**j for j, c in enumerate(fixed))
        basis = np.stack([v**j for j in range(k, deg + 1)], 1)
        fixed.append(float(np.float32(lawson(basis, resid, w)[0])))
    return fixed


def show(name: str, coeffs: list[float]) -> None:
    print(
        f"{name}: "
        + ", ".join(
            np.format_float_positional(np.float32(c), unique=True)
            if abs(c) >= 1e-4
            else np.format_float_scientific(np.float32(c), unique=True)
            for c in coeffs
        )
    )


def main() -> None:
    r = np.linspace(-0.3466 * 1.02, 0.3466 * 1.02, 20001)  # ln2/2 and a margin
    r = r[r != 0]
    show("e^r - 1 = r + r^2 P(r)", fit(r, (np.expm1(r) - r) / r**2, 4, w=r**2 / np.exp(r)))

    x = np.linspace(1e-6, 1.0, 20001)
    show("erf(x) = x + x R(x^2)", fit(x * x, sp.erf(x) / x - 1, 6, w=x / sp.erf(x)))
    for lo, hi, deg in ((0.5, 2.0, 11), (2.0, 4.0, 9)):
        a = np.linspace(lo, hi, 20001)
        show(
            f"erfcx(a), a in [{lo}, {hi}), in a - {(lo + hi) / 2}",
            fit(a - (lo + hi) / 2, sp.erfcx(a), deg),
        )
    t = np.linspace(1e-6, 1 / 3, 20001)
    show(
        "erfcx(a) = t H(t - 1/6), t = 2/(2+a)",
        fit(t - np.float32(1 / 6), sp.erfcx(2 / t - 2) / t, 8),
    )

    w = np.linspace(0, 5, 20001)
    y = np.sqrt(-np.expm1(-w))
    y[0] = 1e-30
    p1 = sp.erfinv(y) / y
    p1[0] = np.sqrt(np.pi) / 2
    show("erfinv = y P(w - 2.5), w < 5", fit(w - 2.5, p1, 9))
    s = np.linspace(np.sqrt(5), 4.0, 20001)
    y = np.sqrt(-np.expm1(-s * s))
    show("erfinv = y Q(sqrt(w) - 3)", fit(s - 3, sp.erfcinv(np.exp(-s * s) / (1 + y)) / y, 9))
    s = np.linspace(3.95, 10.4, 20001)
    q = np.exp(-s * s) / (1 + np.sqrt(-np.expm1(-s * s)))
    show("erfcinv = s T(1/s - 0.175)", fit(1 / s - np.float32(0.175), sp.erfcinv(q) / s, 6))

    mpmath.mp.dps = 30
    t = np.linspace(0, 1, 8001)
    t[0], t[-1] = 1e-9, 1 - 1e-9
    g = np.array([float(mpmath.gamma(1 + mpmath.mpf(float(v))) - 1) for v in t])
    show(
        "Gamma(1+t) - 1 = t (t-1) D(t - 0.5)",
        fit(t - 0.5, g / (t * (t - 1)), 10, w=np.abs(t * (t - 1)) / np.abs(g)),
    )
    r = np.linspace(1e-7, 0.5, 20001)
    show("sin(pi r) = r S(r^2)", fit(r * r, np.sin(np.pi * r) / r, 4))


if __name__ == "__main__":
    main()
