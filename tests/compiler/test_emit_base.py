"""The emitters' shared machinery: names, float literals, helper libraries, analyses.

Rule: pure Python, no shader compiler needed.
"""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernelc.emit.base import breaks_out, call_order, falls_through
from kernelc.emit.text import HelperLibrary, Namer, f32_digits, f32_value, reserved_words, sanitize
from kernelc.errors import InternalCompilerError
from kernelc.ir import nodes as ir
from tests.support import ir_samples as s


@pytest.mark.parametrize(
    "name, compiler, expected",
    [
        ("x", False, "x"),
        ("_x", False, "x"),
        ("a__b", False, "a_b"),
        ("__", False, "v"),
        ("gl_Pos", False, "v_gl_Pos"),
        ("webgl_x", False, "v_webgl_x"),
        ("kc_t", False, "v_kc_t"),
        ("kc_pos_x__y", True, "kc_pos_x_y"),
        ("9lives", False, "v9lives"),
        ("a.b", False, "a_b"),
    ],
)
def test_sanitize(name, compiler, expected):
    assert sanitize(name, compiler=compiler) == expected


def test_namer_is_unique_deterministic_and_scoped():
    top = Namer(reserved_words())
    assert top.claim("u") == "u"
    assert [top.fresh(n) for n in ("u", "u", "float", "select", "a_")] == [
        "u_1",
        "u_2",
        "float_1",
        "select_1",
        "a_",
    ]
    assert top.fresh("a_") == "a_1"  # never `a__1`
    inner = top.child()
    assert inner.fresh("u") == "u_3" and inner.fresh("fresh") == "fresh"
    assert top.child().fresh("fresh") == "fresh"  # siblings do not see each other
    with pytest.raises(InternalCompilerError):
        top.claim("u")


def test_reserved_words_cover_both_targets():
    words = reserved_words()
    for w in (
        "fn",
        "let",
        "var",
        "loop",
        "select",
        "bitcast",
        "f32",
        "float",
        "uniform",
        "inversesqrt",
        "texelFetch",
        "sample",
        "input",
        "highp",
        "ptr",
        "array",
    ):
        assert w in words


@given(st.integers(0, 2**32 - 1))
def test_float_literals_round_trip(bits):
    v = struct.unpack("<f", struct.pack("<I", bits))[0]
    if not math.isfinite(v):
        return
    text = f32_digits(v)
    assert "." in text or "e" in text
    assert f32_value(float(text)) == v and math.copysign(1, float(text)) == math.copysign(1, v)
    assert len(text.replace("-", "").replace(".", "").split("e")[0].strip("0")) <= 9


def test_float_literal_spellings():
    assert [f32_digits(v) for v in (10.0, 0.1, 1e-5, 1e20, -0.0, 16777216.0, 3.4e38)] == [
        "10.0",
        "0.1",
        "0.00001",
        "1e+20",
        "-0.0",
        "16777216.0",
        "3.4e+38",
    ]
    assert f32_value(1e39) == math.inf and f32_value(-1e39) == -math.inf


def test_helper_library_orders_and_closes_dependencies():
    lib = HelperLibrary(
        "// header\n\nfn kc_a() {}\n\n// uses a\nfn kc_b() { kc_a(); }\n\nfn kc_c() { kc_b(); }\n"
    )
    assert lib.helpers["kc_c"].deps == ("kc_b",)
    assert lib.closure({"kc_c"}) == ["kc_a", "kc_b", "kc_c"]
    assert lib.render({"kc_b"}) == "fn kc_a() {}\n\n// uses a\nfn kc_b() { kc_a(); }\n"
    assert lib.render(set()) == ""
    with pytest.raises(InternalCompilerError, match="before their definition"):
        HelperLibrary("fn kc_b() { kc_a(); }\n\nfn kc_a() {}\n")
    with pytest.raises(InternalCompilerError, match="unknown helper"):
        lib.closure({"kc_zz"})


def test_flow_analyses():
    brk, cont, ret = ir.Break(), ir.Continue(), ir.Return()
    assert falls_through(()) and not falls_through((ret,))
    assert falls_through((ir.If(s.c(True), (ret,)),))
    assert not falls_through((ir.If(s.c(True), (ret,), (brk,)),))
    assert not falls_through((ir.Loop((ir.If(s.c(True), (ret,)),)),))  # no break: endless
    assert falls_through((ir.Loop((ir.If(s.c(True), (brk,)),)),))
    assert breaks_out((ir.If(s.c(True), (), (brk,)),))
    assert not breaks_out((ir.Loop((brk,)), cont))  # the inner loop's break is its own


def test_call_order_and_recursion():
    f = s.fn("f", [], None, [ir.Call("g", ())])
    g = s.fn("g", [], None, [])
    assert [x.name for x in call_order((f, g))] == ["g", "f"]
    loop_a = s.fn("a", [], None, [ir.Call("b", ())])
    loop_b = s.fn("b", [], None, [ir.Call("a", ())])
    with pytest.raises(InternalCompilerError, match="recursive"):
        call_order((loop_a, loop_b))
    with pytest.raises(InternalCompilerError, match="undefined function 'h'"):
        call_order((s.fn("a", [], None, [ir.Call("h", ())]),))
