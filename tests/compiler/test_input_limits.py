"""Inputs at the edges: source files as a C compiler reads them (UTF-8, a byte order mark,
bytes that are not UTF-8), flat operator chains of thousands of terms, and nesting past
the documented limit (a located error that names what is nested).

Rule: every case goes through the public entry points (the `kernelc` command or
`translate_elementwise`); chains are also run, on both targets and the interpreter.
"""

from __future__ import annotations

import numpy as np
import pytest

import kernelc
from kernelc.cli import command as cli
from kernelc.frontend.exprparser import MAX_DEPTH
from tests.support.interp_call import call_elementwise_interpreted, call_elementwise_on
from tests.support.kernel_call import call_elementwise

CU = b"// name: twice\n// in_params: float32 x\n// out_params: float32 y\ny = x * 2; // %s\n"
PY = b'import cupy\n# %s\nk = cupy.ElementwiseKernel("float32 x", "float32 y", "y = x", "k")\n'


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        cli.main(list(argv))
    out, err = capsys.readouterr()
    return info.value.code, out, err


@pytest.mark.parametrize(
    "template, suffix, command, shown",
    [
        (CU, ".cu", "check", "ok: twice (glsl)"),
        (PY, ".py", "check", "ok: k (glsl)"),
        (PY, ".py", "scan", "name: k"),
    ],
)
def test_utf8_sources_with_a_byte_order_mark(capsys, tmp_path, template, suffix, command, shown):
    path = tmp_path / f"k{suffix}"
    path.write_bytes(b"\xef\xbb\xbf" + template % b"caf\xc3\xa9 \xe2\x9c\x93")
    code, out, err = run_cli(capsys, command, str(path))
    assert code == 0, err
    assert shown in out


@pytest.mark.parametrize(
    "template, suffix, line, command",
    [
        (CU, ".cu", 4, "check"),
        (CU, ".cu", 4, "translate"),
        (PY, ".py", 2, "check"),
        (PY, ".py", 2, "translate"),
        (PY, ".py", 2, "scan"),
    ],
)
def test_invalid_utf8_is_a_located_error(capsys, tmp_path, template, suffix, line, command):
    path = tmp_path / f"k{suffix}"
    path.write_bytes(template % b"caf\xe9")
    code, _, err = run_cli(capsys, command, str(path))
    assert code == 1
    assert "Traceback" not in err and "UnicodeDecodeError" not in err
    col = (template % b"caf\xe9").split(b"\n")[line - 1].index(b"\xe9") + 1
    assert f"{path}:{line}:{col}: error: invalid UTF-8 byte 0xe9" in err
    assert err.splitlines()[2].index("^") - 4 == col - 1  # the caret under the byte


RUNNERS = ("wgsl", "glsl", "interp")


@pytest.mark.parametrize("runner", RUNNERS)
def test_flat_chains_translate_and_run(runner):
    x = np.array([1, 2, -3], np.float32)
    sum_of_3000 = "y = " + " + ".join(["x"] * 3000) + ";"
    np.testing.assert_array_equal(
        call_elementwise_on(runner, "float32 x", "float32 y", sum_of_3000, x), 3000 * x
    )
    k = np.array([0, 5, 300], np.int32)
    conjunction = "y = (" + " && ".join(f"k < {n}" for n in range(250, 500)) + ") ? 1 : 2;"
    assert call_elementwise_on(runner, "int32 k", "int32 y", conjunction, k).tolist() == [1, 1, 2]
    mixed = "y = " + " ^ ".join(f"(k + {n})" for n in range(300)) + ", y = y | 1, y += 0;"
    want = np.bitwise_xor.reduce([k + n for n in range(300)]) | 1
    assert call_elementwise_on(runner, "int32 k", "int32 y", mixed, k).tolist() == want.tolist()


def test_a_python_kernel_built_from_3000_literals(capsys, tmp_path):
    """`"y = 0" + " + x" + ... + ";"`: 3,000 string literals joined by `+` (one statement)."""
    body = " +\n".join(['"y = 0"', *['" + x"'] * 2998, '";"'])
    path = tmp_path / "long.py"
    path.write_text(
        f'import cupy\nk = cupy.ElementwiseKernel("float32 x", "float32 y",\n{body}, "long")\n'
    )
    for command in ("check", "scan"):
        code, out, err = run_cli(capsys, command, str(path))
        assert code == 0 and "RecursionError" not in err, err
    code, out, err = run_cli(capsys, "translate", str(path), "--target", "glsl")
    assert code == 0 and out.count(" + x") == 2998  # the whole string, lowered in one piece


NESTED = {
    "parentheses": "y = " + "(" * 80 + "x" + ")" * 80 + ";",
    "conditional operators '?:'": "y = " + "x ? " * 80 + "x" + " : x" * 80 + ";",
    "unary operators": "y = " + "- " * 80 + "x;",
    "assignments": "float a; y = " + "a = " * 80 + "x;",
    "casts": "y = " + "(float)" * 80 + "x;",
    "statements (blocks, if, for, while, do)": "if (x) {" * 80 + "y = 1;" + "}" * 80,
    "initialiser lists '{...}'": "float a[1] = " + "{" * 80 + "1" + "}" * 80 + "; y = a[0];",
}


@pytest.mark.parametrize("what", NESTED)
def test_nesting_limit_is_located_and_says_what_is_nested(what):
    with pytest.raises(kernelc.KernelSyntaxError) as info:
        kernelc.translate_elementwise("float32 x", "float32 y", NESTED[what], "deep", target="wgsl")
    message = str(info.value)
    assert "deep:1:" in message.splitlines()[0]
    assert f"{what} nested too deeply (the limit is {MAX_DEPTH} levels" in message


def test_nesting_up_to_the_limit_translates():
    depth = MAX_DEPTH - 4  # the statement and assignment take a few levels themselves
    blocks = depth // 2  # `if (c) { ... }`: the if and its block are two levels
    for operation in (
        "y = " + "(" * depth + "x" + ")" * depth + ";",
        "if (x) {" * blocks + "y = 1;" + "}" * blocks,
    ):
        kernelc.translate_elementwise("float32 x", "float32 y", operation, target="glsl")


def test_local_arrays_have_a_private_memory_limit():
    with pytest.raises(kernelc.UnsupportedFeatureError) as info:
        kernelc.translate_elementwise(
            "float32 x",
            "float32 y",
            "float a[4]; float big[100000]; big[0] = x; y = big[0];",
            "local",
            target="wgsl",
        )
    first = str(info.value).splitlines()[0]
    assert first.startswith("local:1:19: error: local array 'big' needs 400000 bytes")
    assert "16384 bytes per element" in first


@pytest.mark.parametrize("runner", RUNNERS)
def test_local_arrays_up_to_the_limit_run(runner):
    operation = "float a[4095]; a[4094] = x; int b[1] = {2}; y = a[4094] * b[0];"
    x = np.array([1.5, -2], np.float32)
    assert call_elementwise_on(runner, "float32 x", "float32 y", operation, x).tolist() == [3, -4]
