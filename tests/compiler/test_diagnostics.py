"""Diagnostics: bad kernels must fail with the right `KernelCompileError` subclass, the
exact first line `name:line:col: error: message`, the source line, and a caret under the
culprit.

Rule: messages enshrined here were read and judged clear (they name the construct and say
why). Messages judged poor are not enshrined: their class and location are checked, and
what a clear message needs is a strict xfail in `POOR`, so it flips when fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

import kernelc
from kernelc import (
    KernelCompileError,
    KernelNameError,
    KernelSyntaxError,
    KernelTypeError,
    UnsupportedFeatureError,
    UnsupportedOnTarget,
)
from kernelc.scan.sources import read_cu

F32 = {"T": "float32"}


@dataclass(frozen=True)
class Bad:
    name: str  # also the kernel's name
    in_params: str
    out_params: str
    operation: str
    error: type[KernelCompileError]
    line: int | None  # None: the error has no location (e.g. a bad kernel name)
    col: int | None
    message: str | None  # None: judged poor, see POOR
    kwargs: dict = field(default_factory=dict)  # preamble=..., target=..., types=...

    def translate(self):
        kwargs = {"target": "wgsl", "types": F32, **self.kwargs}
        name = kwargs.pop("name", self.name)
        return kernelc.translate_elementwise(
            self.in_params, self.out_params, self.operation, name, **kwargs
        )

    @property
    def kernel(self) -> str:
        return self.kwargs.get("name", self.name)


def fn(preamble: str, **more) -> dict:
    return {"preamble": preamble, **more}


BAD = [
    # ------------------------------------------------------------------ syntax
    Bad(
        "missing_semicolon",
        "T x",
        "T y",
        "y = x\ny = y * 2;",
        KernelSyntaxError,
        1,
        6,
        "expected ';' for expression statement",
    ),
    Bad(
        "missing_semicolon_decl",
        "T x",
        "T y",
        "float a = x\ny = a;",
        KernelSyntaxError,
        1,
        12,
        "expected ';' for variable declaration",
    ),
    Bad(
        "unclosed_paren",
        "T x",
        "T y",
        "y = (x + 1;",
        KernelSyntaxError,
        1,
        11,
        "expected ')' for parenthesized expression",
    ),
    Bad(
        "unclosed_call",
        "T x",
        "T y",
        "y = sqrtf(x;",
        KernelSyntaxError,
        1,
        12,
        "expected ')' for function call",
    ),
    Bad(
        "extra_paren",
        "T x",
        "T y",
        "y = x + 1);",
        KernelSyntaxError,
        1,
        10,
        "expected ';' for expression statement",
    ),
    Bad(
        "unclosed_brace",
        "T x",
        "T y",
        "if (x > 0) {\n  y = x;\n",
        KernelSyntaxError,
        2,
        9,
        "unexpected end of input, expected '}' for block",
    ),
    Bad(
        "extra_brace",
        "T x",
        "T y",
        "y = x;\n}",
        KernelSyntaxError,
        2,
        1,
        "expected expression, found '}'",
    ),
    Bad(
        "bad_token", "T x", "T y", "y = x @ 2;", KernelSyntaxError, 1, 7, "unexpected character '@'"
    ),
    Bad(
        "bad_float_suffix",
        "T x",
        "T y",
        "y = 1.0q;",
        KernelSyntaxError,
        1,
        5,
        "invalid suffix 'q' on floating constant",
    ),
    Bad(
        "unterminated_comment",
        "T x",
        "T y",
        "y = x; /* hello",
        KernelSyntaxError,
        1,
        8,
        "unterminated comment",
    ),
    Bad(
        "macro_arity",
        "T x",
        "T y",
        "y = SQ(x, x);",
        KernelSyntaxError,
        1,
        5,
        "macro 'SQ' takes 1 argument, but 2 given",
        fn("#define SQ(a) ((a) * (a))"),
    ),
    # ------------------------------------------------------------------ parameters
    Bad(
        "unknown_param_type",
        "float33 x",
        "T y",
        "y = x;",
        KernelTypeError,
        1,
        1,
        "unknown type 'float33'",
    ),
    Bad(
        "noncanonical_param_type",
        "T x",
        "double y",
        "y = x;",
        KernelTypeError,
        1,
        1,
        "unknown type 'double'",
    ),
    Bad(
        "unknown_keyword",
        "const T x",
        "T y",
        "y = x;",
        KernelSyntaxError,
        1,
        1,
        'unknown keyword "const"',
    ),
    Bad(
        "param_missing_name",
        "T",
        "T y",
        "y = 1;",
        KernelSyntaxError,
        1,
        1,
        "syntax error: expected 'TYPE NAME', found 'T'",
    ),
    Bad(
        "duplicate_param",
        "T x, T x",
        "T y",
        "y = x;",
        KernelNameError,
        1,
        8,
        "duplicate parameter name 'x'",
    ),
    Bad(
        "duplicate_in_out",
        "T x",
        "T x",
        "x = 1;",
        KernelNameError,
        1,
        3,
        "duplicate parameter name 'x'",
    ),
    Bad(
        "param_named_i",
        "T i",
        "T y",
        "y = i;",
        KernelNameError,
        1,
        3,
        "can not use 'i' as a parameter name",
    ),
    Bad(
        "param_named_keyword",
        "T float",
        "T y",
        "y = 1;",
        KernelNameError,
        1,
        3,
        "'float' is a C++ keyword and cannot be a parameter name",
    ),
    Bad(
        "unbound_placeholder",
        "T x, U z",
        "T y",
        "y = x + z;",
        KernelTypeError,
        1,
        6,
        "type placeholder 'U' of parameter 'z' is not bound",
    ),
    Bad(
        "complex_to_real",
        "complex64 x",
        "float32 y",
        "y = x;",
        KernelTypeError,
        1,
        1,
        "no conversion from 'complex<float>' to 'float'",
    ),
    Bad(
        "complex_condition",
        "complex64 x",
        "float32 y",
        "y = 0;\nif (x) y = 1;",
        KernelTypeError,
        2,
        5,
        "a truth value of a complex value is not defined",
    ),
    Bad(
        "complex_ordering",
        "complex64 x",
        "bool y",
        "y = x < x;",
        KernelTypeError,
        1,
        5,
        "invalid operands to binary '<' (complex)",
    ),
    Bad(
        "complex_math",
        "complex64 x",
        "float32 y",
        "y = 0;\ny = asinf(x.real()) + fmodf(x, 2);",
        KernelTypeError,
        2,
        29,
        "'fmodf' of a complex value is not defined",
    ),
    Bad(
        "complex_of_int",
        "float32 x",
        "float32 y",
        "complex<int> z;\ny = x;",
        UnsupportedFeatureError,
        1,
        1,
        "type 'complex<...>' is supported with float or double parts only",
    ),
    Bad(
        "complex_argument_of_real_param",
        "complex64 x",
        "complex64 y",
        "y = f(x);",
        KernelTypeError,
        1,
        7,
        "no conversion from 'complex<float>' to 'float'",
        fn("__device__ float f(float v) { return v; }"),
    ),
    Bad(
        "bad_kernel_name",
        "T x",
        "T y",
        "y = x;",
        KernelNameError,
        None,
        None,
        "invalid kernel name 'bad-name'",
        {"name": "bad-name"},
    ),
    Bad(
        "ndim_out_of_range",
        "T x",
        "T y",
        "y = x;",
        KernelTypeError,
        None,
        None,
        "ndim must be an integer from 0 to 8, not 9",
        {"ndim": 9},
    ),
    # ------------------------------------------------------------------ names and types
    Bad(
        "undeclared_identifier",
        "T x",
        "T y",
        "y = x + q;",
        KernelNameError,
        1,
        9,
        "use of undeclared identifier 'q'",
    ),
    Bad(
        "undeclared_function",
        "T x",
        "T y",
        "y = frobnicate(x);",
        KernelNameError,
        1,
        5,
        "use of undeclared function 'frobnicate'",
    ),
    Bad(
        "local_unknown_type",
        "T x",
        "T y",
        "float3 v;\ny = x;",
        KernelTypeError,
        1,
        1,
        "unknown type name 'float3'",
    ),
    Bad(
        "assign_to_input",
        "T x",
        "T y",
        "y = x;\nx += 1;",
        KernelTypeError,
        2,
        1,
        "cannot assign to input 'x'",
    ),
    Bad(
        "increment_input",
        "T x",
        "T y",
        "x++;\ny = x;",
        KernelTypeError,
        1,
        1,
        "cannot assign to input 'x'",
    ),
    Bad(
        "input_by_reference",
        "T x",
        "T y",
        "g(x);\ny = x;",
        KernelTypeError,
        1,
        3,
        "cannot assign to input 'x'",
        fn("__device__ void g(float &v) { v = 1.0f; }"),
    ),
    Bad(
        "assign_to_scalar",
        "T x, float32 s",
        "T y",
        "s = 1;\ny = x;",
        KernelTypeError,
        1,
        1,
        "cannot assign to scalar parameter 's'",
        {"scalars": ("s",)},
    ),
    Bad(
        "assign_to_const",
        "T x",
        "T y",
        "const int k = 1;\nk = 2;\ny = x;",
        KernelTypeError,
        2,
        1,
        "cannot assign to read-only variable 'k'",
    ),
    Bad(
        "modulo_on_float",
        "T x",
        "T y",
        "y = x % 2.0f;",
        KernelTypeError,
        1,
        5,
        "invalid operands to binary '%' (float)",
    ),
    Bad(
        "index_an_element",
        "T x",
        "T y",
        "y = x[0];",
        KernelTypeError,
        1,
        5,
        "'x' is one element here, not an array",
    ),
    Bad(
        "local_array_index_past_the_end",
        "T x",
        "T y",
        "float a[2] = {3, 4};\ny = x * a[1 + 1];",
        KernelTypeError,
        2,
        11,
        "index 2 is out of bounds of 'a', an array of 2 elements",
    ),
    Bad(
        "local_array_store_before_the_start",
        "T x",
        "T y",
        "float a[1];\na[-1] = x;\ny = a[0];",
        KernelTypeError,
        2,
        3,
        "index -1 is out of bounds of 'a', an array of 1 element",
    ),
    Bad(
        "math_too_many_args",
        "T x",
        "T y",
        "y = sinf(x, 2.0f);",
        KernelTypeError,
        1,
        5,
        "'sinf' takes 1 argument, 2 given",
    ),
    Bad(
        "math_too_few_args",
        "T x",
        "T y",
        "y = atan2f(x);",
        KernelTypeError,
        1,
        5,
        "'atan2f' takes 2 arguments, 1 given",
    ),
    Bad(
        "device_fn_arity",
        "T x",
        "T y",
        "y = f(x, x);",
        KernelTypeError,
        1,
        5,
        "no overload of 'f' takes 2 arguments",
        fn("__device__ float f(float v) { return v; }"),
    ),
    Bad(
        "nonconstant_array_size",
        "T x, int32 n",
        "T y",
        "float buf[n];\ny = x;",
        KernelTypeError,
        1,
        11,
        "an array size must be an integer constant",
    ),
    Bad(
        "redefinition",
        "T x",
        "T y",
        "float a = x;\nint a = 2;\ny = a;",
        KernelNameError,
        2,
        5,
        "redefinition of 'a'",
    ),
    Bad(
        "redefine_parameter",
        "T x",
        "T y",
        "float x = 2;\ny = x;",
        KernelNameError,
        1,
        7,
        "redefinition of 'x'",
    ),
    Bad(
        "i_in_after_loop",
        "T x",
        "T y",
        "y = x;",
        KernelNameError,
        1,
        9,
        "'i' is only defined in the operation body",
        {"after_loop": "int k = i;"},
    ),
    Bad(
        "return_value",
        "T x",
        "T y",
        "y = x;\nreturn 1;",
        KernelTypeError,
        2,
        8,
        "a kernel body cannot return a value",
    ),
    # ------------------------------------------------------------------ unsupported CUDA
    Bad(
        "syncthreads",
        "T x",
        "T y",
        "__syncthreads();\ny = x;",
        UnsupportedFeatureError,
        1,
        1,
        "'__syncthreads' is not supported: an elementwise kernel body runs once per element, "
        "with no thread block or warp to synchronise",
    ),
    Bad(
        "shared_memory",
        "T x",
        "T y",
        "__shared__ float buf[32];\ny = x;",
        UnsupportedFeatureError,
        1,
        1,
        "'__shared__' memory is not supported: an elementwise kernel has no thread block to "
        "share it",
    ),
    Bad(
        "thread_idx",
        "T x",
        "T y",
        "y = x + threadIdx.x;",
        UnsupportedFeatureError,
        1,
        9,
        "'threadIdx' is not supported: an elementwise kernel body runs once per element and has "
        "no thread or block identity",
    ),
    Bad(
        "goto",
        "T x",
        "T y",
        "goto done;\ny = x;\ndone: ;",
        UnsupportedFeatureError,
        1,
        1,
        "`goto` is not supported: WGSL and GLSL have no goto",
    ),
    Bad(
        "switch",
        "T x",
        "T y",
        "switch (1) { default: y = x; }",
        UnsupportedFeatureError,
        1,
        1,
        "`switch` is not supported: rewrite it as an if/else chain",
    ),
    Bad(
        "inline_asm",
        "T x",
        "T y",
        'asm("nop");\ny = x;',
        UnsupportedFeatureError,
        1,
        1,
        "inline `asm` is not supported: PTX cannot run on WebGPU or WebGL",
    ),
    Bad(
        "recursion",
        "T x",
        "T y",
        "y = fact(x);",
        UnsupportedFeatureError,
        2,
        27,
        "recursive call to 'fact' is not supported: WGSL and GLSL forbid recursion",
        fn("__device__ float fact(float n) {\n  return n <= 1 ? 1 : n * fact(n - 1);\n}"),
    ),
    Bad(
        "mutual_recursion",
        "T x",
        "T y",
        "y = a(x);",
        UnsupportedFeatureError,
        3,
        38,
        "recursive call to 'a' is not supported: WGSL and GLSL forbid recursion",
        fn(
            "__device__ float b(float v);\n__device__ float a(float v) { return b(v); }\n"
            "__device__ float b(float v) { return a(v); }"
        ),
    ),
    Bad(
        "pointer_variable",
        "T x",
        "T y",
        "float a = x;\nfloat *p = &a;\ny = *p;",
        UnsupportedFeatureError,
        2,
        1,
        "pointer types are not supported: WebGPU and WebGL have no pointers to memory",
    ),
    Bad(
        "pointer_arithmetic",
        "raw T x",
        "T y",
        "y = *(x + 1);",
        UnsupportedFeatureError,
        1,
        5,
        "pointer dereference '*' is not supported: WebGPU and WebGL have no pointers to memory",
    ),
    Bad(
        "string_literal",
        "T x",
        "T y",
        'y = "a";',
        UnsupportedFeatureError,
        1,
        5,
        "string literals are not supported in kernels",
    ),
    Bad(
        "struct_in_preamble",
        "T x",
        "T y",
        "y = x;",
        UnsupportedFeatureError,
        1,
        1,
        "`struct` is not supported in kernel preambles",
        fn("struct S { float a; };"),
    ),
    # ------------------------------------------------------------------ control flow
    Bad(
        "break_in_function",
        "T x",
        "T y",
        "y = f(x);",
        KernelSyntaxError,
        2,
        3,
        "'break' statement not in a loop",
        fn("__device__ float f(float v) {\n  break;\n  return v;\n}"),
    ),
    Bad(
        "continue_in_function",
        "T x",
        "T y",
        "y = f(x);",
        KernelSyntaxError,
        2,
        3,
        "'continue' statement not in a loop",
        fn("__device__ float f(float v) {\n  continue;\n}"),
    ),
    Bad(
        "break_in_loop_prep",
        "T x",
        "T y",
        "y = x;",
        KernelSyntaxError,
        1,
        1,
        "'break' statement not in a loop",
        {"loop_prep": "break;"},
    ),
    # ------------------------------------------------------------------ target limits
    Bad(
        "glsl_scatter",
        "T x",
        "raw T y",
        "y[i + 1] = x;",
        UnsupportedOnTarget,
        1,
        1,
        "raw output 'y' is written at a computed index: a WebGL fragment shader writes only "
        "its own element (index i), so scatter is not possible",
        {"target": "glsl"},
    ),
    # ------------------------------------------------------------------ judged poor
    Bad(
        "member_of_element",
        "T x",
        "T y",
        "y = x.size();",
        KernelTypeError,
        1,
        5,
        "'x' is one element here, not an array",
    ),
    Bad(
        "array_init_too_long",
        "T x",
        "T y",
        "float a[2] = {1, 2, 3};\ny = x;",
        KernelTypeError,
        1,
        21,
        "too many initialisers for 'a[2]'",
    ),
    Bad(
        "shape_axis_out_of_range",
        "raw T x",
        "T y",
        "y = x.shape()[1];",
        KernelTypeError,
        1,
        15,
        "axis 1 is out of range: 'x' has 1 dimension",
    ),
    Bad(
        "assign_void_call",
        "T x",
        "T y",
        "y = f(x);",
        KernelTypeError,
        1,
        5,
        "void value not ignored as it ought to be",
        fn("__device__ void f(float v) { }"),
    ),
]

# What each poor message lacks: (check on the first line, or on the error, the finding).
POOR = {}


def _raise(bad: Bad) -> KernelCompileError:
    with pytest.raises(KernelCompileError) as info:
        bad.translate()
    return info.value


def _check_location(bad: Bad, err: KernelCompileError) -> None:
    """Class, kernel name, `name:line:col:` and the source line with a caret under `col`."""
    assert type(err) is bad.error, f"{type(err).__name__}: {err}"
    assert err.kernel == bad.kernel
    lines = str(err).splitlines()
    if bad.line is None:
        assert lines[0].startswith(f"{bad.kernel}: error: ")
        return
    assert lines[0].startswith(f"{bad.kernel}:{bad.line}:{bad.col}: error: "), lines[0]
    assert (err.line, err.column) == (bad.line, bad.col)
    source_line = err.span.source.text.splitlines()[bad.line - 1]
    assert lines[1] == "    " + source_line
    assert lines[2].index("^") - 4 == bad.col - 1, "caret under the wrong column"


@pytest.mark.parametrize("bad", [b for b in BAD if b.message is not None], ids=lambda b: b.name)
def test_error(bad: Bad):
    err = _raise(bad)
    _check_location(bad, err)
    where = f"{bad.line}:{bad.col}: " if bad.line is not None else " "
    assert str(err).splitlines()[0] == f"{bad.kernel}:{where}error: {bad.message}"


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(
            b, id=b.name, marks=pytest.mark.xfail(reason=f"BUG: {POOR[b.name][1]}", strict=True)
        )
        for b in BAD
        if b.message is None
    ],
)
def test_poor_message(bad: Bad):
    """Passes once the message is clear: then enshrine it in BAD and drop it from POOR."""
    err = _raise(bad)
    _check_location(bad, err)
    assert POOR[bad.name][0](err), str(err)


# ------------------------------------------------------------------ sections and legal cases


def test_lines_count_from_each_section():
    preamble = "#define K 2\n\n__device__ float f(float v) {\n  return v * K;\n}\n"
    with pytest.raises(KernelNameError) as info:
        kernelc.translate_elementwise(
            "T x",
            "T y",
            "float a = f(x);\ny = a + nope;",
            "sections",
            preamble=preamble,
            target="wgsl",
            types=F32,
        )
    err = info.value
    assert err.kernel == "sections"
    assert str(err).splitlines()[0] == "sections:2:9: error: use of undeclared identifier 'nope'"
    assert str(err).splitlines()[-1] == "note: in operation of kernel 'sections'"

    with pytest.raises(KernelSyntaxError) as info:
        kernelc.translate_elementwise(
            "T x",
            "T y",
            "y = f(x);",
            "sections",
            preamble=preamble.replace("v * K", "v *"),
            target="glsl",
            types=F32,
        )
    err = info.value
    assert err.kernel == "sections"
    assert str(err).splitlines()[0] == "sections:4:13: error: expected expression, found ';'"
    assert str(err).splitlines()[-1] == "note: in preamble of kernel 'sections'"


def test_lines_count_from_the_file_for_a_cu_kernel():
    text = (
        "// name: filed\n// in_params: T x\n// out_params: T y\n"
        "// preamble:\n__device__ float f(float v) { return v; }\n"
        "// operation:\nfloat a = f(x);\ny = a % 2.0f;\n"
    )
    kdef = read_cu("filed.cu", text)
    with pytest.raises(KernelTypeError) as info:
        kernelc.translate_elementwise(**kdef.translate_args(), target="wgsl", types=F32)
    assert info.value.kernel == "filed"
    assert str(info.value).splitlines()[0] == (
        "filed:8:5: error: invalid operands to binary '%' (float)"
    )


def test_error_names_the_kernel_in_loop_prep_and_after_loop():
    for section in ("loop_prep", "after_loop"):
        with pytest.raises(KernelNameError) as info:
            kernelc.translate_elementwise(
                "T x",
                "T y",
                "y = x;",
                "k_" + section,
                target="wgsl",
                types=F32,
                **{section: "int a = 1;\nint b = zz;"},
            )
        assert info.value.kernel == "k_" + section
        lines = str(info.value).splitlines()
        assert lines[0] == f"k_{section}:2:9: error: use of undeclared identifier 'zz'"
        assert lines[-1] == f"note: in {section} of kernel 'k_{section}'"


@pytest.mark.parametrize("target", ["wgsl", "glsl"])
@pytest.mark.parametrize("stmt", ["break;", "continue;", "if (x > 0) break;\ny = x;"])
def test_top_level_break_and_continue_are_legal(stmt, target):
    program = kernelc.translate_elementwise(
        "T x", "T y", "y = 1;\n" + stmt, "ends_element", target=target, types=F32
    )
    assert program.code


def test_scatter_is_fine_on_wgsl():
    program = kernelc.translate_elementwise(
        "T x", "raw T y", "y[i + 1] = x;", "glsl_scatter", target="wgsl", types=F32
    )
    assert program.abi.params[1].kind == "raw"


def test_glsl_draws_more_than_four_outputs_in_groups():
    outs = ", ".join(f"T o{k}" for k in range(5))
    op = "\n".join(f"o{k} = x;" for k in range(5))
    kernelc.translate_elementwise("T x", outs, op, "five", target="wgsl", types=F32)
    program = kernelc.translate_elementwise("T x", outs, op, "five", target="glsl", types=F32)
    groups = program.abi.launch.output_groups
    assert [[o.param for o in g.outputs] for g in groups] == [
        ["o0", "o1", "o2", "o3"],
        ["o4"],
    ]


def test_glsl_reduction_has_at_most_four_outputs_and_points_at_the_fifth():
    outs = ", ".join(f"T o{k}" for k in range(5))
    post = ", ".join(f"o{k} = a" for k in range(5))
    kernelc.translate_reduction(
        "T x", outs, "x", "a + b", post, "0", "five", target="wgsl", types=F32
    )
    with pytest.raises(UnsupportedOnTarget) as info:
        kernelc.translate_reduction(
            "T x", outs, "x", "a + b", post, "0", "five", target="glsl", types=F32
        )
    assert info.value.kernel == "five"
    assert "at most 4 render targets" in info.value.message
    span = info.value.span
    assert span is not None and span.source.section == "out_params"
    assert outs[span.start : span.end].strip() in ("T o4", "o4")


def test_caret_under_a_tab_indented_line():
    """The caret line repeats the source line's tabs, so it lines up at any tab width."""
    with pytest.raises(KernelNameError) as info:
        kernelc.translate_elementwise(
            "float32 x", "float32 y", "\tif (x) {\n\t\ty = zz;\n\t}", "tabs", target="wgsl"
        )
    _, source, caret = str(info.value).splitlines()[:3]
    assert source == "    \t\ty = zz;" and caret == "    \t\t    ^~"
    for width in (2, 4, 8):
        assert source.expandtabs(width).index("zz") == caret.expandtabs(width).index("^")


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"in_params": b"float32 x"}, TypeError, "in_params must be a str, not bytes"),
        ({"in_params": None}, TypeError, "in_params must be a str, not NoneType"),
        ({"operation": None}, TypeError, "operation must be a str, not NoneType"),
        ({"name": b"k"}, TypeError, "name must be a str, not bytes"),
        ({"preamble": None}, TypeError, "preamble must be a str"),
        ({"loop_prep": 1}, TypeError, "loop_prep must be a str, not int"),
        ({"types": "T"}, TypeError, "types must be a dict, not str"),
        ({"scalars": "x"}, TypeError, "scalars must be a collection of parameter names"),
        ({"ndim": "1"}, TypeError, "ndim must be an int, not str"),
        ({"unroll": "yes"}, TypeError, "unroll must be a bool or None"),
        ({"target": "hlsl"}, ValueError, "target must be one of"),
    ],
)
def test_api_misuse_is_a_type_or_value_error(kwargs, error, message):
    args = {
        "in_params": "float32 x",
        "out_params": "float32 y",
        "operation": "y = x",
        "target": "wgsl",
        **kwargs,
    }
    with pytest.raises(error, match=message) as info:
        kernelc.translate_elementwise(**args)
    assert not isinstance(info.value, kernelc.InternalCompilerError)


def test_reduction_api_misuse_is_a_type_error():
    with pytest.raises(TypeError, match="map_expr must be a str, not NoneType"):
        kernelc.translate_reduction("T x", "T y", None, "a + b", "y = a", "0", target="glsl")
    with pytest.raises(TypeError, match="reduce_type must be a str, not bytes"):
        kernelc.translate_reduction(
            "T x", "T y", "x", "a + b", "y = a", "0", reduce_type=b"float", target="glsl"
        )
