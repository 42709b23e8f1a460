"""Names, text and primitives for the emitters: the keyword-safe `Namer`, the indented
`Writer`, exact float32 literals, and `HelperLibrary` (each emitter's primitives, kept in
a shader text file, emitted only when used).

Rule: everything here is deterministic, so the same IR always prints the same text.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources

from kernelc.errors import InternalCompilerError

INDENT = "    "


# ---------------------------------------------------------------------------- names

_NOT_IDENT = re.compile(r"[^A-Za-z0-9_]")
_UNDERSCORES = re.compile(r"__+")
_RESERVED_PREFIXES = ("gl_", "webgl_", "kc_")


@cache
def reserved_words() -> frozenset[str]:
    """Both targets' keywords, reserved words and built-in names (imported late: the
    target packages import this module)."""
    from kernelc.emit_glsl import keywords as glsl
    from kernelc.emit_wgsl import keywords as wgsl

    return glsl.ALL | wgsl.ALL


def sanitize(name: str, *, compiler: bool = False) -> str:
    """A valid identifier on both targets: no `__`, no leading `_`, no `gl_`/`webgl_`
    prefix, and no `kc_` prefix unless `compiler` (names made by kernelc itself)."""
    s = _UNDERSCORES.sub("_", _NOT_IDENT.sub("_", name))
    if not compiler:
        s = s.lstrip("_")
    if not s or s[0].isdigit():
        s = "v" + s
    if s.startswith(_RESERVED_PREFIXES[:2]) or (not compiler and s.startswith("kc_")):
        s = "v_" + s
    return s


def _suffixed(name: str, stem: str) -> bool:
    """Whether `name` is `stem` with a `fresh` suffix (`_1`, or `1` after a `_`)."""
    return name.startswith(stem) and name[len(stem) :].lstrip("_").isdigit()


class Namer:
    """Deterministic, keyword-safe names for one scope; a child scope avoids every name
    of its ancestors, so a local can never hide a global or a function."""

    def __init__(self, reserved: frozenset[str], parent: Namer | None = None):
        self._reserved = reserved
        self._parent = parent
        self._used: set[str] = set()

    def child(self) -> Namer:
        return Namer(self._reserved, self)

    def taken(self, name: str) -> bool:
        if name in self._reserved or name in self._used:
            return True
        return self._parent is not None and self._parent.taken(name)

    def met_by(self, stems: frozenset[str]) -> frozenset[str]:
        """The names taken here (not reserved words) that `fresh` of one of `stems` could
        meet: a stem itself or a stem with a suffix."""
        mine = {n for n in self._used for s in stems if n == s or _suffixed(n, s)}
        return frozenset(mine) | (self._parent.met_by(stems) if self._parent else frozenset())

    def fresh(self, base: str, *, compiler: bool = False) -> str:
        """`base` sanitised, made unique with `_1`, `_2`, ..."""
        stem = sanitize(base, compiler=compiler)
        sep = "" if stem.endswith("_") else "_"
        name, k = stem, 0
        while self.taken(name):
            k += 1
            name = f"{stem}{sep}{k}"
        self._used.add(name)
        return name

    def claim(self, name: str) -> str:
        """Take exactly `name` (the emitter's own fixed names: `u`, `main`, `i`)."""
        if self.taken(name):
            raise InternalCompilerError(f"emitter name '{name}' is already taken")
        self._used.add(name)
        return name


# ---------------------------------------------------------------------------- text


class Writer:
    """Lines with their indentation depth; `text()` renders them."""

    def __init__(self) -> None:
        self.lines: list[tuple[int, str]] = []
        self.depth = 0

    def line(self, text: str = "") -> None:
        self.lines.append((self.depth, text))

    def extend(self, lines: list[tuple[int, str]]) -> None:
        self.lines += [(self.depth + d, t) for d, t in lines]

    @contextmanager
    def indented(self) -> Iterator[None]:
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def text(self) -> str:
        return "".join(f"{INDENT * d}{t}\n" if t else "\n" for d, t in self.lines)


def f32_value(v: float) -> float:
    """`v` rounded to float32 (overflow gives a signed infinity, as in C)."""
    try:
        return struct.unpack("<f", struct.pack("<f", v))[0]
    except OverflowError:
        return math.copysign(math.inf, v)


def f32_digits(v: float) -> str:
    """The shortest decimal that reads back as the same float32 (finite `v`), positional
    unless its exponent is large, always with a `.` or an exponent (a float literal)."""
    v = f32_value(v)
    for digits in range(1, 10):
        s = f"{v:.{digits}g}"
        if f32_value(float(s)) == v:
            break
    if "e" in s and -5 <= int(s.split("e")[1]) <= 9:
        s = format(Decimal(s), "f")
    return s if ("." in s or "e" in s) else s + ".0"


# ---------------------------------------------------------------------------- helpers


@dataclass(frozen=True, slots=True)
class Helper:
    name: str
    text: str
    deps: tuple[str, ...]


class HelperLibrary:
    """Helper declarations (functions, private globals) kept in a shader text file.

    The file is a sequence of blocks separated by blank lines; a block declares the first
    `kc_` name of its first code line and depends on the other helpers its code names.
    Every helper comes after the helpers it uses, and `render` keeps file order, so the
    output is deterministic and declares before use (GLSL needs that)."""

    def __init__(self, text: str):
        blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", text.strip())]
        parsed = [p for p in map(self._parse, blocks) if p is not None]
        names = [name for name, _, _ in parsed]
        self.helpers: dict[str, Helper] = {}
        for name, block, tokens in parsed:
            if name in self.helpers:
                raise InternalCompilerError(f"helper {name} defined twice")
            deps = tuple(dict.fromkeys(t for t in tokens if t in names and t != name))
            late = [d for d in deps if d not in self.helpers]
            if late:
                raise InternalCompilerError(f"helper {name} uses {late} before their definition")
            self.helpers[name] = Helper(name, block, deps)
        self.names = frozenset(self.helpers)

    @classmethod
    def from_resource(cls, package: str, *filenames: str) -> HelperLibrary:
        """One library from the files, in order (a later file may use an earlier one's)."""
        files = resources.files(package)
        return cls("\n\n".join(files.joinpath(f).read_text(encoding="utf-8") for f in filenames))

    @staticmethod
    def _parse(block: str) -> tuple[str, str, list[str]] | None:
        """(name, text, kc_ names in its code), or None for a comment-only block."""
        code = [ln.split("//")[0] for ln in block.splitlines() if not ln.lstrip().startswith("//")]
        tokens = re.findall(r"\bkc_\w+", "\n".join(code))
        if not any(ln.strip() for ln in code):
            return None  # the file's leading comment
        if not tokens:
            raise InternalCompilerError(f"helper block without a kc_ name:\n{block}")
        return tokens[0], block, tokens[1:]

    def closure(self, used: set[str]) -> list[str]:
        """`used` and everything they need, in file order."""
        need: set[str] = set()
        stack = list(used)
        while stack:
            name = stack.pop()
            if name not in need:
                if name not in self.helpers:
                    raise InternalCompilerError(f"unknown helper {name}")
                need.add(name)
                stack += self.helpers[name].deps
        return [n for n in self.helpers if n in need]

    def render(self, used: set[str]) -> str:
        return "\n\n".join(self.helpers[n].text for n in self.closure(used)) + "\n" if used else ""
