"""Reproduce the coefficient tables of the Bessel functions in the shader library:
`kc_besf_poly`'s table in kernelc/lib/bessel.cu (float32) and `kc_bes_coef` in
kernelc/lib/float64_bessel.cu (float64, as the words of doubles).

Each fit takes the least degree whose error is below the precision's tolerance (TOL),
against mpmath at 30 digits (40 for float64's I beyond 8):

- |x| < 8: J0, J1, R0 = Y0 - (2/pi) log(x) J0 and R1 = Y1 - (2/pi) (log(x) J1 - 1/x),
  by Chebyshev interpolation converted to monomials, in x^2 near 0 (J1 and R1 divided by
  x) and in t = x - c between: about each zero of J rounded to the working precision, c,
  (J(c + t) - J(c)) / t is fitted to a relative error and J(c) prepended as the constant
  term (relative accuracy at the zeros); elsewhere c is the piece's midpoint.
- I0, I1 below 8 in x^2 (I1 divided by x); beyond, e^-x sqrt(x) I(x) in u = 8/x: float32
  by a weighted least-squares Chebyshev fit on [0, 1], float64 by interpolation on [0, 1/2]
  and [1/2, 1].
- x >= 8: J + iY = sqrt(2/(pi x)) M e^(i theta), theta = x - (2n + 1) pi/4 + phi; M - 1
  and phi x/8 by least-squares Chebyshev fits in v = (8/x)^2 on 260 Chebyshev nodes.

The tables hold the pieces in the order below, each highest coefficient first; the .cu code
addresses a piece by its (first, count), which this script prints with its centre and fit
error. Needs numpy and mpmath (development only); from the repository root, about 15 s:

    python tools/fit_bessel_coefficients.py          # compare with the tables in the .cu files
    python tools/fit_bessel_coefficients.py --write  # rewrite those tables
"""

from __future__ import annotations

import argparse
import re
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

import mpmath as mp
import numpy as np
from numpy.polynomial import chebyshev as C
from numpy.polynomial import polynomial as P

LIB = Path(__file__).resolve().parents[1] / "kernelc" / "lib"
TOL = {"float32": 3e-9, "float64": 1.5e-17}
pi = mp.pi


@dataclass
class Piece:
    name: str  # J0, J1, R0, R1, I0, I1, M0, P0, M1, P1, IB0, IB1 (IB0_0.0, ... for float64)
    coef: list[float]  # lowest first
    deg: int
    err: float
    variable: str  # what the polynomial is evaluated at


def R0(x):
    x = mp.mpf(x)
    return mp.bessely(0, x) - 2 / pi * mp.log(x) * mp.besselj(0, x)


def R1(x):
    x = mp.mpf(x)
    return mp.bessely(1, x) - 2 / pi * (mp.log(x) * mp.besselj(1, x) - 1 / x)


def J(n):
    return lambda x: mp.besselj(n, x)


def modulus_phase(order: int, x):
    """M and phi of J_order + i Y_order at x (phi reduced to (-pi, pi])."""
    x = mp.mpf(x)
    j, y = mp.besselj(order, x), mp.bessely(order, x)
    ph = mp.atan2(y, j) - (x - (2 * order + 1) * pi / 4)
    return mp.sqrt(pi * x / 2) * mp.sqrt(j * j + y * y), ph - 2 * pi * mp.nint(ph / (2 * pi))


def scaled_i(n: int, x):
    """e^-x sqrt(x) I_n(x)."""
    x = mp.mpf(x)
    return mp.besseli(n, x) * mp.exp(-x) * mp.sqrt(x)


def nodes(lo: float, hi: float, n: int = 260) -> np.ndarray:
    k = np.arange(n)
    return (np.cos(np.pi * (k + 0.5) / n)[::-1] + 1) / 2 * (hi - lo) + lo


def fit_mp(fn, lo: float, hi: float, tol: float, rel: bool, maxdeg: int = 40):
    """Chebyshev interpolation of fn on [lo, hi] in monomials (lowest first), the least
    degree with error below tol (relative to fn's least magnitude where `rel`)."""
    scale = 1.0
    if rel:
        scale = np.abs([float(fn(mp.mpf(x))) for x in nodes(lo, hi, 400)]).min()
    for deg in range(2, maxdeg):
        poly, e = mp.chebyfit(fn, [lo, hi], deg + 1, error=True)
        if float(e) / scale < tol:
            return [float(c) for c in poly][::-1], deg, float(e) / scale
    raise ValueError(f"no degree below {maxdeg} fits within {tol}")


def fit_lsq(name: str, s: np.ndarray, g: np.ndarray, tol: float, w=None, maxdeg: int = 22):
    """Least-squares Chebyshev fit of g(s) on [0, 1] in monomials (lowest first), the least
    degree whose float64 Horner evaluation is within tol (weighted by w); else the best."""
    best = None
    for deg in range(2, maxdeg):
        cheb = C.Chebyshev.fit(s, g, deg, domain=[0.0, 1.0], w=w)
        mono = cheb.convert(kind=P.Polynomial, domain=[0.0, 1.0], window=[0.0, 1.0]).coef
        ev = np.zeros_like(s)
        for c in mono[::-1]:
            ev = ev * s + c
        err = np.abs((ev - g) * (w if w is not None else 1)).max()
        if err < tol:
            return list(mono), deg, err
        if best is None or err < best[2]:
            best = (list(mono), deg, err)
    print(f"{name}: no degree within {tol:g}, the best kept (degree {best[1]})", file=sys.stderr)
    return best


def small_pieces(tol: float, single: bool) -> list[Piece]:
    """J0, J1, R0, R1 between the pieces at 0 and 8, in the tables' order."""
    z = mp.besseljzero
    specs = [  # (name, f, lo, hi, centre, about a zero)
        ("J0", J(0), 1.25, 4.0, z(0, 1), True),
        ("J0", J(0), 4.0, 7.0, z(0, 2), True),
        ("J0", J(0), 7.0, 8.0, mp.mpf(7.5), False),
        ("J1", J(1), 2.0, 5.5, z(1, 1), True),
        ("J1", J(1), 5.5, 8.0, z(1, 2), True),
        ("R0", R0, 2.0, 5.0, mp.mpf(3.5), False),
        ("R0", R0, 5.0, 8.0, mp.mpf(6.5), False),
        ("R1", R1, 2.0, 5.0, mp.mpf(3.5), False),
        ("R1", R1, 5.0, 8.0, mp.mpf(6.5), False),
    ]
    out = []
    for name, f, lo, hi, c, at_zero in specs:
        if at_zero:  # the zero rounded to the working precision; J(c) kept exactly
            c = mp.mpf(float(np.float32(float(c))) if single else float(c))
            f0 = f(c)
            g = lambda t, f=f, c=c, f0=f0: (f(c + t) - f0) / t if t != 0 else mp.diff(f, c)
        else:
            g = lambda t, f=f, c=c: f(c + t)
        mono, deg, err = fit_mp(g, lo - c, hi - c, tol, at_zero)
        coef = [float(f0), *mono] if at_zero else mono
        out.append(Piece(name, coef, deg, err, f"x - {float(c)!r}"))
    return out


def pieces_at_zero(tol: float) -> list[Piece]:
    """J0, J1, R0, R1 (below 1.25 or 2) and I0, I1 (below 8) in y = x^2, odd ones over x."""
    out = []
    for name, f, hi, odd in (
        ("J0", J(0), 1.25, False),
        ("J1", J(1), 2.0, True),
        ("R0", R0, 2.0, False),
        ("R1", R1, 2.0, True),
        ("I0", lambda x: mp.besseli(0, x), 8.0, False),
        ("I1", lambda x: mp.besseli(1, x), 8.0, True),
    ):
        if name[0] == "R":  # R's limit at 0, from a tiny x
            tiny = mp.mpf(1e-25)
            at0 = f(tiny) / (tiny if odd else 1)
        else:
            at0 = mp.mpf(0.5 if odd else 1)
        g = lambda y, f=f, odd=odd, at0=at0: (
            f(mp.sqrt(y)) / (mp.sqrt(y) if odd else 1) if y > 0 else at0
        )
        mono, deg, err = fit_mp(g, 0.0, hi * hi, tol, name[0] != "R")
        out.append(Piece(name, mono, deg, err, "x^2"))
    return out


def far_pieces(tol: float) -> list[Piece]:
    """M0 - 1, phi0 x/8, M1 - 1, phi1 x/8 in v = (8/x)^2."""
    out = []
    v = nodes(0.0, 1.0)
    x = 8 / np.sqrt(v)
    for order in (0, 1):
        mps = [modulus_phase(order, mp.mpf(xx)) for xx in x]
        m = np.array([float(mm - 1) for mm, _ in mps])
        ph = np.array([float(p * mp.mpf(xx) / 8) for (_, p), xx in zip(mps, x)])
        out.append(Piece(f"M{order}", *fit_lsq(f"M{order}", v, m, max(tol, 3e-17)), "(8/x)^2"))
        tol_phase = max(tol * 0.02, 6e-17)
        out.append(Piece(f"P{order}", *fit_lsq(f"P{order}", v, ph, tol_phase), "(8/x)^2"))
    return out


def scaled_i_pieces(tol: float, single: bool) -> list[Piece]:
    """e^-x sqrt(x) I(x) in u = 8/x: one weighted fit on [0, 1] (float32), or interpolation
    on [0, 1/2] and [1/2, 1] at 40 digits (float64)."""
    out = []
    if single:
        u = nodes(0.0, 1.0)
        x = 8 / np.where(u == 0, 1e-300, u)
        for n in (0, 1):
            g = np.array([float(scaled_i(n, mp.mpf(xx))) for xx in x])
            fit = fit_lsq(f"IB{n}", u, g, max(tol, 6e-17), 1 / np.abs(g))
            out.append(Piece(f"IB{n}", *fit, "8/x"))
        return out
    with mp.workdps(40):
        for n in (0, 1):
            for lo, hi in ((0.0, 0.5), (0.5, 1.0)):
                g = lambda u, n=n: scaled_i(n, 8 / u) if u > 0 else 1 / mp.sqrt(2 * pi)
                for deg in range(8, 40):
                    poly, e = mp.chebyfit(g, [lo, hi], deg + 1, error=True)
                    if e < 5e-18:
                        break
                coef = [float(c) for c in poly][::-1]
                out.append(Piece(f"IB{n}_{lo}", coef, deg, float(e), f"8/x in [{lo}, {hi}]"))
    return out


def fit_all(dtype: str) -> list[Piece]:
    single, tol = dtype == "float32", TOL[dtype]
    mp.mp.dps = 30
    pieces = small_pieces(tol, single) + pieces_at_zero(tol) + far_pieces(tol)
    return pieces + scaled_i_pieces(tol, single)


def table(pieces: list[Piece], single: bool) -> tuple[list[float], list[tuple]]:
    """The table (each piece highest coefficient first, trailing zeros dropped) and each
    piece's (name, first, count, variable, error)."""
    values, layout = [], []
    for p in pieces:
        c = list(p.coef)
        while len(c) > 1 and c[-1] == 0.0:
            c.pop()
        layout.append((p.name, len(values), len(c), p.variable, p.err))
        values.extend(float(np.float32(v)) if single else float(v) for v in c[::-1])
    return values, layout


def f32_literal(v: float) -> str:
    f = np.float32(v)
    if 1e-4 <= abs(v) < 1e6 or v == 0:
        s = np.format_float_positional(f, unique=True)
    else:
        s = np.format_float_scientific(f, unique=True)
    return (s + "0" if s.endswith(".") else s.replace(".e", ".0e")) + "f"


def wrapped(items: list[str], indent: str) -> list[str]:
    lines, line = [], indent
    for item in items:
        if len(line) + len(item) + 2 > 96:
            lines.append(line.rstrip())
            line = indent
        line += " " + item + ","
    return [*lines, line.rstrip().rstrip(",")]


def f32_block(values: list[float]) -> str:
    lines = wrapped([f32_literal(v) for v in values], " " * 7)
    return f"    float c[{len(values)}] = {{\n" + "\n".join(lines) + "\n    };"


def f64_block(values: list[float]) -> str:
    words = []
    for v in values:
        b = struct.unpack("<Q", struct.pack("<d", v))[0]
        words += [f"0x{b >> 32:08x}u", f"0x{b & 0xFFFFFFFF:08x}u"]
    lines = wrapped(words, " " * 3)
    return f"__constant__ unsigned int kc_bes_coef[{len(words)}] = {{\n" + "\n".join(lines) + "};"


FILES = {  # dtype -> (file, the table's text, its block builder)
    "float32": ("bessel.cu", r"    float c\[\d+\] = \{.*?\n    \};", f32_block),
    "float64": (
        "float64_bessel.cu",
        r"__constant__ unsigned int kc_bes_coef\[\d+\] = \{.*?\};",
        f64_block,
    ),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the tables in the .cu files")
    write = parser.parse_args().write
    differ = False
    for dtype, (name, pattern, block) in FILES.items():
        values, layout = table(fit_all(dtype), dtype == "float32")
        print(f"{name}: {len(values)} coefficients (tolerance {TOL[dtype]:g})")
        for piece, first, count, variable, err in layout:
            print(f"  {piece:8} first {first:3}  count {count:2}  error {err:7.2g}  in {variable}")
        path = LIB / name
        text = path.read_text(encoding="utf-8")
        old = re.search(pattern, text, re.DOTALL)
        new = block(values)
        if old.group() == new:
            print("  the table matches")
        elif write:
            path.write_text(text.replace(old.group(), new), encoding="utf-8")
            print(f"  rewrote the table in {path}")
        else:
            differ = True
            print("  the table differs (--write rewrites it)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
