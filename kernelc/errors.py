"""Diagnostics: source texts, spans, and the user-facing error hierarchy.

Rule: every error a user can cause is a `KernelCompileError` that points into the kernel
text (`name:line:col: error: ...`, the line, a caret). Our own bugs are
`InternalCompilerError` and never pose as the user's mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, eq=False)
class SourceText:
    """One piece of kernel text (`operation`, `preamble`, ...) and where it starts in a file."""

    section: str
    text: str
    line_base: int = 1  # line number of the first line of `text`

    def line_col(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.text)))
        line_start = self.text.rfind("\n", 0, offset) + 1
        line = self.text.count("\n", 0, offset)
        return line + self.line_base, offset - line_start + 1

    def line_text(self, offset: int) -> str:
        offset = max(0, min(offset, len(self.text)))
        start = self.text.rfind("\n", 0, offset) + 1
        end = self.text.find("\n", offset)
        return self.text[start : end if end >= 0 else len(self.text)]


@dataclass(frozen=True, slots=True)
class Span:
    """A byte range in one `SourceText`."""

    source: SourceText
    start: int
    end: int

    def to(self, other: Span) -> Span:
        return Span(self.source, self.start, max(self.end, other.end))

    @property
    def line_col(self) -> tuple[int, int]:
        return self.source.line_col(self.start)


def render(kernel: str, span: Span | None, severity: str, message: str, notes=()) -> str:
    """`kernel:line:col: severity: message`, then the source line and a caret."""
    if span is None:
        lines = [f"{kernel}: {severity}: {message}"]
    else:
        line, col = span.line_col
        text = span.source.line_text(span.start)
        width = max(1, min(span.end, span.start + len(text) - col + 1) - span.start)
        # the caret's indent copies the line's tabs, so it lands under the column whatever
        # the terminal's tab width
        indent = "".join("\t" if c == "\t" else " " for c in text[: col - 1])
        lines = [
            f"{kernel}:{line}:{col}: {severity}: {message}",
            f"    {text}",
            "    " + indent + "^" + "~" * (width - 1),
        ]
        if span.source.section:
            notes = (*notes, f"in {span.source.section} of kernel '{kernel}'")
    lines += [f"note: {n}" for n in notes]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Warning_:
    """A translation warning (kept, not raised): double computed in f32, dropped asserts."""

    kernel: str
    span: Span | None
    message: str

    def __str__(self) -> str:
        return render(self.kernel, self.span, "warning", self.message)

    def to_json(self) -> dict:
        line, col = self.span.line_col if self.span else (None, None)
        return {"message": self.message, "line": line, "column": col, "text": str(self)}


class KernelCompileError(Exception):
    """A user error in kernel text or parameters."""

    kind = "error"

    def __init__(self, message: str, span: Span | None = None, *, notes=(), kernel: str = ""):
        super().__init__(message)
        self.message = message
        self.span = span
        self.notes = tuple(notes)
        self.kernel = kernel

    def with_kernel(self, kernel: str) -> KernelCompileError:
        if not self.kernel:
            self.kernel = kernel
        return self

    @property
    def line(self) -> int | None:
        return self.span.line_col[0] if self.span else None

    @property
    def column(self) -> int | None:
        return self.span.line_col[1] if self.span else None

    def __str__(self) -> str:
        return render(self.kernel or "kernel", self.span, "error", self.message, self.notes)


class KernelSyntaxError(KernelCompileError):
    """The text is not in the accepted CUDA C subset's grammar."""


class KernelTypeError(KernelCompileError):
    """Types do not fit: unknown type, unbound placeholder, bad operand types."""


class KernelNameError(KernelCompileError):
    """An undeclared, duplicate or reserved name."""


class UnsupportedFeatureError(KernelCompileError):
    """Valid CUDA that cannot exist on WebGPU/WebGL (`__syncthreads`, recursion, goto...)."""


class UnsupportedOnTarget(UnsupportedFeatureError):
    """Valid on one target, impossible on this one (scatter in a GLSL fragment shader)."""


@dataclass
class InternalCompilerError(Exception):
    """Our bug: the IR broke an invariant, or an emitter met a node it does not handle."""

    message: str
    context: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "internal compiler error: " + self.message
