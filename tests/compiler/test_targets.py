"""The `Target` records: the one place that says what a target can do, and what the
pipeline reads from them."""

import pytest

import kernelc
from kernelc.emit_glsl import emitter as glsl_emitter
from kernelc.ir import nodes as ir
from kernelc.pipeline import lower_kernel
from kernelc.targets import BY_NAME, GLSL, WGSL, for_backend, target_named
from tests.support.validate import validate_glsl, validate_wgsl


def test_names_backends_and_lookups_agree():
    assert kernelc.TARGETS == ("wgsl", "glsl") == tuple(BY_NAME)
    assert [for_backend(t.backend) for t in BY_NAME.values()] == [WGSL, GLSL]
    with pytest.raises(ValueError, match="target must be one of"):
        target_named("hlsl")
    with pytest.raises(ValueError, match="unknown backend 'metal'"):
        for_backend("metal")


def test_the_glsl_emitter_reads_its_limits_from_the_record():
    limits = (glsl_emitter.MAX_OUTPUTS, glsl_emitter.MAX_TEXTURES, glsl_emitter.MAX_WIDTH)
    assert limits == (GLSL.max_outputs, GLSL.texture_units, GLSL.texture_width)


def _stores(kernel):
    return {type(s).__name__ for s in kernel.body if isinstance(s, ir.Stmt)}


@pytest.mark.parametrize("target", list(BY_NAME.values()), ids=lambda t: t.name)
def test_scatter_decides_how_outputs_are_stored(target):
    """Without scatter an output is the invocation's own element (`OutputStore`)."""
    from kernelc.pipeline import compile_kernel

    lowered, _ = lower_kernel("T x", "T y", "y = x * 2", types={"T": "float32"})
    legal = compile_kernel(lowered, target.name)
    want = "BufferStore" if target.can_scatter else "OutputStore"
    assert want in _stores(legal)


@pytest.mark.parametrize("target", list(BY_NAME.values()), ids=lambda t: t.name)
def test_unroll_by_default_follows_the_record(target):
    body = "float s = 0; for (int k = 0; k < 4; k++) s += x; y = s;"
    program = kernelc.translate_elementwise(
        "T x", "T y", body, "u", target=target.name, types={"T": "float32"}
    )
    assert ("for (" in program.code or "loop {" in program.code) != target.unroll_by_default


@pytest.mark.parametrize("unroll", [True, False])
@pytest.mark.parametrize("target", list(BY_NAME.values()), ids=lambda t: t.name)
def test_a_loop_reading_past_a_local_array_stays_a_loop(target, unroll):
    """Unrolled, `a[k]` for k = 2 would be a constant index past the end, which WGSL and
    GLSL reject (C leaves the read undefined): the loop is kept, and the shader compiles;
    a loop that stays in bounds is still unrolled."""
    validate = validate_wgsl if target.name == "wgsl" else validate_glsl
    for stop, rolled in ((3, True), (2, not unroll)):
        body = f"float a[2] = {{3, 4}}; float s = 0; for (int k = 0; k < {stop}; k++) s += a[k]; y = x * s;"
        program = kernelc.translate_elementwise(
            "T x", "T y", body, "past", target=target.name, types={"T": "float32"}, unroll=unroll
        )
        assert ("a[k]" in program.code) == rolled, program.code
        validate(program.code)
