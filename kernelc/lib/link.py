"""Linking the shader library into a kernel's IR, as CUDA links libdevice.

Rule: every built-in the target has no native function for becomes a `LibCall` of the
library function implementing it, and exactly the library functions the kernel reaches
(through its calls, through each other, or through `roots`, the ones an emitter calls
itself) are appended to `Kernel.functions`. `x != x` on floats is spelled `isnan(x)` first:
a target may assume finite math, so only the library's bit test means what C means.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import cache

from kernelc.errors import InternalCompilerError
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import bool_, float32
from kernelc.ir.visit import function_facts, rewrite, rewrite_kernel, walk
from kernelc.lib.library import library, library_name, math_key

B = ir.BinaryOp


def link(kernel: ir.Kernel, natives: frozenset[str], roots: Iterable[str] = ()) -> ir.Kernel:
    """`kernel` calling the library for every built-in not in `natives` (keys of the
    target's native table), with the library functions it reaches appended."""
    functions = _resolved(natives)
    clash = [f.name for f in kernel.functions if f.name in functions]
    if clash:
        raise InternalCompilerError(f"kernel function '{clash[0]}' has a library name")
    calls = _calls(natives, functions)
    kernel = rewrite_kernel(kernel, calls)
    wanted = [*roots, *_lib_calls(kernel, functions)]
    linked = _closure(wanted, functions)
    return replace(kernel, functions=kernel.functions + linked)


def _calls(natives: frozenset[str], functions: dict[str, ir.Function]):
    def fn(node):
        match node:
            case ir.Binary(op=B.NE | B.EQ as op, lhs=a, rhs=b) if a.dtype is float32 and a == b:
                isnan = fn(ir.Math("isnan", (a,), bool_))
                return isnan if op is B.NE else ir.Unary(ir.UnaryOp.NOT, isnan, bool_)
            case ir.Math(args=args, dtype=dtype) if math_key(node) not in natives:
                name = library_name(node)
                if name not in functions:
                    raise InternalCompilerError(
                        f"built-in {math_key(node)}: neither native nor in the shader library"
                    )
                return ir.LibCall(name, args, dtype)
        return node

    return fn


@cache
def _resolved(natives: frozenset[str]) -> dict[str, ir.Function]:
    """The library with its own built-in calls resolved for a target with `natives`."""
    calls = _calls(natives, library().functions)
    return {
        name: replace(f, body=rewrite(f.body, calls)) for name, f in library().functions.items()
    }


def _closure(wanted: list[str], functions: dict[str, ir.Function]) -> tuple[ir.Function, ...]:
    need: set[str] = set()
    stack = list(wanted)
    while stack:
        name = stack.pop()
        if name in need:
            continue
        if name not in functions:
            raise InternalCompilerError(f"no library function {name}")
        need.add(name)
        stack += function_facts(functions[name])[0]
    return tuple(f for name, f in functions.items() if name in need)


def _lib_calls(kernel: ir.Kernel, functions: dict[str, ir.Function]) -> list[str]:
    """Library functions the kernel calls: in expressions, or (those returning through
    reference parameters, as the 64-bit ones do) by `Call` of a library name."""
    bodies = [kernel.body, *(f.body for f in kernel.functions)]
    if kernel.reduction is not None:
        r = kernel.reduction
        bodies += [r.identity_body, (ir.Return(r.identity),), r.map_body, r.post_body]
    calls = (n for body in bodies for n in walk(body) if isinstance(n, (ir.LibCall, ir.Call)))
    return [n.func for n in calls if isinstance(n, ir.LibCall) or n.func in functions]
