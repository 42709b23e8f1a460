"""Merge `tools/chainer_suite.py` results into docs/chainer-suite.json and the tables of
docs/chainer-suite.md: counts per file and per directory for every backend run, every
failure classified by cause, and GPU failures whose CPU variant fails alike marked.

Rule: a cause is the first pattern of CAUSES that matches the failure's innermost
exception (Chainer wraps parameterised failures in "(caused by)" chains); the CPU variant
of a GPU test is the one with the same name once the backend configuration is dropped and
`_gpu` methods read `_cpu`; a GPU failure "fails alike" when that variant failed with the
same exception type.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

from chainer_suite_plugin import RETRY_LOOP, sample_key

OUTCOMES = ("passed", "failed", "errored", "timeout", "skipped")
GPU_BACKENDS = ("webgpu", "webgl")
FLOAT64 = "float64 held in 32 bits"
FLOAT32_CLOSE = "agrees to float32 rounding (the test asks for more)"
POINTERS = "device addresses (WebGPU/WebGL have none)"
# (cause, pattern on "ExceptionType: message" of the innermost exception, needs float64)
CAUSES = (
    ("timeout", r"SuiteTimeout|ran past the suite's limit", False),
    # cuBLAS's getrf/getri (F.inv) take a handle and device addresses: absent by design
    (POINTERS, r"MemoryPointer'|does not fit the uint32 it is held in|cublas_handle", False),
    # float64 in 32 bits (WGPY_64BIT=fast): Chainer's check that inputs are not modified
    (FLOAT64, r"modified during forward", True),
    (
        "missing in the cupy shim",
        r"cupy shim\) has no attribute|module 'cupyx?[\w.]*' has no attribute|No module named 'cupy",
        False,
    ),
    ("complex numbers (a routine wgpy_runtime lacks for them)", r"complex", False),
    (
        "not implemented on wgpy_runtime",
        r"NotImplementedError|not (available|supported) on wgpy",
        False,
    ),
    ("kernel translation error", r"kernelc|KernelError|TranslationError", False),
    (
        "numerical gradient mismatch",
        r"check_backward|gradient_check|[Gg]radients? (?:do not|mismatch)",
        False,
    ),
    (
        "value mismatch",
        r"Not equal to tolerance|Arrays are not|assert_allclose|AssertionError|FunctionTestError",
        False,
    ),
    ("IndexError", r"^IndexError", False),
    ("TypeError", r"^TypeError", False),
    ("ValueError", r"^ValueError", False),
    ("AttributeError", r"^AttributeError", False),
    ("RuntimeError", r"^RuntimeError", False),
)


def innermost(error: str) -> str:
    """The last exception of Chainer's "(caused by)" chain, as "Type: message"."""
    tail = error.rsplit("(caused by)", 1)[-1].strip()
    for line in tail.splitlines():
        if re.match(r"^[\w.]+(Error|Exception|Timeout|Warning)\b", line.strip()):
            return tail[tail.index(line) :].strip()
    return tail


def exception_type(record: dict) -> str:
    """The innermost exception's type name (without its module), or the outcome."""
    if record["outcome"] == "timeout":
        return "timeout"
    found = re.match(r"^(?:[\w]+\.)*(\w+)", innermost(record["error"]))
    return found.group(1) if found else record["outcome"]


def classify(record: dict, device: bool = True) -> str:
    """The cause of a failure; `device=False` for the NumPy baseline, where float64 is
    exact."""
    text = innermost(record["error"])
    text = re.sub(r"^[\w]+\.(?:[\w]+\.)*(?=\w+Error)", "", text)  # module prefix of the type
    in_params = "float64" in record["nodeid"].split("::")[1] if "::" in record["nodeid"] else False
    dtype_64 = device and in_params
    if record["outcome"] == "timeout":
        retry = device and (dtype_64 or RETRY_LOOP in record["error"])
        return "timeout (float64 retry loop)" if retry else "timeout"
    if device and _float32_close(text) and not dtype_64:
        return FLOAT32_CLOSE
    for cause, pattern, needs_64 in CAUSES[1:]:
        if needs_64 and not (device and (dtype_64 or "float64" in text)):
            continue
        if re.search(pattern, text, re.MULTILINE):
            return cause
    first = text.splitlines()[0] if text else "unknown"
    return first.split(":")[0][:60] or "unknown"


def _float32_close(text: str) -> bool:
    """A comparison that failed although the values agree to float32 precision: the test
    asked for float64's."""
    found = re.search(r"Max relative difference(?: among violations)?: ([0-9.e+-]+)", text)
    return bool(found) and float(found.group(1)) < 2.5e-7


def cpu_key(nodeid: str) -> str:
    return re.sub(r"_gpu\b", "_cpu", sample_key(nodeid))


def load(out: Path, backend: str) -> tuple[list[dict], list[dict]]:
    records, statuses = [], []
    for path in sorted((out / backend).glob("*.jsonl")):
        if path.name == "runs.jsonl" or not path.with_suffix(".status.json").exists():
            continue  # the run log, or a file whose run was cut short
        records += [json.loads(line) for line in path.read_text().splitlines() if line]
    for path in sorted((out / backend).glob("*.status.json")):
        statuses.append(json.loads(path.read_text()))
    return records, statuses


def directory(nodeid: str) -> str:
    parts = nodeid.split("::")[0].split("/")
    return "/".join(parts[2:-1]) or parts[-1]


def short_name(nodeid: str) -> str:
    return sample_key(nodeid).replace("tests/chainer_tests/", "")


def summarise(out: Path) -> dict:
    cpu_records, _ = load(out, "numpy")
    cpu_failing = {}
    for r in cpu_records:
        if r["outcome"] in ("failed", "errored", "timeout"):
            cpu_failing.setdefault(cpu_key(r["nodeid"]), set()).add(exception_type(r))
    summary = {"backends": {}}
    for backend in ("numpy", *GPU_BACKENDS):
        records, statuses = load(out, backend)
        if not records and not statuses:
            continue
        files, causes, float64 = {}, {}, []
        for r in records:
            counts = files.setdefault(
                r["nodeid"].split("::")[0], dict.fromkeys(OUTCOMES, 0) | {"cpu_too": 0, FLOAT64: 0}
            )
            counts[r["outcome"]] += 1
            if r["outcome"] in ("passed", "skipped"):
                continue
            cause = classify(r, device=backend != "numpy")
            alike = cpu_failing.get(cpu_key(r["nodeid"]), ())
            on_cpu = backend != "numpy" and exception_type(r) in alike
            counts["cpu_too"] += on_cpu
            if cause.startswith((FLOAT64, "timeout (float64")) and not on_cpu:
                counts[FLOAT64] += 1
                float64.append(short_name(r["nodeid"]))
            entry = causes.setdefault(
                cause, {"count": 0, "cpu_too": 0, "example": "", "message": ""}
            )
            entry["count"] += 1
            entry["cpu_too"] += on_cpu
            if not entry["example"] and not on_cpu:
                entry["example"] = short_name(r["nodeid"])
                entry["message"] = innermost(r["error"]).splitlines()[0][:200] if r["error"] else ""
        killed = [s for s in statuses if s["rc"] not in (0, 1, 5)]
        runs_file = out / backend / "runs.jsonl"
        runs = (
            [json.loads(x) for x in runs_file.read_text().splitlines()]
            if runs_file.exists()
            else []
        )
        done = [p.stat().st_mtime for p in (out / backend).glob("*.status.json")]
        finished = (
            datetime.datetime.fromtimestamp(max(done), datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
            if done
            else "-"
        )
        summary["backends"][backend] = {
            "files": files,
            "causes": causes,
            "runs": runs,
            "finished": finished,
            "float64": sorted(float64),
            "abnormal_files": killed,
        }
    return summary


def _row(name: str, counts: dict) -> str:
    total = sum(counts[o] for o in OUTCOMES)
    bad = counts["failed"] + counts["errored"] + counts["timeout"]
    ours = bad - counts["cpu_too"] - counts[FLOAT64]
    cells = [name, total, *(counts[o] for o in OUTCOMES), counts["cpu_too"], counts[FLOAT64], ours]
    return "| " + " | ".join(str(c) for c in cells) + " |"


HEADER = (
    "| {0} | tests | passed | failed | errored | timed out | skipped | fail alike on CPU "
    "| float64 (32-bit) | other failures |\n| --- |" + " ---: |" * 9
)


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def markdown(summary: dict) -> str:
    lines = [
        (
            f"Tables written {summary['date']} by `python3 tools/chainer_suite.py --report` "
            "from these runs (per-test limit as in each command; default 60 s):"
        ),
        "",
    ]
    for backend, data in summary["backends"].items():
        for run in data["runs"]:
            lines.append(f"* {backend}: `{run['command']}`, started {run['started']}")
        lines.append(f"* {backend}: {len(data['files'])} files, last finished {data['finished']}")
    lines.append("")
    for backend, data in summary["backends"].items():
        by_dir: dict[str, dict] = {}
        for file, counts in data["files"].items():
            d = by_dir.setdefault(directory(file), dict.fromkeys(counts, 0))
            for k, v in counts.items():
                d[k] += v
        total = {k: sum(d[k] for d in by_dir.values()) for k in next(iter(by_dir.values()), {})}
        lines += [f"#### {backend}", "", HEADER.format("directory")]
        lines += [_row(d, c) for d, c in sorted(by_dir.items())]
        if total:
            lines.append(_row("**all**", total))
        lines += [
            "",
            "| cause | failures | of which fail alike on CPU | example | message |",
            "| --- | ---: | ---: | --- | --- |",
        ]
        for cause, c in sorted(data["causes"].items(), key=lambda kv: -kv[1]["count"]):
            message = c["message"].replace("|", "\\|")
            lines.append(
                f"| {cause} | {c['count']} | {c['cpu_too']} | `{c['example'][:120]}` "
                f"| {message[:120]} |"
            )
        for s in data["abnormal_files"]:
            lines.append(f"\nFile `{s['file']}` ended abnormally (rc {s['rc']}).")
        lines.append("")
    lines += ["#### Per file", ""]
    for backend, data in summary["backends"].items():
        lines += [f"<details><summary>{backend}</summary>", "", HEADER.format("file")]
        lines += [
            _row(f.replace("tests/chainer_tests/", ""), c) for f, c in sorted(data["files"].items())
        ]
        lines += ["", "</details>", ""]
    return "\n".join(lines)


def write(out: Path, docs: Path, section: str = "results") -> None:
    """The tables go between this section's markers in docs/chainer-suite.md; the JSON to
    docs/chainer-suite.json ("results") or docs/chainer-suite-SECTION.json."""
    summary = summarise(out)
    summary["date"] = now()
    name = "chainer-suite.json" if section == "results" else f"chainer-suite-{section}.json"
    (docs / name).write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    doc = docs / "chainer-suite.md"
    BEGIN, END = (
        f"<!-- chainer-suite {section}: begin -->",
        f"<!-- chainer-suite {section}: end -->",
    )
    text = doc.read_text() if doc.exists() else f"# Chainer's own tests\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text:
        text += f"\n{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    doc.write_text(f"{head}{BEGIN}\n{markdown(summary)}\n{END}{tail}")
