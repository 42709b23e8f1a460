"""Kernel definitions found in files: `.cu` kernels with a header, and literal
`ElementwiseKernel(...)` calls in Python sources.

Rule: reading a file never translates; it yields `KernelDef`s (the constructor's strings
and where each section starts in the file), or a `KernelCompileError` that points at the
file position.
"""

from __future__ import annotations

import ast as pyast
import codecs
import os
import re
from dataclasses import dataclass, field

from kernelc.errors import KernelSyntaxError, SourceText, Span
from kernelc.scan.pysource import parse_python

SECTIONS = ("preamble", "loop_prep", "operation", "after_loop")
HEADER_KEYS = ("name", "in_params", "out_params", "scalars")
CONSTRUCTOR_ARGS = ("in_params", "out_params", "operation", "name", "reduce_dims", "preamble")


@dataclass
class KernelDef:
    name: str
    in_params: str
    out_params: str
    operation: str
    preamble: str = ""
    loop_prep: str = ""
    after_loop: str = ""
    line_bases: dict[str, int] = field(default_factory=dict)
    origin: str = ""
    scalars: tuple[str, ...] = ()  # non-raw inputs the kernel is called with as scalars

    def translate_args(self) -> dict:
        return {
            "in_params": self.in_params,
            "out_params": self.out_params,
            "operation": self.operation,
            "name": self.name,
            "preamble": self.preamble,
            "loop_prep": self.loop_prep,
            "after_loop": self.after_loop,
            "line_bases": self.line_bases,
            "scalars": self.scalars,
        }


_HEADER = re.compile(r"^\s*//\s*([a-z_]+)\s*:(.*)$")


def read_cu(path: str, text: str) -> KernelDef:
    """`// name:`, `// in_params:`, `// out_params:` header lines, then sections started by
    `// preamble:`, `// loop_prep:`, `// operation:`, `// after_loop:` (the body is the
    operation when no section line is given)."""
    header: dict[str, str] = {}
    sections: dict[str, list[str]] = {}
    bases: dict[str, int] = {}
    current = None
    for lineno, line in enumerate(text.splitlines(), 1):
        m = _HEADER.match(line)
        key = m.group(1) if m else None
        if key in SECTIONS:
            current = key
            sections[key] = [m.group(2).strip()] if m.group(2).strip() else []
            bases[key] = lineno if m.group(2).strip() else lineno + 1
        elif current is None and key in HEADER_KEYS:
            header[key] = m.group(2).strip()
            bases[key] = lineno
        elif current is None and (not line.strip() or line.lstrip().startswith("//")):
            # comment lines before the body are documentation
            continue
        else:
            if current is None:
                current, bases["operation"] = "operation", lineno
                sections["operation"] = []
            sections[current].append(line)
    missing = [k for k in ("in_params", "out_params") if k not in header]
    if missing:
        source = SourceText(path, text)
        raise KernelSyntaxError(
            f"missing header line '// {missing[0]}: ...'",
            Span(source, 0, 0),
            kernel=header.get("name", path),
        )
    body = {k: "\n".join(v) for k, v in sections.items()}
    return KernelDef(
        header.get("name", "kernel"),
        header["in_params"],
        header["out_params"],
        body.get("operation", ""),
        body.get("preamble", ""),
        body.get("loop_prep", ""),
        body.get("after_loop", ""),
        bases,
        origin=path,
        scalars=_names(header.get("scalars", "")),
    )


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def _is_constructor(func: pyast.expr) -> bool:
    name = func.attr if isinstance(func, pyast.Attribute) else getattr(func, "id", None)
    return name == "ElementwiseKernel"


def read_python(path: str, text: str) -> tuple[list[KernelDef], list[str]]:
    """Every `ElementwiseKernel(...)` call whose arguments are string literals; the notes
    list the calls skipped because an argument is computed at run time."""
    try:
        tree = parse_python(text, path)
    except SyntaxError as e:
        source = SourceText(path, text)
        offset = _offset(text, e.lineno or 1, (e.offset or 1) - 1)
        raise KernelSyntaxError(
            f"Python syntax error: {e.msg}", Span(source, offset, offset + 1), kernel=path
        ) from None
    found, skipped = [], []
    for node in pyast.walk(tree):
        if isinstance(node, pyast.Call) and _is_constructor(node.func):
            kdef = _literal_call(node, path)
            if kdef is None:
                skipped.append(
                    f"{path}:{node.lineno}: ElementwiseKernel with non-literal arguments skipped"
                )
            else:
                found.append(kdef)
    return found, skipped


def _literal_call(node: pyast.Call, path: str) -> KernelDef | None:
    args: dict[str, pyast.expr] = dict(zip(CONSTRUCTOR_ARGS, node.args))
    args.update({k.arg: k.value for k in node.keywords if k.arg})
    values, bases = {}, {}
    for key in ("in_params", "out_params", "operation", "name", *SECTIONS):
        if key not in args:
            continue
        arg = args[key]
        if not (isinstance(arg, pyast.Constant) and isinstance(arg.value, str)):
            return None
        values[key] = arg.value
        bases[key] = arg.lineno  # line 1 of the string is the line its literal opens on
    if not {"in_params", "out_params", "operation"} <= values.keys():
        return None
    return KernelDef(
        values.get("name", "kernel"),
        values["in_params"],
        values["out_params"],
        values["operation"],
        values.get("preamble", ""),
        values.get("loop_prep", ""),
        values.get("after_loop", ""),
        {k: v for k, v in bases.items() if k != "name"},
        origin=f"{path}:{node.lineno}",
    )


def _offset(text: str, line: int, col: int) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(x) for x in lines[: line - 1]) + col


MAX_SOURCE_BYTES = 64 * 2**20  # one source file or archive member (docs/kernel-language.md)


class SourceTooLarge(OSError):
    """A source file or archive member over `MAX_SOURCE_BYTES`: refused before reading."""


def check_size(name: str, size: int, where: str = "") -> None:
    if size > MAX_SOURCE_BYTES:
        raise SourceTooLarge(
            f"{where}{name} is {size} bytes: source files over "
            f"{MAX_SOURCE_BYTES // 2**20} MiB are not read"
        )


def decode_source(path: str, data: bytes) -> str:
    """A source file's text as a C compiler (and Python) reads it: UTF-8, a leading byte
    order mark skipped; a byte that is not UTF-8 is a located error, not a traceback."""
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        shown = data.decode("utf-8", errors="replace")
        offset = len(data[: e.start].decode("utf-8", errors="replace"))
        message = f"invalid UTF-8 byte 0x{data[e.start]:02x}: source files are read as UTF-8"
        span = Span(SourceText("", shown), offset, offset + 1)
        raise KernelSyntaxError(message, span, kernel=path) from None


def read_kernels(path: str) -> tuple[list[KernelDef], list[str]]:
    check_size(path, os.path.getsize(path))
    with open(path, "rb") as f:
        text = decode_source(path, f.read())
    if path.endswith(".py"):
        return read_python(path, text)
    return [read_cu(path, text)], []
