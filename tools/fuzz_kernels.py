"""Long fuzzing run of the compiler: generated and mutated kernels by the hundred thousand.

    nice -n 10 python3 tools/fuzz_kernels.py --kernels 100000 --out /tmp/fuzz.json

Rule: the kernels come from the same generators as tests/compiler/test_fuzz.py (random
float and int32 expression trees, the differential corpus and the C++ edge cases of
test_cuda_semantics.py after random edits, random parameter strings), drawn from one seeded `random.Random` so a run is reproducible. Every
kernel is translated for both targets; an internal error is anything but a
`KernelCompileError` (a crash, a hang past `TIME_LIMIT`, or a shader the real compiler
rejects: every distinct shader, or every `--validate`-th one on a busy machine). Every
`--execute`-th generated kernel also runs on the native executors and is compared with its
NumPy evaluation. Distinct internal errors (by kind and place) are kept
with a reproducer in the JSON report; the run never stops at the first one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import random
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import kernelc
from tests.compiler import test_cuda_semantics as sem
from tests.compiler import test_fuzz as gen
from tests.compiler.kernel_corpus import CORPUS
from tests.support.validate import ShaderInvalid, validate_glsl, validate_wgsl

TARGETS = ("wgsl", "glsl")
GLSL_BATCH = 64  # shaders per glslangValidator process


# ------------------------------------------------------------------ generators


def random_tree(rng: random.Random, leaves, unary, binary, ternary, max_leaves: int):
    """A tree as test_fuzz's `st.recursive` draws it, with at most `max_leaves` leaves."""
    if max_leaves <= 1 or rng.random() < 0.3:
        return leaves(rng)
    kind = rng.random()
    if kind < 0.3:
        return (rng.choice(unary), random_tree(rng, leaves, unary, binary, ternary, max_leaves - 1))
    if kind < 0.85:
        split = rng.randint(1, max_leaves - 1)
        return (
            rng.choice(binary),
            random_tree(rng, leaves, unary, binary, ternary, split),
            random_tree(rng, leaves, unary, binary, ternary, max_leaves - split),
        )
    return ternary(rng, lambda n: random_tree(rng, leaves, unary, binary, ternary, n), max_leaves)


def float_tree(rng: random.Random, max_leaves: int = 12):
    def leaf(r):
        return r.choice([("x",), ("y",)]) if r.random() < 0.6 else ("c", r.choice(gen.F_CONSTS))

    def ternary(r, sub, n):
        k = max(1, n // 4)
        return ("?:", r.choice(gen.F_COMPARE), sub(k), sub(k), sub(k), sub(k))

    return random_tree(rng, leaf, gen.F_UNARY, gen.F_BINARY, ternary, max_leaves)


def int_tree(rng: random.Random, max_leaves: int = 12):
    def leaf(r):
        return r.choice([("a",), ("b",)]) if r.random() < 0.6 else ("c", r.choice(gen.I_CONSTS))

    def ternary(r, sub, n):
        k = max(1, n // 3)
        return ("?:", sub(k), sub(k), sub(k))

    return random_tree(rng, leaf, gen.I_UNARY, gen.I_BINARY, ternary, max_leaves)


def mutate(rng: random.Random, text: str) -> str:
    """`text` after 1-4 random deletions, insertions, duplications or swaps."""
    for _ in range(rng.randint(1, 4)):
        n, at = len(text), rng.randint(0, len(text))
        kind = rng.choice(["delete", "insert", "duplicate", "swap"])
        if kind == "delete" and n:
            text = text[:at] + text[at + rng.randint(1, 4) :]
        elif kind == "insert":
            snippet = rng.choice(gen.SNIPPETS) if rng.random() < 0.8 else random_text(rng, 3)
            text = text[:at] + snippet + text[at:]
        elif kind == "duplicate":
            text = text[:at] + text[at : at + rng.randint(1, 12)] + text[at:]
        elif n >= 2:
            a, b = sorted((at % n, rng.randint(0, n - 1)))
            text = text[:a] + text[b : b + 1] + text[a + 1 : b] + text[a : a + 1] + text[b + 1 :]
    return text


def random_text(rng: random.Random, max_size: int) -> str:
    alphabet = "abcxyz_019 +-*/%&|^!~<>=?:;,.()[]{}#\\'\"\n\t\x00é\u2028"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, max_size)))


def _semantics_seeds() -> list[dict]:
    """The C++ edge cases of test_cuda_semantics.py (references, aliasing, assignable
    expressions, constants), as kernels to mutate beside the corpus."""
    seeds = []
    for operation, preamble, _ in sem.REFERENCES.values():
        seeds.append(
            {
                "in_params": "int32 x",
                "out_params": "float32 y",
                "operation": operation,
                "preamble": preamble,
            }
        )
    for operation in sem.KNOWN_OPERANDS:
        seeds.append(
            {
                "in_params": "float32 x",
                "out_params": "float32 y",
                "operation": operation,
                "preamble": "",
            }
        )
    for operation in sem.ASSIGNABLE:
        seeds.append(
            {
                "in_params": "int32 x",
                "out_params": "int32 y",
                "operation": operation,
                "preamble": "",
            }
        )
    return seeds


SEMANTICS_SEEDS = _semantics_seeds()


def mutated_kernel(rng: random.Random) -> tuple[tuple, dict]:
    if rng.random() < 0.2:
        parts = dict(rng.choice(SEMANTICS_SEEDS), loop_prep="")
        kwargs = {"name": "edge"}
    else:
        kernel = rng.choice(CORPUS)
        kwargs = kernel.translate_kwargs()
        parts = {
            "in_params": kernel.in_params,
            "out_params": kernel.out_params,
            "operation": kernel.operation,
            "preamble": kernel.preamble,
            "loop_prep": kernel.loop_prep,
        }
    section = rng.choice([s for s in gen.SECTIONS if parts[s]] + ["operation"])
    parts[section] = mutate(rng, parts[section])
    kwargs.update(preamble=parts["preamble"], loop_prep=parts["loop_prep"])
    return (parts["in_params"], parts["out_params"], parts["operation"]), kwargs


def param_string(rng: random.Random) -> str:
    items = [
        " ".join(rng.choice(gen.PARAM_WORDS) for _ in range(rng.randint(0, 4)))
        for _ in range(rng.randint(0, 4))
    ]
    text = rng.choice([",", ", ", " ,", ",,", ";"]).join(items)
    return mutate(rng, text or "T x") if rng.random() < 0.5 else text


def generated_kernel(rng: random.Random) -> tuple[str, tuple, dict, list]:
    """(kind, positional args, keyword args, trees) of one random expression kernel."""
    if rng.random() < 0.5:
        trees = [float_tree(rng) for _ in range(rng.randint(1, 4))]
        ins, render, kind = "float32 x, float32 y", gen.render_float, "float"
    else:
        trees = [int_tree(rng) for _ in range(rng.randint(1, 4))]
        ins, render, kind = "int32 a, int32 b", gen.render_int, "int"
    scalar = "float32" if kind == "float" else "int32"
    outs = ", ".join(f"{scalar} r{k}" for k in range(len(trees)))
    body = "\n".join(f"r{k} = {render(t)};" for k, t in enumerate(trees))
    return kind, (ins, outs, body), {"name": f"fuzz_{kind}"}, trees


# ------------------------------------------------------------------ checking


class Report:
    def __init__(self, validate_every: int = 1) -> None:
        self.validate_every = validate_every  # every K-th new shader goes to a real compiler
        self.seen = 0
        self.counts = {"generated": 0, "mutated": 0, "params": 0, "executed": 0}
        self.translations = 0
        self.rejected = 0
        self.errors: dict[str, dict] = {}
        self.validated: set[bytes] = set()  # digests of shaders a real compiler accepted
        self.glsl_batch: list[tuple] = []  # GLSL shaders waiting for glslangValidator

    def internal(self, what: str, where: str, args, kwargs, detail: str) -> None:
        key = f"{what} at {where}"
        entry = self.errors.setdefault(
            key, {"count": 0, "args": list(args), "kwargs": _jsonable(kwargs), "detail": detail}
        )
        entry["count"] += 1
        if entry["count"] == 1:
            print(f"INTERNAL ERROR: {key}\n  {args!r} {kwargs!r}\n{detail[-1500:]}", flush=True)

    def to_json(self, seconds: float) -> dict:
        return {
            "distinct_shaders_validated": len(self.validated),
            "kernels": self.counts,
            "translations": self.translations,
            "compile_errors": self.rejected,
            "seconds": round(seconds, 1),
            "internal_errors": len(self.errors),
            "distinct": self.errors,
        }


def _jsonable(kwargs: dict) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items()}


def _place(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    inside = [f for f in frames if "/kernelc/" in f.filename] or frames
    last = inside[-1] if inside else None
    return f"{Path(last.filename).name}:{last.lineno}" if last else "?"


def translate_checked(report: Report, args: tuple, kwargs: dict, target: str):
    """Translate and validate; record an internal error; return the program or None."""
    report.translations += 1
    try:
        with gen.time_limit(gen.TIME_LIMIT):
            program = kernelc.translate_elementwise(*args, target=target, **kwargs)
    except kernelc.KernelCompileError as err:
        report.rejected += 1
        try:
            str(err)
        except Exception as exc:  # noqa: BLE001 - rendering the message is the compiler too
            report.internal(type(exc).__name__, _place(exc), args, kwargs, traceback.format_exc())
        return None
    except gen.TranslationHang as exc:
        report.internal("hang", target, args, kwargs, str(exc))
        return None
    except Exception as exc:  # noqa: BLE001 - anything else is the compiler's bug
        report.internal(type(exc).__name__, _place(exc), args, kwargs, traceback.format_exc())
        return None
    digest = hashlib.blake2b(program.code.encode(), digest_size=16).digest()
    if digest in report.validated:  # mutated kernels often translate to the same shader
        return program
    report.seen += 1
    if report.seen % report.validate_every:
        return program
    report.validated.add(digest)
    if target == "glsl":  # glslang runs once per batch: a process per shader costs more
        report.glsl_batch.append((program.code, args, kwargs))
        if len(report.glsl_batch) >= GLSL_BATCH:
            flush_glsl(report)
        return program
    try:
        validate_wgsl(program.code)
    except ShaderInvalid as exc:
        reject(report, "wgsl", exc, args, kwargs)
        return None
    return program


def reject(report: Report, target: str, exc: ShaderInvalid, args, kwargs) -> None:
    first = next((ln for ln in str(exc).splitlines() if "rror" in ln), "")[:120]
    report.internal(f"{target} shader rejected", first, args, kwargs, str(exc)[:3000])


def flush_glsl(report: Report) -> None:
    """glslangValidator over the pending shaders in one process; when it complains, each
    shader again on its own, to name the kernel."""
    batch, report.glsl_batch = report.glsl_batch, []
    if not batch:
        return
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for k, (code, _, _) in enumerate(batch):
            paths.append(Path(tmp) / f"{k}.frag")
            paths[-1].write_text(code)
        result = subprocess.run(
            ["glslangValidator", "-S", "frag", *map(str, paths)],
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )
    report_text = result.stdout + result.stderr
    if result.returncode == 0 and "ERROR" not in report_text and "WARNING" not in report_text:
        return
    for code, args, kwargs in batch:
        try:
            validate_glsl(code)
        except ShaderInvalid as exc:
            reject(report, "glsl", exc, args, kwargs)


def execute_checked(report: Report, kind: str, args: tuple, trees: list, seed: int) -> None:
    """Run a generated kernel on both executors and compare with its NumPy evaluation."""
    report.counts["executed"] += 1
    for target in TARGETS:
        try:
            if kind == "float":
                gen.test_random_float_expressions.hypothesis.inner_test(target, trees, seed)
            else:
                gen.test_random_int_expressions.hypothesis.inner_test(target, trees, seed)
        except kernelc.KernelCompileError:
            pass
        except AssertionError as exc:
            report.internal(f"wrong result on {target}", kind, args, {}, str(exc)[:3000])
        except Exception as exc:  # noqa: BLE001 - anything else is the compiler's bug
            report.internal(type(exc).__name__, _place(exc), args, {}, traceback.format_exc())


def fuzz(
    total: int, seed: int, execute_every: int, out: Path | None, validate_every: int = 1
) -> Report:
    rng, report, start = random.Random(seed), Report(validate_every), time.time()
    for n in range(total):
        choice = rng.random()
        if choice < 0.45:
            kind, args, kwargs, trees = generated_kernel(rng)
            report.counts["generated"] += 1
            programs = [translate_checked(report, args, kwargs, t) for t in TARGETS]
            if execute_every and n % execute_every == 0 and all(programs):
                execute_checked(report, kind, args, trees, rng.randrange(2**32))
        elif choice < 0.9:
            args, kwargs = mutated_kernel(rng)
            report.counts["mutated"] += 1
            for target in TARGETS:
                translate_checked(report, args, kwargs, target)
        else:
            ins = param_string(rng) if rng.random() < 0.8 else random_text(rng, 20)
            args, kwargs = (
                (ins, param_string(rng), ""),
                {"name": "params_fuzz", "types": {"T": "float32", "U": "int32"}},
            )
            report.counts["params"] += 1
            for target in TARGETS:
                translate_checked(report, args, kwargs, target)
        if (n + 1) % 1000 == 0:
            flush_glsl(report)
            print(
                f"{n + 1} kernels, {time.time() - start:.0f} s, "
                f"{len(report.errors)} internal errors",
                flush=True,
            )
            if out:
                out.write_text(json.dumps(report.to_json(time.time() - start), indent=1))
    flush_glsl(report)
    if out:
        out.write_text(json.dumps(report.to_json(time.time() - start), indent=1))
    return report


def _worker(job: tuple[int, int, int, Path | None, int]) -> dict:
    total, seed, execute_every, out, validate_every = job
    with np.errstate(all="ignore"):
        return fuzz(total, seed, execute_every, out, validate_every).to_json(0)


def fuzz_in_parallel(
    total: int, seed: int, execute_every: int, workers: int, out: Path | None, validate_every: int
) -> dict:
    """`workers` processes (seeds `seed`, `seed + 1`, ...), each with its own GPU device;
    each keeps its own report beside `out` (`out.w0.json`, ...) while it runs."""
    start = time.time()
    jobs = []
    for k in range(workers):
        part = out.with_suffix(f".w{k}.json") if out else None
        count = total // workers + (k < total % workers)
        jobs.append((count, seed + k, execute_every, part, validate_every))
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        parts = pool.map(_worker, jobs)
    merged = parts[0]
    for part in parts[1:]:
        for key, n in part["kernels"].items():
            merged["kernels"][key] += n
        merged["translations"] += part["translations"]
        merged["distinct_shaders_validated"] += part["distinct_shaders_validated"]
        merged["compile_errors"] += part["compile_errors"]
        for key, entry in part["distinct"].items():
            if key in merged["distinct"]:
                merged["distinct"][key]["count"] += entry["count"]
            else:
                merged["distinct"][key] = entry
    merged["internal_errors"] = len(merged["distinct"])
    merged["seconds"] = round(time.time() - start, 1)
    merged["workers"], merged["seeds"] = workers, [seed, seed + workers - 1]
    return merged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kernels", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--execute",
        type=int,
        default=20,
        metavar="K",
        help="run every K-th generated kernel on the executors (0: never)",
    )
    parser.add_argument("--out", type=Path, help="JSON report, rewritten every 1000 kernels")
    parser.add_argument("--workers", type=int, default=1, help="processes (seeds SEED...)")
    parser.add_argument(
        "--validate",
        type=int,
        default=1,
        metavar="K",
        help="give every K-th distinct shader to the real compilers (naga, glslang)",
    )
    opts = parser.parse_args()
    if opts.workers > 1:
        result = fuzz_in_parallel(
            opts.kernels, opts.seed, opts.execute, opts.workers, opts.out, opts.validate
        )
        if opts.out:
            opts.out.write_text(json.dumps(result, indent=1))
    else:
        with np.errstate(all="ignore"):
            result = fuzz(opts.kernels, opts.seed, opts.execute, opts.out, opts.validate)
            result = result.to_json(0)
    print(json.dumps({k: v for k, v in result.items() if k != "distinct"}))
    return 1 if result["internal_errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
