"""The frontend: CuPy kernel strings -> `ast.ElementwiseSource` (lex, preprocess, parse).

Rule: the one entry for a whole kernel is `parse_elementwise`; every error it raises is a
`KernelCompileError` carrying the kernel's name, and nothing else escapes for any input.
Sections are parsed in CuPy's order (params, preamble, loop_prep, operation, after_loop)
with one macro table, so the preamble's macros, typedefs and templates apply after it.
"""

from __future__ import annotations

import re

from kernelc.errors import KernelCompileError, KernelNameError, KernelSyntaxError, SourceText, Span
from kernelc.frontend import ast
from kernelc.frontend.lexer import Token, tokenize
from kernelc.frontend.params import check_params, parse_params
from kernelc.frontend.parser import parse_block, parse_expression, parse_translation_unit
from kernelc.frontend.preprocess import Macro, Preprocessor

__all__ = [
    "Macro",
    "Preprocessor",
    "Token",
    "check_params",
    "parse_block",
    "parse_elementwise",
    "parse_reduction",
    "parse_expression",
    "parse_params",
    "parse_translation_unit",
    "tokenize",
]

_KERNEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z_0-9]*", re.ASCII)


def parse_elementwise(
    in_params: str,
    out_params: str,
    operation: str,
    name: str,
    preamble: str = "",
    loop_prep: str = "",
    after_loop: str = "",
    line_bases: dict[str, int] | None = None,
) -> ast.ElementwiseSource:
    """Parse an `ElementwiseKernel(in_params, out_params, operation, name, preamble=...,
    loop_prep=..., after_loop=...)`. `line_bases` maps a section name to the line its text
    starts on (for kernels read from a file)."""
    _check_name(name)
    bases = line_bases or {}
    texts = {
        "in_params": in_params,
        "out_params": out_params,
        "preamble": preamble,
        "loop_prep": loop_prep,
        "operation": operation,
        "after_loop": after_loop,
    }
    sources = {key: SourceText(key, text, bases.get(key, 1)) for key, text in texts.items()}
    return _guarded(name, _parse_sections, name, sources)


def parse_reduction(
    in_params: str,
    out_params: str,
    map_expr: str,
    reduce_expr: str,
    post_map_expr: str,
    identity: str | None,
    name: str,
    reduce_type: str | None = None,
    preamble: str = "",
    line_bases: dict[str, int] | None = None,
) -> ast.ReductionSource:
    """Parse a `ReductionKernel(in_params, out_params, map_expr, reduce_expr, post_map_expr,
    identity, name, reduce_type, preamble=...)`; the four expressions are C expressions."""
    _check_name(name)
    bases = line_bases or {}
    texts = {
        "in_params": in_params,
        "out_params": out_params,
        "preamble": preamble,
        "map_expr": map_expr,
        "reduce_expr": reduce_expr,
        "post_map_expr": post_map_expr,
        "identity": "" if identity is None else str(identity),
        "reduce_type": reduce_type or "",
    }
    sources = {key: SourceText(key, text, bases.get(key, 1)) for key, text in texts.items()}
    return _guarded(name, _parse_reduction_sections, name, sources)


def _check_name(name: str) -> None:
    if not _KERNEL_NAME.fullmatch(name):
        raise KernelNameError(
            f"invalid kernel name '{name}'",
            notes=("a kernel name must match ^[a-zA-Z_][a-zA-Z_0-9]*$",),
        ).with_kernel(name or "kernel")


def _guarded(name: str, parse, *args):
    try:
        return parse(*args)
    except KernelCompileError as err:
        raise err.with_kernel(name) from None
    except RecursionError:  # a backstop: the parsers bound their own depth
        raise KernelSyntaxError("expression nested too deeply").with_kernel(name) from None


def _parse_header(sources: dict[str, SourceText], template_names: set, typedefs: dict):
    """Params and the preamble: (params, placeholder names, preprocessor, preamble AST).
    The preamble adds its templates and typedefs to the sets given, for what follows."""
    ins = parse_params(sources["in_params"].text, False, sources["in_params"])
    outs = parse_params(sources["out_params"].text, True, sources["out_params"])
    check_params(ins, outs)
    type_names = {p.type for p in (*ins, *outs) if len(p.type) == 1}
    pp = Preprocessor()
    tu = parse_translation_unit(sources["preamble"], pp, type_names, template_names, typedefs)
    return ins + outs, type_names, pp, tu


def _parse_reduction_sections(name: str, sources: dict[str, SourceText]) -> ast.ReductionSource:
    params, type_names, pp, tu = _parse_header(sources, set(), {})

    def expression(key: str) -> ast.Expr:
        return parse_expression(sources[key], pp, type_names)

    identity = expression("identity") if sources["identity"].text.strip() else None
    reduce_type = " ".join(sources["reduce_type"].text.split()) or None
    span = Span(sources["reduce_type"], 0, len(sources["reduce_type"].text))
    return ast.ReductionSource(
        name,
        params,
        tu,
        expression("map_expr"),
        expression("reduce_expr"),
        expression("post_map_expr"),
        identity,
        reduce_type,
        span if reduce_type else None,
    )


def _parse_sections(name: str, sources: dict[str, SourceText]) -> ast.ElementwiseSource:
    """Params, then the preamble, then the bodies, sharing macros, typedefs and templates."""
    template_names: set[str] = set()
    typedefs: dict[str, str] = {}
    params, type_names, pp, tu = _parse_header(sources, template_names, typedefs)
    loop_prep, operation, after_loop = (
        parse_block(sources[key], pp, type_names, template_names, typedefs)
        for key in ("loop_prep", "operation", "after_loop")
    )
    macros = dict(pp.macros)
    return ast.ElementwiseSource(name, params, tu, loop_prep, operation, after_loop, macros=macros)
