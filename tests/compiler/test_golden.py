"""Golden files: the exact WGSL, GLSL and ABI of the example kernels and a set of corpus
kernels, in tests/golden/<name>.wgsl, <name>.frag and <name>.abi.json.

Rule: a change in emitted code must show up as a reviewed diff of these files:
`pytest tests/compiler/test_golden.py --update-goldens` rewrites them (the option exists
when tests/compiler is named on the command line; `KERNELC_UPDATE_GOLDENS=1 pytest` works
from anywhere). Every golden shader
is also checked by a real compiler (naga through wgpu, glslangValidator), so the files
never hold code that would not run.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import kernelc
from kernelc.abi import glsl_output_groups
from kernelc.cli.command import default_types
from kernelc.scan.sources import read_kernels
from tests.compiler.kernel_corpus import CORPUS
from tests.support.validate import validate_glsl, validate_wgsl

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
EXTENSION = {"wgsl": ".wgsl", "glsl": ".frag"}
# Corpus kernels whose shaders show one emitter feature each (the examples come on top).
CORPUS_GOLDENS = (
    "int_div_mod_negative",  # C division helpers
    "uint32_arithmetic",  # unsigned wraparound, hex literals
    "round_vs_rint",  # roundf polyfill vs rint
    "nan_inf_inputs",  # NaN/Inf classification by bits
    "early_return",  # return keeps earlier writes, reads_old outputs
    "templates_and_references",  # instantiated templates, reference parameters
    "local_arrays",  # array initialisers, runtime indexing
    "raw_2d",  # raw multi-index, shape(), non-contiguous raw
    "broadcast_3d",  # 3-D loop unravelling, strides
    "bool_io",  # bool storage as u32 / r32ui
    "narrow_storage",  # int8..float16: packed u32 words / 8-16-bit textures
    "for_break_continue",  # constant-count loop (unrolled on GLSL)
    "loop_prep_after_loop",  # loop_prep / after_loop placement
    "math_intrinsics",  # fast intrinsics mapped to plain math
)


def _example_cases() -> dict[str, dict]:
    """Every kernel of examples/*.cu (and examples/*.py), translated as the CLI does."""
    cases = {}
    for path in sorted((ROOT / "examples").glob("*.cu")) + sorted((ROOT / "examples").glob("*.py")):
        for kdef in read_kernels(str(path))[0]:
            args = kdef.translate_args()
            args.pop("line_bases")
            cases[kdef.name] = {**args, "types": default_types(kdef, {}), "ndim": 1}
    return cases


def _corpus_cases() -> dict[str, dict]:
    by_name = {k.name: k for k in CORPUS}
    cases = {}
    for name in CORPUS_GOLDENS:
        k = by_name[name]
        cases[name] = {
            "in_params": k.in_params,
            "out_params": k.out_params,
            "operation": k.operation,
            **k.translate_kwargs(),
        }
    return cases


# ReductionKernels: the WGSL stages, and the GLSL final pass (<name>.frag) and partial
# pass (<name>.partial.frag).
REDUCTION_GOLDENS = {
    "reduce_l2norm": {  # float sum of squares over 2 axes, sqrt post-map
        "in_params": "T x",
        "out_params": "T y",
        "map_expr": "x * x",
        "reduce_expr": "a + b",
        "post_map_expr": "y = sqrt(a)",
        "identity": "0",
        "name": "l2norm",
        "types": {"T": "float32"},
        "ndim": 1,
        "reduce_ndim": 2,
    },
    "reduce_first_nonzero": {  # CuPy's: scalar identity, _j, min
        "in_params": "T data, int32 len",
        "out_params": "int32 y",
        "map_expr": "data == T(0) ? len : _j",
        "reduce_expr": "min(a, b)",
        "post_map_expr": "y = a",
        "identity": "len",
        "name": "first_nonzero",
        "types": {"T": "float32"},
        "ndim": 0,
        "reduce_ndim": 1,
        "scalars": ("len",),
    },
    "reduce_any_bool": {  # bool partials: u32 scratch, r32ui texture
        "in_params": "T x",
        "out_params": "bool y",
        "map_expr": "x != 0",
        "reduce_expr": "a || b",
        "post_map_expr": "y = a",
        "identity": "false",
        "name": "any_nonzero",
        "reduce_type": "bool",
        "types": {"T": "int32"},
        "ndim": 1,
    },
}
# More outputs than WebGL2's 4 draw buffers: GLSL output groups, the first in <name>.frag,
# the others in <name>.group2.frag, ...
GROUP_GOLDENS = {
    "output_groups": {  # 6 outputs of 5 dtypes, reads_old in both groups
        "in_params": "T x, T y",
        "out_params": "T s, int32 k, uint8 u, bool b, T acc, T m",
        "operation": "s += x; k = (int)y; u = (unsigned char)k; b = x > y; acc += x * y; "
        "if (x > y) m = x;",
        "name": "six_outputs",
        "types": {"T": "float32"},
        "ndim": 1,
    },
}
CASES = {**_example_cases(), **_corpus_cases(), **REDUCTION_GOLDENS, **GROUP_GOLDENS}


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def render(name: str) -> dict[str, str]:
    """The golden files of `name`: file name -> text."""
    args = CASES[name]
    translate = (
        kernelc.translate_reduction
        if name in REDUCTION_GOLDENS
        else (kernelc.translate_elementwise)
    )
    programs = {t: translate(**args, target=t) for t in EXTENSION}
    files = {name + EXTENSION[t]: p.code for t, p in programs.items()}
    if name in REDUCTION_GOLDENS:
        files[name + ".partial.frag"] = programs["glsl"].abi.launch.partial_shader.code
    for k, group in enumerate(glsl_output_groups(programs["glsl"])[1:]):
        files[f"{name}.group{k + 2}.frag"] = group.code
    keys = ("types", "ndim", "reduce_ndim", "reduce_type", "scalars", "raw")
    options = {k: args[k] for k in keys if args.get(k)}
    abi = {"translated_with": options, **{t: p.abi.to_json() for t, p in programs.items()}}
    files[name + ".abi.json"] = json.dumps(_jsonable(abi), indent=2, sort_keys=True) + "\n"
    return files


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str, request):
    update = request.config.getoption("--update-goldens", default=False) or (
        os.environ.get("KERNELC_UPDATE_GOLDENS") == "1"
    )
    problems = []
    for file, text in render(name).items():
        path = GOLDEN / file
        if update:
            path.write_text(text, encoding="utf-8")
            continue
        if not path.exists():
            problems.append(f"{file}: missing")
            continue
        old = path.read_text(encoding="utf-8")
        if old != text:
            diff = difflib.unified_diff(
                old.splitlines(), text.splitlines(), f"golden/{file}", "current", lineterm="", n=2
            )
            problems.append("\n".join(diff))
    assert not problems, (
        "output differs from tests/golden (if intended, run "
        "`pytest tests/compiler/test_golden.py --update-goldens` and review the diff):\n"
        + "\n".join(problems)
    )


def test_no_stale_goldens():
    expected = {f"{n}{ext}" for n in CASES for ext in (*EXTENSION.values(), ".abi.json")}
    expected |= {f"{n}.partial.frag" for n in REDUCTION_GOLDENS}
    expected |= {f"{n}.group2.frag" for n in GROUP_GOLDENS}
    stale = sorted(p.name for p in GOLDEN.iterdir() if p.is_file() and p.name not in expected)
    assert not stale, f"golden files of no test case: {stale}"


def _golden_shaders():
    return sorted(p.name for p in GOLDEN.iterdir() if p.suffix in (".wgsl", ".frag"))


@pytest.mark.parametrize("file", _golden_shaders())
def test_golden_shader_compiles(file: str):
    code = (GOLDEN / file).read_text(encoding="utf-8")
    if file.endswith(".wgsl"):
        validate_wgsl(code)
    else:
        validate_glsl(code)


def test_output_does_not_depend_on_hash_seed():
    """Golden files must be reproducible: the same text under another PYTHONHASHSEED (a
    set or dict iterated in hash order would reorder declarations or helpers)."""
    script = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); "
        "from tests.compiler.test_golden import CASES, render; "
        "print(json.dumps({n: render(n) for n in sorted(CASES)}))"
    )
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", script, str(ROOT)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
        other = json.loads(out)
        for name in sorted(CASES):
            assert other[name] == render(name), f"{name}: output changes with PYTHONHASHSEED"
