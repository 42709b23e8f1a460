"""Frontend tests: lexer, preprocessor, parser, CuPy params, diagnostics, and fuzzing.

Expressions are checked through `unparse`, which parenthesises every compound operand,
so `a + b * c` must print `a + (b * c)`: the expected strings spell out the tree.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernelc.errors import (
    KernelCompileError,
    KernelNameError,
    KernelSyntaxError,
    KernelTypeError,
    SourceText,
    UnsupportedFeatureError,
)
from kernelc.frontend import (
    Preprocessor,
    ast,
    check_params,
    parse_block,
    parse_elementwise,
    parse_params,
    parse_translation_unit,
    tokenize,
)
from kernelc.frontend.unparse import unparse

# ---------------------------------------------------------------------------- helpers


def block(src: str, types=("T",), templates=(), pp=None) -> ast.Block:
    return parse_block(SourceText("operation", src), pp, types, templates)


def stmt(src: str, **kw) -> ast.Stmt:
    (only,) = block(src, **kw).stmts
    return only


def expr(src: str, **kw) -> ast.Expr:
    s = stmt(src + ";", **kw)
    assert isinstance(s, ast.ExprStmt)
    return s.expr


def show(src: str, **kw) -> str:
    return unparse(expr(src, **kw))


def preamble(src: str, types=("T",), templates=None, typedefs=None) -> ast.TranslationUnit:
    return parse_translation_unit(
        SourceText("preamble", src), None, set(types), templates, typedefs
    )


def strip(node):
    """A node as nested tuples without spans, for structural comparison."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        fields = [f.name for f in dataclasses.fields(node) if f.name not in ("span", "name_span")]
        return (type(node).__name__, *(strip(getattr(node, f)) for f in fields))
    if isinstance(node, tuple):
        return tuple(strip(x) for x in node)
    return node


def body_text(b: ast.Block) -> str:
    return "\n".join(unparse(s) for s in b.stmts)


def kinds(src: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(SourceText("op", src))[:-1]]


def error(fn, *args, **kw) -> KernelCompileError:
    with pytest.raises(KernelCompileError) as info:
        fn(*args, **kw)
    return info.value


def kernel_error(operation="y = x;", ins="T x", outs="T y", preamble="", **kw) -> str:
    err = error(parse_elementwise, ins, outs, operation, "k", preamble=preamble, **kw)
    assert err.kernel == "k"
    return str(err)


# ---------------------------------------------------------------------------- lexer


def test_tokens_kinds_and_keywords():
    assert kinds("int x = foo_1;") == [
        ("KEYWORD", "int"),
        ("NAME", "x"),
        ("OP", "="),
        ("NAME", "foo_1"),
        ("OP", ";"),
    ]


@pytest.mark.parametrize(
    "text, value, suffix, is_hex",
    [
        ("0", 0, "", False),
        ("42", 42, "", False),
        ("0x1F", 31, "", True),
        ("0XffU", 255, "u", True),
        ("017", 15, "", True),
        ("10u", 10, "u", False),
        ("10L", 10, "l", False),
        ("10ul", 10, "ul", False),
        ("10LU", 10, "ul", False),
        ("10ll", 10, "ll", False),
        ("10uLL", 10, "ull", False),
        ("10LLU", 10, "ull", False),
        ("18446744073709551615ull", 2**64 - 1, "ull", False),
    ],
)
def test_int_literals(text, value, suffix, is_hex):
    (tok, _eof) = tokenize(SourceText("op", text))
    assert (tok.kind, tok.value, tok.suffix, tok.is_hex) == ("INT", value, suffix, is_hex)


@pytest.mark.parametrize(
    "text, value, suffix",
    [
        ("1.0", 1.0, ""),
        ("1.", 1.0, ""),
        (".5", 0.5, ""),
        ("1e-3", 1e-3, ""),
        ("1.5e+10f", 1.5e10, "f"),
        ("1.0f", 1.0, "f"),
        ("1.f", 1.0, "f"),
        ("2.5F", 2.5, "f"),
        ("3E2", 300.0, ""),
        ("0x1p3", 8.0, ""),
        ("1.0L", 1.0, "l"),
    ],
)
def test_float_literals(text, value, suffix):
    (tok, _eof) = tokenize(SourceText("op", text))
    assert (tok.kind, tok.value, tok.suffix) == ("FLOAT", value, suffix)


@pytest.mark.parametrize(
    "text, value", [("'a'", 97), ("'\\n'", 10), ("'\\0'", 0), ("'\\x41'", 65), ("'\\''", 39)]
)
def test_char_literals(text, value):
    (tok, _eof) = tokenize(SourceText("op", text))
    assert (tok.kind, tok.value) == ("CHAR", value)


def test_every_operator_lexes_longest_first():
    ops = "<<= >>= -> :: ... ++ -- << >> <= >= == != && || += -= *= /= %= &= ^= |= ##"
    ops += " + - * / % < > = ! ~ & | ^ ? : ; , . ( ) [ ] { }"
    assert kinds(ops) == [("OP", op) for op in ops.split()]
    assert kinds("a<<=b->c") == [
        ("NAME", "a"),
        ("OP", "<<="),
        ("NAME", "b"),
        ("OP", "->"),
        ("NAME", "c"),
    ]


def test_comments_are_skipped():
    assert kinds("a // one\n/* two\n lines */ b") == [("NAME", "a"), ("NAME", "b")]


def test_directive_is_one_token_with_continuations():
    toks = tokenize(SourceText("op", "#define F(a) \\\n  a + 1 // c\nx"))
    assert [t.kind for t in toks] == ["DIRECTIVE", "NAME", "EOF"]
    assert [t.text for t in toks[0].value] == ["define", "F", "(", "a", ")", "a", "+", "1"]


def test_hash_in_mid_line_is_an_operator():
    assert kinds("a # b")[1] == ("OP", "#")


def test_token_spans():
    toks = tokenize(SourceText("op", "ab  <<= 1.5f"))
    assert [(t.span.start, t.span.end) for t in toks] == [(0, 2), (4, 7), (8, 12), (12, 12)]


@pytest.mark.parametrize(
    "src, message",
    [
        ("1f", "invalid suffix 'f' on integer constant"),
        ("123abc", "invalid suffix 'abc' on integer constant"),
        ("1.0x", "invalid suffix 'x' on floating constant"),
        ("08", "invalid digit '8' in octal constant"),
        ("1uu", "invalid suffix 'uu' on integer constant"),
        ("1lL", "invalid suffix 'lL' on integer constant"),
        ("1.2.3", "invalid numeric literal '1.2.3'"),
        ("99999999999999999999999", "integer literal is too large"),
        ("a @ b", "unexpected character '@'"),
        ("/* open", "unterminated comment"),
        ('"open', 'missing terminating " in string literal'),
        ("'a", "missing terminating ' in character constant"),
        ("'ab'", "multi-character character constant"),
        ("''", "empty character constant"),
        ("'\\q'", "unknown escape sequence '\\q'"),
    ],
)
def test_lexer_errors(src, message):
    assert error(tokenize, SourceText("op", src)).message == message


# ---------------------------------------------------------------------------- preprocessor


def pp_text(src: str, pp: Preprocessor | None = None) -> str:
    pp = pp or Preprocessor()
    return " ".join(t.text for t in pp.process(tokenize(SourceText("op", src)))[:-1])


def test_object_and_function_like_macros():
    src = "#define N 3\n#define SQ(a) ((a)*(a))\nSQ(N + f(1, 2))"
    assert pp_text(src) == "( ( 3 + f ( 1 , 2 ) ) * ( 3 + f ( 1 , 2 ) ) )"


def test_nested_macros_and_recursion_guard():
    src = "#define A B + 1\n#define B A * 2\n#define x x+1\nA; x"
    assert pp_text(src) == "A * 2 + 1 ; x + 1"


def test_function_macro_name_without_paren_is_a_name():
    assert pp_text("#define F(a) a\nF + F(2)") == "F + 2"


def test_function_macro_with_an_empty_body_expands_to_nothing():
    assert pp_text("#define F(a)\nx F(1) y") == "x y"


def test_space_before_paren_makes_an_object_like_macro():
    assert pp_text("#define F (a)\nF(1)") == "( a ) ( 1 )"


def test_token_pasting_and_variadic():
    src = "#define CAT(a, b) a ## b\n#define V(f, ...) f(__VA_ARGS__)\nCAT(fo, o) V(g, 1, 2) V(h)"
    assert pp_text(src) == "foo g ( 1 , 2 ) h ( )"


def test_undef():
    assert pp_text("#define N 1\nN\n#undef N\nN") == "1 N"


@pytest.mark.parametrize(
    "cond, taken",
    [
        ("#if 0", False),
        ("#if 1", True),
        ("#ifdef N", True),
        ("#ifndef N", False),
        ("#ifdef M", False),
        ("#if defined(N) && N > 2", True),
        ("#if defined N && !defined(M)", True),
        ("#if (N * 2 - 1) % 4 == 1", True),
        ("#if N == 3 ? 0 : 1", False),
        ("#if UNKNOWN", False),
        ("#if __CUDACC__", True),
    ],
)
def test_conditionals(cond, taken):
    src = f"#define N 3\n{cond}\nyes\n#else\nno\n#endif"
    assert pp_text(src) == ("yes" if taken else "no")


def test_elif_chain_and_nesting():
    src = "#if 0\na\n#elif 0\nb\n#elif 1\nc\n#if 0\nd\n#endif\n#elif 1\ne\n#else\nf\n#endif"
    assert pp_text(src) == "c"


def test_inactive_regions_skip_unknown_directives_and_bad_text():
    assert pp_text("#if 0\n#frobnicate\n#error don't\n#endif\nok") == "ok"


def test_pragma_and_include_are_ignored():
    assert pp_text("#include <cupy/complex.cuh>\n#pragma unroll\nx") == "x"


def test_macro_tokens_take_the_use_site_span():
    toks = Preprocessor().process(tokenize(SourceText("op", "#define ONE 1\na = ONE;")))
    one = toks[2]
    assert (one.text, one.span.start, one.span.end) == ("1", 18, 21)


def test_macro_table_is_carried_across_sections():
    src = parse_elementwise(
        "T x",
        "T y",
        "y = SCALE(x);",
        "k",
        preamble="#define SCALE(v) ((v) * K)\n#define K 2",
        loop_prep="int n = K;",
    )
    assert unparse(src.operation.stmts[0]) == "y = (x * 2);"
    assert unparse(src.loop_prep.stmts[0]) == "int n = 2;"
    assert {"SCALE", "K"} <= set(src.macros)


@pytest.mark.parametrize(
    "src, message",
    [
        ("#foo", "unknown preprocessor directive '#foo'"),
        ("#if 1\nx", "unterminated '#if'"),
        ("#else", "#else without #if"),
        ("#endif", "#endif without #if"),
        ("#if 1\n#else\n#else\n#endif", "#else after #else"),
        ("#define", "macro name missing after #define"),
        ("#define 1 2", "macro names must be identifiers"),
        ("#define F(a, a) a", "duplicate macro parameter 'a'"),
        ("#define F(a b) a", "expected ',' or ')' in macro parameter list"),
        (
            "#define F(a) #a",
            "the '#' stringizing operator is not supported: kernels have no strings",
        ),
        ("#define F(a) ## a", "'##' cannot appear at either end of a macro expansion"),
        ("#define F(a, b) a\nF(1)", "macro 'F' takes 2 arguments, but 1 given"),
        ("#define F(a) a\nF(1, 2)", "macro 'F' takes 1 argument, but 2 given"),
        ("#define F(a) a\nF(1", "unterminated argument list invoking macro 'F'"),
        ("#define P(a, b) a ## b\nP(+, /)", "pasting '+' and '/' does not give a valid token"),
        ("#if 1 / 0\n#endif", "division by zero in #if expression"),
        ("#if 1 +\n#endif", "expected value in #if expression"),
        ("#ifdef\n#endif", "macro name missing after #ifdef"),
        ("#error stop here", "#error stop here"),
    ],
)
def test_preprocessor_errors(src, message):
    assert error(pp_text, src).message == message


def test_exponential_macro_expansion_is_bounded():
    lines = [f"#define M{i} M{i + 1} M{i + 1}" for i in range(30)]
    assert "too large" in error(pp_text, "\n".join(lines) + "\nM0").message


# ---------------------------------------------------------------------------- expressions


@pytest.mark.parametrize(
    "src, tree",
    [
        ("a + b * c", "a + (b * c)"),
        ("a * b + c", "(a * b) + c"),
        ("a - b - c", "(a - b) - c"),
        ("a / b % c", "(a / b) % c"),
        ("a << b + c", "a << (b + c)"),
        ("a < b << c", "a < (b << c)"),
        ("a == b < c", "a == (b < c)"),
        ("a != b >= c", "a != (b >= c)"),
        ("a & b == c", "a & (b == c)"),
        ("a ^ b & c", "a ^ (b & c)"),
        ("a | b ^ c", "a | (b ^ c)"),
        ("a && b | c", "a && (b | c)"),
        ("a || b && c", "a || (b && c)"),
        ("a ? b : c || d", "a ? b : (c || d)"),
        ("a ? b : c ? d : e", "a ? b : (c ? d : e)"),
        ("a ? b, c : d", "a ? (b, c) : d"),
        ("a = b ? c : d", "a = (b ? c : d)"),
        ("a = b = c", "a = (b = c)"),
        ("a += b -= c", "a += (b -= c)"),
        ("a <<= b >>= c", "a <<= (b >>= c)"),
        ("a %= b, c", "(a %= b), c"),
        ("a, b, c", "(a, b), c"),
        ("a ? b : c = d", "a ? b : (c = d)"),
        ("-a * b", "(-a) * b"),
        ("!a && ~b", "(!a) && (~b)"),
        ("- -a", "-(-a)"),
        ("-a++", "-(a++)"),
        ("++a--", "++(a--)"),
        ("*p + &q", "(*p) + (&q)"),
        ("(a + b) * c", "(a + b) * c"),
        ("a[i][j]", "a[i][j]"),
        ("f(a, b)(c)", "f(a, b)(c)"),
        ("s.x->y", "s.x->y"),
        ("-x.size()", "-x.size()"),
        ("x.shape()[d]", "x.shape()[d]"),
        ("_ind.get()[0]", "_ind.get()[0]"),
        ("a[{i, j}]", "a[{i, j}]"),
        ("f((a, b), c)", "f((a, b), c)"),
        ("(T)x + y", "((T)x) + y"),
        ("(T)-x", "(T)(-x)"),
        ("(unsigned int)x", "(unsigned int)x"),
        ("(const float)x", "(const float)x"),
        ("(T)(float)x", "(T)((float)x)"),
        ("(x)-y", "x - y"),
        ("(T(x) + 1)", "(T(x)) + 1"),
        ("sizeof(T) * 2", "sizeof(T) * 2"),
        ("a < b > c", "(a < b) > c"),
    ],
)
def test_precedence_and_associativity(src, tree):
    assert show(src) == tree


def test_literals():
    assert strip(expr("1.5f")) == ("FloatLit", 1.5, True, "1.5f")
    assert strip(expr("2.0")) == ("FloatLit", 2.0, False, "2.0")
    assert strip(expr("0x10u")) == ("IntLit", 16, "u", True)
    assert strip(expr("'a'")) == ("IntLit", 97, "", False)
    assert strip(expr("true")) == ("BoolLit", True)


def test_casts_of_every_style():
    for src, type_name in (("float(x)", "float"), ("T(x)", "T"), ("unsigned(x)", "unsigned int")):
        cast = expr(src)
        assert isinstance(cast, ast.Cast) and cast.style == "functional"
        assert cast.type.name == type_name and strip(cast.operand) == ("Ident", "x", "")
    assert expr("(T)x").style == "c"
    for style in ("static", "reinterpret", "const", "dynamic"):
        cast = expr(f"{style}_cast<T>(x)")
        assert isinstance(cast, ast.Cast) and cast.style == style and cast.type.name == "T"


def test_call_of_unknown_name_is_a_call_not_a_cast():
    call = expr("U(x)")
    assert isinstance(call, ast.Call) and call.func.name == "U"
    assert isinstance(expr("U(x)", types=("U",)), ast.Cast)


def test_construct_with_zero_or_several_arguments():
    assert strip(expr("T()"))[:3] == ("Construct", strip(expr("(T)x").type), ())
    complex_ = expr("thrust::complex<float>(re, im)")
    assert isinstance(complex_, ast.Construct)
    assert complex_.type.name == "thrust::complex"
    assert complex_.type.template_args[0].name == "float"
    assert show("complex<T>(1, 2)") == "complex<T>(1, 2)"


def test_template_calls():
    call = expr("f<float>(x)", templates=("f",))
    assert isinstance(call, ast.Call) and call.template_args[0].name == "float"
    # `g` is not a known template, but `g < float > (x)` cannot be a comparison
    assert show("std::min<T>(a, b) + tex1D<float>(t, u)") == (
        "std::min<T>(a, b) + tex1D<float>(t, u)"
    )
    assert show("f < b > (c)") == "(f < b) > c"  # `b` is not a type: comparisons


def test_template_types_in_declarations():
    d = stmt("thrust::pair<int, T> p;")
    assert isinstance(d, ast.Decl) and d.type.name == "thrust::pair"
    assert [t.name for t in d.type.template_args] == ["int", "T"]
    assert stmt("vec<float> &v = w;").declarators[0].is_ref
    assert isinstance(stmt("a < b > c;"), ast.ExprStmt)


def test_nested_template_args_split_shift_token():
    call = expr("f<complex<float>>(x)", templates=("f",))
    assert call.template_args[0].template_args[0].name == "float"
    assert show("a >> b") == "a >> b"


def test_scoped_names_keep_their_scope():
    assert strip(expr("std::min(a, b)").func) == ("Ident", "min", "std")
    assert strip(expr("::max(a, b)").func) == ("Ident", "max", "")
    assert strip(expr("cupy::type_traits::x")) == ("Ident", "x", "cupy::type_traits")


def test_member_calls():
    call = expr("x.size()")
    assert isinstance(call, ast.Call) and call.args == ()
    assert strip(call.func) == ("Member", ("Ident", "x", ""), "size", False)
    assert expr("p->n").arrow


def test_expression_spans_cover_first_to_last_token():
    e = expr("  (a + b) * f(c)")
    assert (e.span.start, e.span.end) == (2, 16)
    assert (e.lhs.span.start, e.lhs.span.end) == (3, 8)
    assert (e.rhs.args[0].span.start, e.rhs.args[0].span.end) == (14, 15)


# ---------------------------------------------------------------------------- statements


def test_declarations():
    d = stmt("const float a = 1.0f, b, c[3], d[] = {1, 2}, &r = a;")
    assert isinstance(d, ast.Decl) and d.type.name == "float" and d.type.is_const
    names = [(x.name, x.has_array, x.is_ref) for x in d.declarators]
    assert names == [("a", False, False), ("b", False, False), ("c", True, False)] + [
        ("d", True, False),
        ("r", False, True),
    ]
    assert d.declarators[2].array_size.value == 3 and d.declarators[3].array_size is None
    assert unparse(d) == "const float a = 1.0f, b, c[3], d[] = {1, 2}, &r = a;"


@pytest.mark.parametrize(
    "src, name",
    [
        ("unsigned x;", "unsigned int"),
        ("unsigned int x;", "unsigned int"),
        ("long long int x;", "long long"),
        ("unsigned long long x;", "unsigned long long"),
        ("long x;", "long"),
        ("signed char x;", "signed char"),
        ("unsigned char x;", "unsigned char"),
        ("char x;", "char"),
        ("short int x;", "short"),
        ("unsigned short x;", "unsigned short"),
        ("signed x;", "int"),
        ("double x;", "double"),
        ("long double x;", "long double"),
        ("bool x;", "bool"),
        ("size_t x;", "size_t"),
        ("ptrdiff_t x;", "ptrdiff_t"),
        ("int32_t x;", "int32_t"),
        ("float16 x;", "float16"),
        ("std::size_t x;", "size_t"),
        ("T x;", "T"),
        ("auto x = 1;", "auto"),
        ("complex<float> x;", "complex"),
    ],
)
def test_type_spellings_are_normalised(src, name):
    assert stmt(src).type.name == name


@pytest.mark.parametrize("src", ["unsigned float x;", "long short x;", "int int x;"])
def test_invalid_type_spellings(src):
    assert error(stmt, src).message.startswith("invalid type")


def test_qualifiers_are_kept():
    d = stmt("static volatile __shared__ float buf[128];")
    assert d.qualifiers == ("static", "volatile", "__shared__")
    assert stmt("float *__restrict__ p = q;").type.is_pointer


def test_declaration_or_expression_disambiguation():
    assert isinstance(stmt("T *p;"), ast.Decl)
    assert isinstance(stmt("a * b;"), ast.ExprStmt)
    assert isinstance(stmt("T(x);"), ast.ExprStmt)
    assert isinstance(stmt("float(x) + 1;"), ast.ExprStmt)
    assert isinstance(stmt("T &r = y;"), ast.Decl)
    assert isinstance(stmt("thrust::complex<float> z;"), ast.Decl)
    assert isinstance(stmt("float x(1.0f);").declarators[0].init, ast.FloatLit)


def test_control_flow_statements():
    src = """
    if (a) b = 1; else if (c) b = 2; else { b = 3; }
    for (int k = 0, m = 1; k < n; ++k, m *= 2) s += k;
    for (;;) break;
    for (k = 0; k < 3;) continue;
    while (x > 0) x--;
    do { x++; } while (x < 10);
    return;
    return x + 1;
    ;
    {}
    """
    b = block(src)
    assert [type(s).__name__ for s in b.stmts] == [
        "If",
        "For",
        "For",
        "For",
        "While",
        "DoWhile",
        "Return",
        "Return",
        "Empty",
        "Block",
    ]
    for_ = b.stmts[1]
    assert isinstance(for_.init, ast.Decl) and unparse(for_.step) == "(++k), (m *= 2)"
    assert b.stmts[2].init is None and b.stmts[2].cond is None and b.stmts[2].step is None
    assert isinstance(b.stmts[3].init, ast.ExprStmt) and b.stmts[3].step is None
    assert isinstance(b.stmts[0].else_, ast.If)


def test_dangling_else_binds_to_the_inner_if():
    s = stmt("if (a) if (b) x; else y;")
    assert s.else_ is None and s.then.else_ is not None


def test_last_semicolon_is_optional_as_in_cupy():
    assert unparse(block("z = (x - y) * (x - y)").stmts[0]) == "z = ((x - y) * (x - y));"
    assert [type(s).__name__ for s in block("int a = 1; return").stmts] == ["Decl", "Return"]
    assert len(block("x = 1;").stmts) == 1
    assert (
        "expected ';'"
        in error(parse_block, SourceText("op", "x = 1"), None, (), (), None, False).message
    )


@pytest.mark.parametrize(
    "src, what",
    [
        ("goto out;", "goto"),
        ("out: x = 1;", "label"),
        ("switch (x) { case 1: y = 2; break; default: y = 3; }", "switch"),
        ('asm volatile ("membar.gl;" : : : "memory");', "asm"),
    ],
)
def test_unsupported_statements_become_nodes(src, what):
    s = block(src).stmts[0]
    assert isinstance(s, ast.Unsupported) and s.what == what and s.span.start == 0
    assert "not supported" in s.reason


def test_goto_reason():
    assert stmt("goto end;").reason == "`goto` is not supported: WGSL and GLSL have no goto"


@pytest.mark.parametrize(
    "src, message",
    [
        ("struct S { int a; };", "`struct` is not supported in kernels"),
        ("x = new float;", "`new` is not supported in kernels"),
        ("y = sizeof x;", "sizeof of an expression is not supported: use sizeof(type)"),
        ('printf("%d", x);', "string literals are not supported in kernels"),
        ("float a[2][3];", "multi-dimensional arrays are not supported"),
        ("float **p;", "pointers to pointers are not supported"),
        ("float *p, q;", "declaring pointers and non-pointers together is not supported"),
    ],
)
def test_unsupported_constructs_raise(src, message):
    err = error(block, src)
    assert isinstance(err, UnsupportedFeatureError) and err.message == message


def test_typedef_in_body_resolves():
    b = block("typedef unsigned int uint; uint a = (uint)x;")
    assert isinstance(b.stmts[0], ast.Empty)
    assert b.stmts[1].type.name == "unsigned int" and b.stmts[1].declarators[0].init.type.name


# ---------------------------------------------------------------------------- preamble


def test_preamble_functions():
    tu = preamble(
        """
        __device__ float sq(float x) { return x * x; }
        __host__ __device__ inline int twice(const int &v, float *out) { *out = v; return 2 * v; }
        static __forceinline__ __inline__ void nothing(void) {}
        __device__ float proto(float);
        """
    )
    sq, twice, nothing = tu.items
    assert (sq.name, sq.return_type.name, sq.qualifiers) == ("sq", "float", ("__device__",))
    assert [(p.type.name, p.name) for p in sq.params] == [("float", "x")]
    ref, ptr = twice.params
    assert ref.type.is_ref and ref.type.is_const and not ref.type.is_pointer
    assert ptr.type.is_pointer and twice.qualifiers == ("__host__", "__device__", "inline")
    assert nothing.params == () and nothing.return_type.name == "void"
    assert nothing.qualifiers == ("static", "__forceinline__", "__inline__")
    assert sq.name_span.start == sq.span.start + len("__device__ float ")


def test_preamble_templates_register_names():
    templates: set[str] = set()
    tu = preamble(
        "template<typename T, class U> __device__ T conv(U u) { return T(u); }", (), templates
    )
    (conv,) = tu.items
    assert conv.template_params == ("T", "U") and templates == {"conv"}
    assert isinstance(conv.body.stmts[0].value, ast.Cast)  # T is a type inside the template
    call = expr("conv<float, int>(3)", templates=templates)
    assert [t.name for t in call.template_args] == ["float", "int"]


def test_preamble_global_declarations():
    tu = preamble(
        "const float c = 1.0f;\n__constant__ float tab[4] = {1, 2, 3, 4};\nstatic const int N = 3;"
    )
    c, tab, n = tu.items
    assert c.type.is_const and c.declarators[0].init.value == 1.0
    assert tab.qualifiers == ("__constant__",) and len(tab.declarators[0].init.items) == 4
    assert n.qualifiers == ("static",) and n.type.is_const


def test_typedef_and_using_aliases():
    typedefs: dict[str, str] = {}
    tu = preamble(
        "typedef float real;\nusing idx_t = long long;\nusing namespace std;\n"
        "__device__ real f(idx_t i) { return (real)i; }",
        typedefs=typedefs,
    )
    (f,) = tu.items
    assert f.return_type.name == "float" and f.params[0].type.name == "long long"
    assert typedefs == {"real": "float", "idx_t": "long long"}
    src = parse_elementwise("T x", "T y", "y = real(x);", "k", preamble="typedef double real;")
    assert src.operation.stmts[0].expr.value.type.name == "double"


@pytest.mark.parametrize(
    "src, message",
    [
        ("struct S { float a; };", "`struct` is not supported in kernel preambles"),
        ("class C {};", "`class` is not supported in kernel preambles"),
        ("union U {};", "`union` is not supported in kernel preambles"),
        ("namespace n {}", "`namespace` is not supported in kernel preambles"),
        ("enum E { A };", "`enum` is not supported in kernel preambles"),
        ("typedef struct { int a; } S;", "`struct` is not supported in kernels"),
        ("typedef float *fp;", "only aliases of scalar types are supported"),
        ("__device__ float f(float a[]) { return 0; }", "array parameter 'a' is not supported"),
        ("template<int N> __device__ int f() { return N; }", "only type template parameters"),
        ("template<> __device__ int f() { return 0; }", "template specialisations are not"),
        ("template<typename T> T x = 1;", "only functions can be templates"),
        ("__device__ float f(float a = 1) { return a; }", "default arguments are not supported"),
    ],
)
def test_preamble_errors(src, message):
    assert error(preamble, src).message.startswith(message)


# ---------------------------------------------------------------------------- params


def params(text: str, is_output: bool = False):
    return parse_params(text, is_output, SourceText("in_params", text))


def test_params_parse_like_cupy():
    ps = params("T x, raw float32 y,_non_const  int64   z ,U w")
    assert [(p.name, p.type, p.is_raw, p.is_output) for p in ps] == [
        ("x", "T", False, False),
        ("y", "float32", True, False),
        ("z", "int64", False, False),
        ("w", "U", False, False),
    ]
    assert [(p.span.start, p.span.end) for p in ps] == [(0, 3), (5, 18), (19, 40), (42, 45)]
    assert (ps[1].type_span.start, ps[1].type_span.end) == (9, 16)
    assert params("") == () and params("   ") == ()
    assert params("T y", True)[0].is_output


@pytest.mark.parametrize("dtype", "bool int8 int16 int32 int64 uint8 uint16 uint32 uint64".split())
def test_every_canonical_integer_dtype_is_accepted(dtype):
    assert params(f"{dtype} x")[0].type == dtype


@pytest.mark.parametrize("dtype", "float16 float32 float64 complex64 complex128".split())
def test_every_canonical_float_dtype_is_accepted(dtype):
    assert params(f"{dtype} x")[0].type == dtype


@pytest.mark.parametrize(
    "text, cls, message, col, note",
    [
        ("x", KernelSyntaxError, "syntax error: expected 'TYPE NAME', found 'x'", 1, "TYPE"),
        (
            "T x,",
            KernelSyntaxError,
            "syntax error: expected 'TYPE NAME', found an empty parameter",
            5,
            "",
        ),
        ("const T x", KernelSyntaxError, 'unknown keyword "const"', 1, None),
        ("raw raw2 T x", KernelSyntaxError, 'unknown keyword "raw2"', 5, None),
        ("float x", KernelTypeError, "unknown type 'float'", 1, "did you mean 'float64'?"),
        ("T a, int y", KernelTypeError, "unknown type 'int'", 6, "did you mean 'int64'?"),
        ("f4 x", KernelTypeError, "unknown type 'f4'", 1, "did you mean 'float32'?"),
        ("double x", KernelTypeError, "unknown type 'double'", 1, "did you mean 'float64'?"),
        ("<f4 x", KernelTypeError, "unknown type '<f4'", 1, "did you mean 'float32'?"),
        ("foo x", KernelTypeError, "unknown type 'foo'", 1, "one-letter placeholder"),
        ("1 x", KernelTypeError, "invalid type placeholder '1'", 1, "single letter"),
        ("T 2x", KernelNameError, "invalid parameter name '2x'", 3, None),
        ("T x-y", KernelNameError, "invalid parameter name 'x-y'", 3, None),
        (
            "T int",
            KernelNameError,
            "'int' is a C++ keyword and cannot be a parameter name",
            3,
            None,
        ),
        ("T  i", KernelNameError, "can not use 'i' as a parameter name", 4, "loop index"),
    ],
)
def test_param_errors(text, cls, message, col, note):
    err = error(params, text)
    assert type(err) is cls and err.message == message and err.column == col
    if note is not None:
        assert any(note in n for n in err.notes), err.notes


def test_duplicate_names_across_inputs_and_outputs():
    ins = params("T x, T y")
    outs = parse_params("T z, T x", True, SourceText("out_params", "T z, T x"))
    err = error(check_params, ins, outs)
    assert isinstance(err, KernelNameError) and err.message == "duplicate parameter name 'x'"
    assert err.span.source.section == "out_params" and err.column == 8
    check_params(ins, ())


# ---------------------------------------------------------------------------- elementwise


def test_parse_elementwise_everything():
    src = parse_elementwise(
        "T x, raw T tab, float32 s",
        "T y",
        "y = x * s + tab[i % tab.size()]",
        "my_kernel",
        preamble="__device__ float h(float v) { return v; }",
        loop_prep="float acc = 0;",
        after_loop="acc = 1;",
    )
    assert src.name == "my_kernel" and [p.name for p in src.params] == ["x", "tab", "s", "y"]
    assert src.params[-1].is_output and src.params[1].is_raw
    assert src.preamble.items[0].name == "h"
    assert len(src.loop_prep.stmts) == len(src.operation.stmts) == len(src.after_loop.stmts) == 1


def test_placeholders_from_params_are_types():
    src = parse_elementwise("U x", "V y", "y = V(x) + (U)1; U t = x;", "k")
    first, second = src.operation.stmts
    assert isinstance(first.expr.value.lhs, ast.Cast) and isinstance(second, ast.Decl)


def test_line_bases_shift_reported_lines():
    text = kernel_error("a = 1;\nb = ;", line_bases={"operation": 10})
    assert text.startswith("k:11:5: error: expected expression, found ';'")


@pytest.mark.parametrize("name", ["1abc", "a-b", "", "k k"])
def test_invalid_kernel_names(name):
    err = error(parse_elementwise, "T x", "T y", "y = x", name)
    assert isinstance(err, KernelNameError) and "invalid kernel name" in err.message


# ---------------------------------------------------------------------------- diagnostics


@pytest.mark.parametrize(
    "operation, expected",
    [
        (
            "y = x +",
            "k:1:8: error: unexpected end of input, expected expression\n    y = x +\n           ^",
        ),
        (
            "y = x\nw = 2;",
            "k:1:6: error: expected ';' for expression statement\n    y = x\n         ^",
        ),
        ("y = f(x;", "k:1:8: error: expected ')' for function call\n    y = f(x;\n           ^"),
        (
            "{ y = x; }}",
            "k:1:11: error: expected expression, found '}'\n    { y = x; }}\n              ^",
        ),
        (
            "if (x) {\n  y = 1;",
            "k:2:9: error: unexpected end of input, expected '}' for block\n"
            "      y = 1;\n"
            "            ^",
        ),
        (
            "y = 1f;",
            "k:1:5: error: invalid suffix 'f' on integer constant\n    y = 1f;\n        ^~",
        ),
        ("if x) y = 1;", "k:1:4: error: expected '(' for if statement\n    if x) y = 1;\n       ^"),
        (
            "for (int k = 0; k < 3 k++) {}",
            "k:1:22: error: expected ';' for for loop\n"
            "    for (int k = 0; k < 3 k++) {}\n"
            "                         ^",
        ),
        ("int = 3;", "k:1:5: error: expected variable name for variable declaration"),
        ("y = a[1;", "k:1:8: error: expected ']' for index expression"),
        ("y = c ? a b;", "k:1:11: error: expected ':' for conditional expression"),
        ("y = x.;", "k:1:7: error: expected member name for member access"),
        ("do y++; while (y < 3) x = 1;", "k:1:22: error: expected ';' for do-while loop"),
    ],
)
def test_error_messages_with_line_and_column(operation, expected):
    text = kernel_error(operation)
    assert text.startswith(expected), text
    assert text.endswith("note: in operation of kernel 'k'")


def test_error_in_macro_points_at_use_site():
    text = kernel_error("\ny = BAD(x);", preamble="#define BAD(v) (v +)")
    assert text.startswith("k:2:5: error: expected expression, found ')'"), text


def test_preamble_error_location():
    text = kernel_error(preamble="__device__ float f(float a) {\n  return a\n}")
    assert text.startswith("k:2:11: error: expected ';' for return statement"), text
    assert "note: in preamble of kernel 'k'" in text


@pytest.mark.parametrize(
    "operation",
    [
        "y = " + "(" * 500 + "x" + ")" * 500,
        "y = " + "-" * 999 + "x",
        "y = " + "!" * 999 + "x",
        "y = " + "(T)" * 500 + "x",
        "{" * 500 + "}" * 500,
        "if (x) " * 500 + "y = 1;",
        "y = f(" * 500 + ")" * 500,
        "y = a[" * 500 + "]" * 500,
        "y = " + "a ? b : " * 500 + "c",
        "y = " + "a = " * 500 + "c",
        "int v[] = " + "{" * 500 + "}" * 500 + ";",
    ],
)
def test_deep_nesting_is_a_syntax_error(operation):
    text = kernel_error(operation)
    assert "nested too deeply" in text


def test_deep_macro_nesting_is_an_error():
    text = kernel_error("y = " + "F(" * 300 + "x" + ")" * 300, preamble="#define F(a) a")
    assert "nested too deeply" in text


def test_deep_if_condition_is_an_error():
    assert "nested too deeply" in error(pp_text, "#if " + "(" * 500 + "1" + ")" * 500).message


# ---------------------------------------------------------------------------- round trip

ROUND_TRIP = [
    "z = (x - y) * (x - y);",
    "y = a ? b : c ? d : e; y = (a ? b : c) ? d : e;",
    "a = b = c += d; a, b, c; f((a, b), c);",
    "y = -(-x) + !~x - *p + &q; y = x++ + ++x - x-- - --x;",
    "y = (T)x + T(x) + (unsigned int)x + static_cast<float>(x) + reinterpret_cast<T>(x);",
    "y = a[i][j] + s.m + p->m + x.size() + x.shape()[0] + _ind.get()[1] + t[{i, j}];",
    "y = 1 + 2u + 0x1fULL + 1.5f + 2.0 + .5 + 1e-3 + 'a' + true + false;",
    "y = std::min(a, b) + ::max(a, b) + sizeof(T) + complex<float>(1, 2) + T();",
    "const float a = 1, b[3] = {1, 2, 3}, c[] = {{1}, {2}}; T &r = y; float *p = &q;",
    "if (a) if (b) x; else y; if (a) { if (b) x; } else y;",
    "for (int k = 0; k < n; ++k) for (;;) break; while (x) { continue; } do x--; while (x);",
    "return; return a << b >> c; ; {} {{}}",
    "x <<= 1; x >>= 2; x &= 3; x ^= 4; x |= 5; x %= 6; x /= 7; x *= 8; x -= 9;",
    "y = a || b && c | d ^ e & f == g != h < i > j <= k >= l << m >> n + o - p * q / r % s;",
]


@pytest.mark.parametrize("src", ROUND_TRIP)
def test_round_trip(src):
    first = block(src)
    assert strip(block(body_text(first))) == strip(first)


def test_round_trip_preamble():
    src = """template<typename U> __device__ __forceinline__ U twice(const U &v) { return v + v; }
    __constant__ float tab[2] = {1.f, 2.f};
    __device__ float *pick(float *p, int n) { return p; }"""
    first = preamble(src)
    again = preamble(unparse(first))
    assert strip(again) == strip(first)


# ---------------------------------------------------------------------------- fuzzing

_NAMES = st.sampled_from(["a", "b", "x", "T", "f"])
_LEAVES = st.one_of(
    _NAMES.map(lambda n: n if n != "T" else "t"),
    st.integers(0, 2**64 - 1).map(str),
    st.sampled_from(["1.5f", "2.0", "true", "'c'", "0x10u"]),
)
_BINOPS = st.sampled_from(list("+-*/%<>&|^,") + "<< >> <= >= == != && || = += <<=".split())
_UNOPS = st.sampled_from(["-", "+", "!", "~", "++", "--", "*", "&", "(T)", "(unsigned int)"])


def _combine(children):
    return st.one_of(
        st.tuples(children, _BINOPS, children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(_UNOPS, children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(children, children, children).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})"),
        st.tuples(children, children).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.lists(children, max_size=3).map(lambda xs: f"f({', '.join(f'({x})' for x in xs)})"),
        children.map(lambda c: f"T({c})"),
        children.map(lambda c: f"({c}).m"),
    )


EXPRESSIONS = st.recursive(_LEAVES, _combine, max_leaves=25)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS)
def test_random_expressions_round_trip(text):
    first = block(f"y = {text};")
    assert strip(block(body_text(first))) == strip(first)


def sub_expressions(node):
    if isinstance(node, ast.Expr):
        yield node
    if dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            for child in value if isinstance(value, tuple) else (value,):
                if isinstance(child, ast.Node) and not isinstance(child, ast.TypeSpec):
                    yield from sub_expressions(child)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS)
def test_every_expression_span_reparses_to_its_node(text):
    source = f"y = {text};"
    for node in sub_expressions(block(source)):
        piece = source[node.span.start : node.span.end]
        assert strip(expr(f"y = ({piece})").value) == strip(node), piece


KERNEL = """#define SQ(a) ((a) * (a))
template <typename U> __device__ U h(const U &v) { return SQ(v) + 1.5f; }
float acc = 0; int idx[] = {1, 2};
for (int k = 0; k < 3; ++k) { if (x[k] > 0) acc += h<float>(x[k]); else continue; }
y = acc > 1e-3 ? (T)acc : T(0); do { acc--; } while (acc > 0);
"""
_TOKENS = "( ) { } [ ] ; , < > << >> = == + - * & ? : . -> :: # ## ' \" / \\ \n 0x 1e".split(" ")


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_random_text_raises_only_kernel_errors(text):
    for section in ("operation", "preamble"):
        try:
            kw = {section: text} if section == "preamble" else {}
            parse_elementwise("T x", "T y", text if section == "operation" else "y = x", "k", **kw)
        except KernelCompileError as err:
            str(err)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(KERNEL)),
            st.integers(0, 4),
            st.one_of(st.sampled_from(_TOKENS), st.text(max_size=3)),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_kernels_raise_only_kernel_errors(edits):
    text = KERNEL
    for pos, cut, insert in edits:
        text = text[:pos] + insert + text[pos + cut :]
    for preamble_text, operation in ((text, "y = x"), ("", text)):
        try:
            parse_elementwise("T x", "T y", operation, "k", preamble=preamble_text)
        except KernelCompileError as err:
            str(err)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("Trawfloat3246ui_, \t")), max_size=30))
def test_random_params_raise_only_kernel_errors(text):
    try:
        parse_elementwise(text, "T y", "y = 1", "k")
    except KernelCompileError as err:
        assert err.kernel == "k"
        str(err)


@pytest.mark.parametrize(
    "op",
    [
        "const T half = 0.5; y = x * half;",  # a variable hides the type name, as in C++
        "float half = 2; y = sqrtf(half);",
        "half h = x; y = h;",  # ...which is still a type where only a type fits
        "y = (half)x;",
        "y = x * half(2.0f);",
    ],
)
def test_half_is_a_type_only_where_a_variable_cannot_be(op):
    import kernelc

    kernelc.translate_elementwise("T x", "T y", op, target="wgsl", types={"T": "float32"})
