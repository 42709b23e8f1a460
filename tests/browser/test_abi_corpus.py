"""The browser executors' view of a launch (js_bridge/abi.js, reading the contract's JSON
form) is kernelc's (kernelc.abi, reading the Contract) on every program of the corpus:
the precompiled Chainer cache, the compiler's kernel corpus, the golden kernels and the
matmul programs, each at a few sizes.

Rule: one view per (program, sizes): the WGSL dispatches and scratch size, or the GLSL
draws (stage, shader, texels, render-target width, per-pass values), each with the
uniform block's bytes. Python composes it from the plans the native executors follow
(kernelc.abi.plan), JavaScript from those the browser executors follow (abi.js); the
same dispatch values go to both.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
from pathlib import Path

import pytest

import kernelc
from kernelc.abi import Contract, Draw, Program, encode_uniforms, glsl_grid
from kernelc.abi.contract import OUT_WIDTH, REDUCE_GROUPS
from kernelc.abi.plan import GlslDraw, glsl_steps, wgsl_steps
from tests.compiler.kernel_corpus import CORPUS
from tests.compiler.test_golden import CASES, REDUCTION_GOLDENS
from wgpy_runtime.device.browser import _json_number

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "kernels_chainer" / "chainer-7.8.1.json.gz"
# Loop extents per axis (the first axis takes the rest of a large size), and reduced sizes.
SIZES = [(1, 1), (3, 5), (65535 * 256 + 7, 1)]
REDUCED = [1, 33, 1 << 20]
SCALAR = {"b": True, "i": -3, "u": 7, "f": 0.5}

VIEWS = """async ([programs]) => {
  const m = await import("/js_bridge/abi.js");
  const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
  const encode = (abi, values, extra) => {
    const v = new Map(values);
    for (const [what, x] of extra) v.set(m.valueKey(what), x);
    return b64(m.encodeUniforms(abi, v));
  };
  const view = (program, entries) => {
    const abi = m.checkContract(program.abi);
    const values = m.valuesMap(entries);
    if (abi.target === "wgsl") {
      const steps = m.wgslSteps(abi, values);
      const extra = steps.groups === null ? [] : [["reduce_groups", steps.groups]];
      const uniforms = encode(abi, values, extra);
      return { stages: steps.stages, scratch: steps.scratch, uniforms };
    }
    const draws = m.glslSteps(program, values).map((d) => {
      const [width] = m.glslGrid(d.texels, abi.launch.max_width);
      const uniforms = encode(abi, values, [["out_width", width], ...d.values]);
      return [d.stage, shaderIndex(program, d.shader), d.texels, width, d.values, uniforms];
    });
    return { draws };
  };
  // Which of the program's shaders a draw draws: -1 its own code, k its launch's
  // partial shader (0), stage k or output group k.
  const shaderIndex = (program, shader) => {
    if (shader.code === program.code) return -1;
    const launch = program.abi.launch;
    const all = [launch.partial_shader, ...(launch.stages ?? []),
                 ...(launch.output_groups ?? [])].filter((x) => x);
    return all.findIndex((x) => x.code === shader.code);
  };
  return programs.map(([program, cases]) => cases.map((entries) => view(program, entries)));
}"""


def python_view(program: Program, values: dict) -> dict:
    abi = program.abi
    b64 = lambda v: base64.b64encode(encode_uniforms(abi, v)).decode()  # noqa: E731
    if abi.target == "wgsl":
        steps = wgsl_steps(abi, values)
        extra = {} if steps.groups is None else {REDUCE_GROUPS: steps.groups}
        stages = [[entry, list(grid)] for entry, grid in steps.stages]
        return {"stages": stages, "scratch": steps.scratch, "uniforms": b64(values | extra)}

    def draw(step: GlslDraw) -> list:
        width = glsl_grid(step.texels, abi.launch.max_width)[0]
        uniforms = b64(values | {OUT_WIDTH: width} | step.values)
        extra = [[key.what, x] for key, x in step.values.items()]
        return [step.stage, shader_index(program, step.shader), step.texels, width, extra, uniforms]

    return {"draws": [draw(step) for step in glsl_steps(program, values)]}


def shader_index(program: Program, shader: Draw) -> int:
    """-1 for the program's own code, else the index among its launch's partial shader,
    stages and output groups."""
    if shader.code == program.code:
        return -1
    launch = program.abi.launch
    shaders = [
        getattr(launch, "partial_shader", None),
        *getattr(launch, "stages", ()),
        *(getattr(launch, "output_groups", None) or ()),
    ]
    return [s.code for s in shaders if s is not None].index(shader.code)


def dispatch_values(abi: Contract, extents: tuple[int, int], reduced: int) -> dict:
    """Values of a launch over a loop whose first axis is `extents[0]` and the others
    `extents[1]` (a reduction reducing `reduced` elements, a matmul's K = `reduced`);
    arrays of another ndim (raw ones, a reduction's inputs) of extent 3 along each axis,
    each view at offset 2 with C strides."""
    loop = (extents[0], *[extents[1]] * (abi.ndim - 1))[: abi.ndim]
    reduce_shape = (reduced, *[1] * ((abi.reduce_ndim or 1) - 1))
    params = {p.name: p for p in abi.params}
    values = {}
    for m in abi.uniforms:
        what, param, axis = m.key
        shape = loop if what != "reduce_shape" else reduce_shape
        if param is not None:
            p = params[param]
            own = p.kind == "array" and p.ndim == abi.ndim
            shape = loop if own else (3,) * (p.ndim or 0)
        match what:
            case "value":
                values[m.key] = SCALAR[
                    "b" if params[param].dtype == "bool" else params[param].dtype[0]
                ]
            case "offset":
                values[m.key] = 2
            case "size":
                values[m.key] = math.prod(shape)
            case "shape" | "reduce_shape":
                values[m.key] = shape[axis]
            case "stride":
                values[m.key] = math.prod(shape[axis + 1 :])
            case "reduce_size":
                values[m.key] = math.prod(reduce_shape) if abi.kind == "reduction" else reduced
    return values


def corpus() -> list[tuple[str, Program]]:
    """(name, program) of every program the test covers."""
    programs = []
    if CACHE.is_file():
        for key, entry in json.loads(gzip.open(CACHE).read())["entries"].items():
            abi = Contract.from_json(entry["abi"])
            programs.append((key, Program(entry["name"], entry["target"], entry["code"], abi)))
    for target in ("wgsl", "glsl"):
        for k in CORPUS:
            args = (k.in_params, k.out_params, k.operation)
            try:
                program = kernelc.translate_elementwise(
                    *args, **k.translate_kwargs(), target=target
                )
            except kernelc.KernelCompileError:  # a kernel the target cannot run
                continue
            programs.append((k.name, program))
        for name, args in CASES.items():
            translate = (
                kernelc.translate_reduction
                if name in REDUCTION_GOLDENS
                else kernelc.translate_elementwise
            )
            programs.append((name, translate(**args, target=target)))
    matmuls = [{"batch_ndim": 1}, {"tiles": "small"}, {"dtype": "float16", "batch_ndim": 2}]
    for kwargs in matmuls:
        kwargs = {"dtype": "float32", **kwargs}
        programs.append(("matmul", kernelc.translate_matmul(**kwargs, target="wgsl")))
    for packed in (True, False):
        programs.append(
            ("matmul", kernelc.translate_matmul("float32", target="glsl", packed=packed))
        )
    return programs


def entries(values: dict) -> list:
    return [[what, param, axis, _json_number(x)] for (what, param, axis), x in values.items()]


def test_every_program_has_one_view(page):
    programs = corpus()
    kinds = {(p.abi.target, p.abi.launch.kind) for _, p in programs}
    assert len(programs) > 500 and len(kinds) == 6  # every launch rule is covered
    for start in range(0, len(programs), 64):
        chunk = programs[start : start + 64]
        cases = [
            [dispatch_values(p.abi, extents, reduced) for extents, reduced in zip(SIZES, REDUCED)]
            for _, p in chunk
        ]
        sent = [
            [{"code": p.code, "abi": p.abi.to_json()}, [entries(v) for v in vs]]
            for (_, p), vs in zip(chunk, cases)
        ]
        got = page.evaluate(VIEWS, [sent])
        for (name, p), vs, views in zip(chunk, cases, got):
            want = [python_view(p, v) for v in vs]
            assert views == want, f"{name} ({p.abi.target}): JavaScript and Python disagree"


def test_executors_refuse_another_abi_version(page):
    program = kernelc.translate_elementwise("float32 x", "float32 y", "y = x", target="wgsl")
    old = program.abi.to_json() | {"abi_version": 1}
    message = page.evaluate(
        """async (abi) => {
      const m = await import("/js_bridge/abi.js");
      try { m.checkContract(abi); return null; } catch (e) { return e.message; }
    }""",
        old,
    )
    assert message is not None and "ABI version 1" in message
    with pytest.raises(kernelc.abi.AbiVersionError, match="ABI version 1"):
        Contract.from_json(old)
