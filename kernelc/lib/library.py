"""The library's C sources lowered to IR functions, once per process.

Rule: every function of every source is instantiated (none is a template), validated and
folded; a library that does not lower cleanly, warnings included, is our bug. The sources
in `WIDE_SOURCES` are written with `double`: they are lowered under the exact 64-bit policy
and their 64-bit values put on u32 words by the wide64 pass, like a kernel's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from importlib import resources

from kernelc import frontend
from kernelc.errors import InternalCompilerError, KernelCompileError
from kernelc.ir import builtins, dtypes
from kernelc.ir import nodes as ir
from kernelc.ir.lower import Lowerer, Specialisation
from kernelc.ir.passes.fold import fold_constants
from kernelc.ir.passes.wide64 import widen_64bit
from kernelc.ir.validate import validate

# In order: a later file may call an earlier one's functions.
SOURCES = ("bits.cu", "math.cu", "half.cu", "int64.cu", "float64.cu", "bessel.cu")
# After SOURCES, whose word functions they reach; float64_trig.cu and float64_special.cu
# call float64_math.cu's, float64_inverse.cu also float64_special.cu's, and
# float64_bessel.cu float64_trig.cu's argument reduction and kernels.
WIDE_SOURCES = (
    "float64_math.cu",
    "float64_trig.cu",
    "float64_special.cu",
    "float64_inverse.cu",
    "float64_bessel.cu",
)
NAME = "kernelc_lib"
PREFIX = "kc_"  # IR function names with this prefix belong to the library


def library_name(e: ir.Math) -> str:
    """The library function implementing built-in `e` where the target has no native one:
    `kc_<fn>`; fminf/fmaxf on floats are the NaN-aware `kc_fmin`/`kc_fmax`."""
    if builtins.MATH[e.fn].kind == "generic":
        return PREFIX + {"min": "fmin", "max": "fmax"}.get(e.fn, e.fn)
    return PREFIX + e.fn


def math_key(e: ir.Math) -> str:
    """The key of `e` in an emitter's table of native functions (`fn` or `fn.kind`)."""
    return f"{e.fn}.{e.dtype.kind}" if builtins.MATH[e.fn].kind == "generic" else e.fn


@dataclass(frozen=True)
class Library:
    """The library's functions by name, in source order."""

    functions: dict[str, ir.Function]


def source_text(sources: tuple[str, ...] = SOURCES) -> str:
    files = resources.files(__package__)
    return "\n".join(files.joinpath(f).read_text(encoding="utf-8") for f in sources)


@cache
def library() -> Library:
    try:
        with dtypes.exact64(False):
            words = _lower(source_text())
        with dtypes.exact64(True):
            wide = _lower(source_text(WIDE_SOURCES), words)
        return Library({f.name: f for f in (*words, *wide)})
    except KernelCompileError as e:
        raise InternalCompilerError(f"the shader library does not compile: {e}") from e


def _lower(text: str, words: tuple[ir.Function, ...] = ()) -> tuple[ir.Function, ...]:
    """The functions of `text`, validated; with `words` (the word-level library they may
    call), their 64-bit values widened first."""
    src = frontend.parse_elementwise("", "", "", NAME, preamble=text)
    low = Lowerer(src, {}, Specialisation(ndim=0))
    low.library_code = True
    low.collect_preamble()
    for name, defs in low.function_defs.items():
        if not name.startswith(PREFIX) or len(defs) != 1 or defs[0].template_params:
            raise InternalCompilerError(f"library function '{name}': one kc_ overload, no template")
        low.instantiate(defs[0], {}, defs[0].span)
    if low.warnings():
        raise InternalCompilerError(f"the shader library warns: {low.warnings()[0]}")
    order = {name: k for k, name in enumerate(low.function_defs)}
    functions = sorted(low.function_order, key=lambda f: order[f.name])
    kernel = validate(ir.Kernel(NAME, (), tuple(functions), (), 0))
    if words:
        kernel = replace(kernel, functions=(*words, *kernel.functions))
        kernel = validate(widen_64bit(kernel, "any"), legal_for="any")
    checked = validate(fold_constants(kernel)).functions[len(words) :]
    return tuple(replace(f, library=True) for f in checked)
