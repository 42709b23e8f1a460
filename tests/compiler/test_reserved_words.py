"""Every word a target reserves, used as a kernel's parameter, local and function parameter
name: the emitted shaders must compile with the real compilers and compute the right values.

Rule: the words are the emitters' lists (GLSL ES 3.00 keywords, reserved words and
built-ins; WGSL keywords, reserved words, predeclared names), minus the words C++ itself
reserves (a kernel cannot declare them). Words are tried in batches, one kernel per batch.
"""

from __future__ import annotations

import numpy as np
import pytest

import kernelc
from kernelc.emit_glsl import keywords as glsl_words
from kernelc.emit_wgsl import keywords as wgsl_words
from kernelc.frontend.exprparser import BUILTIN_TYPE_NAMES, SOFT_TYPE_NAMES
from kernelc.frontend.lexer import KEYWORDS
from kernelc.ir.dtypes import C_TYPES
from tests.support.kernel_call import call_elementwise
from tests.support.validate import validate_glsl, validate_wgsl

NOT_CXX_NAMES = KEYWORDS | (BUILTIN_TYPE_NAMES - SOFT_TYPE_NAMES) | set(C_TYPES) | {"i"}
WORDS = sorted((glsl_words.ALL | wgsl_words.ALL) - NOT_CXX_NAMES)
BATCH = 40


def batches():
    for k in range(0, len(WORDS), BATCH):
        chunk = WORDS[k : k + BATCH]
        yield pytest.param(chunk, id=f"{chunk[0]}..{chunk[-1]}")


def test_the_lists_hold_the_words_the_specifications_reserve():
    """Words the real compilers were found to refuse as names (spot checks of the lists)."""
    assert {"packed", "samplerExternalOES", "imageCubeArray", "dmat4"} <= glsl_words.ALL
    assert {"non_coherent", "noncoherent", "binding_array", "demote_to_helper"} <= wgsl_words.ALL
    assert len(WORDS) > 500


@pytest.mark.parametrize("words", batches())
def test_reserved_words_as_names(words, target):
    first, rest = words[0], words[1:]
    params = ", ".join(f"float {w}" for w in rest)
    preamble = f"__device__ float sum_of({params}) {{ return {' + '.join(rest)}; }}"
    locals_ = " ".join(f"float {w} = x * {k + 1};" for k, w in enumerate(rest))
    operation = f"{locals_} y = sum_of({', '.join(rest)}) + {first};"
    ins = f"float32 x, float32 {first}"
    program = kernelc.translate_elementwise(
        ins, "float32 y", operation, preamble=preamble, target=target
    )
    (validate_wgsl if target == "wgsl" else validate_glsl)(program.code)  # naga, glslang
    x = np.arange(4, dtype=np.float32)
    got = call_elementwise(
        target, ins, "float32 y", operation, x, np.full(4, 0.5, np.float32), preamble=preamble
    )
    want = x * sum(range(1, len(rest) + 1)) + 0.5
    np.testing.assert_array_equal(got, want.astype(np.float32))
