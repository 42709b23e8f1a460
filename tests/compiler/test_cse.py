"""The common-subexpression pass: a statement's repeated costly subexpressions (64-bit
operations, math functions) are computed once, only from positions always evaluated, and
the kernels compute what they computed before (the interpreter; naga and glslang accept
the programs)."""

from __future__ import annotations

import numpy as np
import pytest

from kernelc.ir import nodes as ir
from kernelc.ir.interp import run_elementwise
from kernelc.ir.passes.cse import eliminate_common_subexpressions
from kernelc.ir.visit import walk
from kernelc.pipeline import lower_kernel, translate_elementwise
from tests.compiler.test_lib_float64 import operands, same
from tests.support.validate import validate_glsl, validate_wgsl


def _pass(operation: str) -> tuple[ir.Kernel, ir.Kernel]:
    kernel, _ = lower_kernel("float64 x, float64 y", "float64 z", operation, exact64=True)
    return kernel, eliminate_common_subexpressions(kernel)


def _hoisted(kernel: ir.Kernel) -> list[ir.Expr]:
    return [
        s.init for s in kernel.body if isinstance(s, ir.Declare) and s.name.startswith("kc_cse")
    ]


def _same_results(before: ir.Kernel, after: ir.Kernel) -> bool:
    x, y = operands(400)
    results = []
    for kernel in (before, after):
        z = np.zeros(x.size)
        run_elementwise(kernel, {"x": x, "y": y, "z": z}, (x.size,))
        results.append(z)
    return bool(same(*results).all())


def test_a_repeated_64bit_operation_is_computed_once():
    before, after = _pass("z = (x - y) * (x - y) + exp(x - y)")
    assert len(_hoisted(after)) == 1
    subtract = [n for n in walk(after.body) if isinstance(n, ir.Binary) and n.op.value == "sub"]
    assert len(subtract) == 1
    assert _same_results(before, after)


@pytest.mark.parametrize("target, validate", [("wgsl", validate_wgsl), ("glsl", validate_glsl)])
def test_the_shader_calls_the_library_once(target, validate):
    program = translate_elementwise(
        "float64 x, float64 y",
        "float64 z",
        "z = (x - y) * (x - y)",
        "k",
        target=target,
        exact64=True,
    )
    validate(program.code)
    body = program.code[program.code.index("main(") :]
    assert body.count("kc_f64_sub(") == 1


def test_conditional_positions_are_not_hoisted():
    """`exp(x)` twice in one branch of `?:`, `sqrt(y)` on the right of `&&`: each would
    run where it did not before, so neither is hoisted; the condition's own repeat is."""
    _, after = _pass("z = (x > 0 && sqrt(y) > sqrt(y)) ? exp(x) + exp(x) : exp(y) * exp(y)")
    assert _hoisted(after) == []
    before, after = _pass("z = (log(x) > log(x) + 1) ? exp(x) + exp(x) : 0")
    (hoisted,) = _hoisted(after)
    assert isinstance(hoisted, ir.Math) and hoisted.fn == "log"
    assert _same_results(before, after)


def test_nested_repeats_hoist_the_inner_one_first():
    before, after = _pass("z = sqrt(x * y + 1) * sqrt(x * y + 1) - x * y")
    product, plus_one, root = _hoisted(after)  # x * y, then + 1 of its local, then sqrt
    assert isinstance(product, ir.Binary) and product.op.value == "mul"
    assert isinstance(plus_one, ir.Binary) and isinstance(plus_one.lhs, ir.Local)
    assert isinstance(root, ir.Math) and isinstance(root.args[0], ir.Local)
    assert _same_results(before, after)
