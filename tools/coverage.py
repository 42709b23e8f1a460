"""Chainer kernel coverage: writes docs/coverage.md, one row per kernel instance per target.

    python tools/coverage.py [--versions 7.8.1 5.4.0] [-o docs/coverage.md] [--json FILE]
                             [--run-tests | --executed REPORT.json]

For each Chainer version: scan the sdist (fetched by tools/chainer_sdist.py when absent),
bind types the way Chainer calls each kernel, translate every instance for both targets,
and validate each program's shaders (every GLSL one: reduction passes, output groups) with
a real compiler: naga (wgpu's create_shader_module) for WGSL, `glslangValidator --stdin
-S frag` for GLSL.

The "executed" column comes from the Chainer execution tests (tests/chainer): their report
(tests/chainer/conftest.py, written when $KERNELC_COVERAGE_REPORT is set) lists each kernel
call with its instance, target, whether the IR interpreter ran it (the GLSL fallback), and
whether its test passed. `--executed REPORT.json` reads one; `--run-tests` runs
`python -m pytest tests/chainer -q -p no:cacheprovider` to write one. A row of the tests'
Chainer version (7.8.1) is "matched" when a passing test ran it natively on that target,
"matched (interpreter)" when only through the fallback, "ran, not matched" when only tests
that failed ran it, else "not executed". A row of another version borrows the status of a
tested-version instance with identical kernel strings (kind and every constructor string
argument), and says so; without one it is "not executed (no identical 7.8.1 kernel)".
Without either option the column says "not run".
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from chainer_sdist import fetch

import kernels_chainer.scan_plugin  # noqa: F401 - registers Chainer's helpers, stubs and dtypes
from kernelc.cache.build import build
from kernelc.scan.bindings import bind
from kernelc.scan.scanner import scan

VERSIONS = ("7.8.1", "5.4.0")


class Validators:
    """naga through wgpu for WGSL, glslangValidator for GLSL; results memoised by key."""

    def __init__(self):
        self.device = _wgpu_device()
        self.glslang = shutil.which("glslangValidator")
        self.done: dict[str, tuple[str, str]] = {}

    def check(self, key: str, target: str, code: str) -> tuple[str, str]:
        """('yes' | 'no' | 'not checked', the first line of the compiler's complaint)."""
        if key not in self.done:
            self.done[key] = self._wgsl(code) if target == "wgsl" else self._glsl(code)
        return self.done[key]

    def _wgsl(self, code: str) -> tuple[str, str]:
        if self.device is None:
            return "not checked", "wgpu is not available"
        try:
            self.device.create_shader_module(code=code)
        except Exception as e:  # noqa: BLE001 - wgpu raises GPUValidationError with naga's report
            return "no", _first_line(str(e))
        return "yes", ""

    def _glsl(self, code: str) -> tuple[str, str]:
        if self.glslang is None:
            return "not checked", "glslangValidator is not installed"
        run = subprocess.run(
            [self.glslang, "--stdin", "-S", "frag"],
            input=code,
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        report = (run.stdout + run.stderr).strip()
        if run.returncode != 0 or "ERROR" in report:
            errors = [x for x in report.splitlines() if "ERROR" in x]
            return "no", _first_line(errors[0] if errors else report)
        return ("yes (warnings)" if "WARNING" in report else "yes"), ""


def _wgpu_device():
    try:
        import wgpu

        return wgpu.gpu.request_adapter_sync().request_device_sync()
    except Exception:  # noqa: BLE001 - no wgpu or no adapter: WGSL is then not checked
        return None


def _first_line(text: str) -> str:
    lines = [x.strip() for x in text.strip().splitlines() if x.strip()]
    return lines[0][:200] if lines else ""


def version_report(version: str, validators: Validators, sdist_dir: str) -> dict:
    result = scan(fetch(version, sdist_dir))
    for instance in result.instances:
        bind(instance)
    cache, outcomes = build(result, progress=False)
    instances = {k.id: k for k in result.instances}
    rows = []
    for o in outcomes:
        row = {"outcome": o, "instance": instances[o.instance], "validated": "", "why": ""}
        if o.status == "ok":
            checks = [
                validators.check(f"{o.key}#{k}", o.target, code)
                for k, code in enumerate(shaders(cache.entries[o.key]))
            ]
            row["validated"], row["why"] = min(checks, key=lambda c: _SEVERITY.get(c[0], 0))
        rows.append(row)
    return {"version": version, "scan": result, "rows": rows}


_SEVERITY = {"no": 0, "not checked": 1, "yes (warnings)": 2, "yes": 3}  # a program's worst


def shaders(entry: dict) -> list[str]:
    """Every shader of a cached program: `code`, then a GLSL reduction's partial pass or
    the other output groups of a GLSL kernel with more than 4 outputs (docs/abi.md)."""
    launch = entry["abi"]["launch"]
    more = [g["code"] for g in launch.get("output_groups", [])[1:]]
    if "partial_shader" in launch:
        more.append(launch["partial_shader"]["code"])
    return [entry["code"], *more]


def uses_scatter_or_atomics(instance) -> bool:
    """Writes other elements than its own: a raw output, or an atomic operation."""
    text = " ".join(str(v) for v in instance.args.values() if v)
    return "atomic" in text or "raw" in instance.args.get("out_params", "").split()


def reason(row: dict) -> str:
    o = row["outcome"]
    if o.status == "ok":
        return f"naga/glslang: {row['why']}" if row["why"] else ""
    return f"{o.error_kind}: {o.error}" if o.error_kind else o.error


MATCHED, MATCHED_INTERP, NOT_MATCHED, NOT_EXECUTED = (
    "matched",
    "matched (interpreter)",
    "ran, not matched",
    "not executed",
)
_RANK = {MATCHED: 3, MATCHED_INTERP: 2, NOT_MATCHED: 1, NOT_EXECUTED: 0}  # best first wins


def run_tests(sdist_dir: str, version: str = "7.8.1") -> str:
    """Run the Chainer execution tests with recording on; the path of their report."""
    fd, path = tempfile.mkstemp(prefix="kernelc-executed-", suffix=".json")
    os.close(fd)
    env = {
        **os.environ,
        "KERNELC_COVERAGE_REPORT": path,
        "KERNELC_CHAINER_SDIST": fetch(version, sdist_dir),
    }
    cmd = [sys.executable, "-m", "pytest", "tests/chainer", "-q", "-p", "no:cacheprovider"]
    print("running: " + " ".join(cmd[1:]), file=sys.stderr)
    run = subprocess.run(cmd, cwd=ROOT, env=env, check=False, capture_output=True, text=True)
    print(f"pytest exited with {run.returncode}", file=sys.stderr)
    if run.returncode not in (0, 1):  # 1: some tests failed, their calls are not matched
        sys.exit(f"pytest exited with {run.returncode}:\n{run.stdout[-4000:]}{run.stderr[-4000:]}")
    return path


def load_executed(path: str) -> dict:
    """A test report -> {'version', 'status': {(instance id, target): status},
    'tests': {(instance id, target): passing test count}}."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    status: dict[tuple[str, str], str] = {}
    tests: dict[tuple[str, str], set] = collections.defaultdict(set)
    for c in data["calls"]:
        key = (c["instance"], c["target"])
        if c["outcome"] == "passed":
            now = MATCHED_INTERP if c["fallback"] else MATCHED
            tests[key].add(c["test"])
        else:
            now = NOT_MATCHED
        if _RANK[now] > _RANK[status.get(key, NOT_EXECUTED)]:
            status[key] = now
    ended = collections.Counter({c["test"]: c["outcome"] for c in data["calls"]}.values())
    print(
        f"test report: Chainer {data['chainer']}, {len(data['calls'])} kernel calls in tests "
        + ", ".join(f"{n} {o}" for o, n in sorted(ended.items())),
        file=sys.stderr,
    )
    return {
        "version": data["chainer"],
        "status": status,
        "tests": {k: len(v) for k, v in tests.items()},
    }


def kernel_text(instance) -> tuple:
    """What identifies a kernel across versions: its kind and constructor strings."""
    return (instance.kind, tuple(sorted((k, v or "") for k, v in instance.args.items())))


def mark_executed(reports: list[dict], executed: dict | None, sdist_dir: str) -> None:
    """Set row['executed'] (and row['executed_via'], the executed tested instance a row of
    another version borrowed its status from) on every row."""
    if executed is None:
        for report in reports:
            for r in report["rows"]:
                r["executed"], r["executed_via"] = "not run", ""
        return
    tested = executed["version"]
    tested_scan = next((rep["scan"] for rep in reports if rep["version"] == tested), None)
    if tested_scan is None:
        tested_scan = scan(fetch(tested, sdist_dir))
    known = {k.id for k in tested_scan.instances}
    stale = sorted({i for i, _ in executed["status"]} - known)
    if stale:
        sys.exit(
            f"the test report names instances Chainer {tested} does not have "
            f"(another sdist?): {', '.join(stale[:5])}"
        )
    by_text: dict[tuple, list] = collections.defaultdict(list)
    for k in tested_scan.instances:
        by_text[kernel_text(k)].append(k.id)
    for report in reports:
        same = report["version"] == tested
        for r in report["rows"]:
            o = r["outcome"]
            r["executed_via"] = ""
            if same:
                r["executed"] = executed["status"].get((o.instance, o.target), NOT_EXECUTED)
                continue
            twins = by_text.get(kernel_text(r["instance"]), [])
            if not twins:
                r["executed"] = f"{NOT_EXECUTED} (no identical {tested} kernel)"
                continue
            best = max(
                twins, key=lambda i: _RANK[executed["status"].get((i, o.target), NOT_EXECUTED)]
            )
            r["executed"] = executed["status"].get((best, o.target), NOT_EXECUTED)
            r["executed_via"] = best if r["executed"] != NOT_EXECUTED else ""


def executed_cell(row: dict, tested: str) -> str:
    if row["executed_via"]:
        if row["executed"].endswith(")"):  # 'matched (interpreter)'
            return f"{row['executed'][:-1]}; identical {tested} kernel)"
        return f"{row['executed']} (identical {tested} kernel)"
    return row["executed"]


def executed_count(rows: list[dict], tested: str) -> str:
    if any(r["executed"] == "not run" for r in rows):
        return "not run"
    matched = sum(r["executed"].startswith("matched") for r in rows)
    notes = [f"{n} interpreter" for n in [sum(r["executed"] == MATCHED_INTERP for r in rows)] if n]
    if any(r["executed_via"] for r in rows):
        notes.append(f"via identical {tested} kernels")
    return f"{matched} ({'; '.join(notes)})" if notes else str(matched)


def summary_rows(report: dict) -> list[str]:
    scan_result, out = report["scan"], []
    kinds = collections.Counter(k.kind for k in scan_result.instances)
    found = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    for target in ("wgsl", "glsl"):
        rows = [r for r in report["rows"] if r["outcome"].target == target]
        status = collections.Counter(r["outcome"].status for r in rows)
        valid = sum(r["validated"].startswith("yes") for r in rows)
        on_target = sum(r["outcome"].error_kind == "UnsupportedOnTarget" for r in rows)
        other = status["error"] + status["internal"] - on_target
        out.append(
            f"| {report['version']} | {found} | {len(scan_result.unresolved)} | {target} "
            f"| {status['ok']} | {valid} | {on_target} | {other} | "
            f"{status['pending']} | {status['out of scope']} | "
            f"{executed_count(rows, report['tested'])} |"
        )
    return out


def acceptance(report: dict) -> list[str]:
    v, rows = report["version"], [r for r in report["rows"] if r["outcome"].kind != "raw"]
    wgsl = [r for r in rows if r["outcome"].target == "wgsl"]
    glsl = [r for r in rows if r["outcome"].target == "glsl"]
    ok_w = sum(r["validated"].startswith("yes") for r in wgsl)
    plain = [r for r in glsl if not uses_scatter_or_atomics(r["instance"])]
    scatter = [r for r in glsl if uses_scatter_or_atomics(r["instance"])]
    ok_plain = sum(r["validated"].startswith("yes") for r in plain)
    plain_target = sum(r["outcome"].error_kind == "UnsupportedOnTarget" for r in plain)
    rejected = sum(r["outcome"].error_kind == "UnsupportedOnTarget" for r in scatter)
    scatter_other = [r for r in scatter if r["outcome"].error_kind != "UnsupportedOnTarget"]
    return [
        (
            f"* **{v} WGSL**: {ok_w} of {len(wgsl)} elementwise and reduction instances pass "
            f"naga{_others(wgsl, lambda r: r['validated'].startswith('yes'))}."
        ),
        (
            f"* **{v} GLSL**: {ok_plain} of {len(plain)} instances without scatter or atomics pass "
            f"glslangValidator ({plain_target} of the others are rejected with `UnsupportedOnTarget` "
            f"for another target limit, {len(plain) - ok_plain - plain_target} fail otherwise"
            f"{_others(plain, lambda r: r['validated'].startswith('yes') or on_target(r), ': ')}); "
            f"{rejected} of {len(scatter)} with scatter or atomics are rejected with "
            f"`UnsupportedOnTarget`{_others(scatter_other, lambda r: False, ', the others: ')}."
        ),
        *executed_acceptance(report, rows),
    ]


def on_target(row: dict) -> bool:
    return row["outcome"].error_kind == "UnsupportedOnTarget"


def _others(rows: list[dict], good, lead: str = "; the others: ") -> str:
    """The rows that are not `good`, as 'name (error kind)' in a list."""
    bad = [r for r in rows if not good(r)]
    if not bad:
        return ""
    return lead + ", ".join(
        f"`{r['outcome'].name}` ({r['outcome'].error_kind or reason(r)})" for r in bad
    )


def executed_acceptance(report: dict, rows: list[dict]) -> list[str]:
    """The execution line of a version's acceptance (rows: its non-raw rows)."""
    if any(r["executed"] == "not run" for r in report["rows"]):
        v = report["version"]
        return [f"* **{v} executed**: not run (pass `--run-tests` or `--executed REPORT.json`)."]
    v, counts = report["version"], {}
    for target in ("wgsl", "glsl"):
        mine = [r for r in rows if r["outcome"].target == target]
        ok = [r for r in mine if r["executed"].startswith("matched")]
        interp = sum(r["executed"] == MATCHED_INTERP for r in ok)
        counts[target] = f"{len(ok)} of {len(mine)} on {target.upper()}" + (
            f" ({interp} through the interpreter fallback)" if interp else ""
        )
    both = {}
    for r in rows:
        if r["executed"].startswith("matched"):
            both.setdefault(r["outcome"].instance, set()).add(r["outcome"].target)
    both_ids = {i for i, t in both.items() if t == {"wgsl", "glsl"}}
    names = {r["outcome"].name for r in rows if r["outcome"].instance in both_ids}
    tested = report["tested"]
    if v == tested:
        how = (
            f"elementwise and reduction instances executed and matched NumPy in passing "
            f"tests (`tests/chainer`): {counts['wgsl']}, {counts['glsl']}"
        )
    else:
        differ = {
            r["outcome"].instance
            for r in rows
            if r["executed"].startswith(NOT_EXECUTED + " (no identical")
        }
        how = (
            f"the tests run Chainer {tested}; a {v} instance counts as executed and matched "
            f"when a {tested} instance with identical kernel strings did on that target "
            f"({len(differ)} of {len(rows) // 2} have no identical {tested} kernel): "
            f"{counts['wgsl']}, {counts['glsl']}"
        )
    goal = " (the goal: at least 80)" if v == tested else ""
    return [
        (
            f"* **{v} executed**: {how}; {len(names)} distinct kernels ({len(both_ids)} "
            f"instances) executed and matched on both targets{goal}."
        )
    ]


def failure_groups(reports: list[dict]) -> list[str]:
    """Failures grouped by message shape (quoted names folded), with counts and an example."""
    groups: dict[str, dict] = {}
    for report in reports:
        for r in report["rows"]:
            text = reason(r)
            if not text or r["outcome"].status in ("out of scope",):
                continue
            shape = re.sub(r"'[^']*'", "'…'", text)
            shape = re.sub(r"\b\d+\b", "N", shape)
            g = groups.setdefault(shape, {"rows": [], "names": set(), "targets": set()})
            g["rows"].append((report["version"], r))
            g["names"].update(re.findall(r"'([^']*)'", text))
            g["targets"].add(r["outcome"].target)
    out = ["| reason | target | rows | names | example |", "| --- | --- | --- | --- | --- |"]
    for shape, g in sorted(groups.items(), key=lambda kv: -len(kv[1]["rows"])):
        version, example = g["rows"][0]
        names = ", ".join(sorted(g["names"]))[:120]
        out.append(
            f"| {_cell(shape)} | {', '.join(sorted(g['targets']))} | {len(g['rows'])} | "
            f"{_cell(names)} | {version} `{example['instance'].id}` |"
        )
    return out


def instance_table(report: dict) -> list[str]:
    out = [
        f"### Chainer {report['version']}",
        "",
        "| instance | kernel | kind | target | translated | validated | executed | reason |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in report["rows"]:
        o = r["outcome"]
        translated = {"ok": "yes", "out of scope": "out of scope", "pending": "pending"}.get(
            o.status, "no"
        )
        executed = executed_cell(r, report.get("tested", ""))
        out.append(
            f"| `{o.instance}` | {o.name} | {o.kind} | {o.target} | {translated} | "
            f"{r['validated'] or ''} | {executed} | {_cell(reason(r))} |"
        )
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(reports: list[dict], tools: str, executed_note: str) -> str:
    lines = [
        "# Chainer kernel coverage",
        "",
        (
            "Generated by `python tools/coverage.py --run-tests` (do not edit). One row per kernel instance "
            "(a constructor call site; generated kernels once per ndim 1–3 / n_ary 2–3) per "
            f"target, with the type bindings Chainer uses (see `kernels_chainer/README.md`). "
            f"Validators: {tools}. {executed_note}"
        ),
        "",
        "## Summary",
        "",
        (
            "| Chainer | instances | unresolved sites | target | translated | validated | "
            "rejected: UnsupportedOnTarget | other errors | pending | out of scope | "
            "executed and matched |"
        ),
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for report in reports:
        lines += summary_rows(report)
    lines += ["", "## Acceptance", ""]
    for report in reports:
        lines += acceptance(report)
    lines += ["", "## Failure reasons", "", *failure_groups(reports), ""]
    lines += ["## Unresolved call sites and kernels out of scope", ""]
    for report in reports:
        for u in report["scan"].unresolved:
            lines.append(f"* {report['version']} `{u.origin}` ({u.kind}): {_cell(u.reason)}")
        for r in report["rows"]:
            if r["outcome"].status == "out of scope" and r["outcome"].target == "wgsl":
                lines.append(
                    f"* {report['version']} `{r['outcome'].instance}`: RawKernel "
                    f"`{r['outcome'].name}` (chainermn), out of scope"
                )
    lines += ["", "## Instances", ""]
    for report in reports:
        lines += [*instance_table(report), ""]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", nargs="+", default=list(VERSIONS))
    parser.add_argument("-o", "--output", default=str(ROOT / "docs" / "coverage.md"))
    parser.add_argument("--json", help="also write the rows as JSON here")
    parser.add_argument("--sdist-dir", default="/tmp/chk")
    runs = parser.add_mutually_exclusive_group()
    runs.add_argument(
        "--executed",
        metavar="REPORT.json",
        help="the Chainer execution tests' report ($KERNELC_COVERAGE_REPORT)",
    )
    runs.add_argument(
        "--run-tests",
        action="store_true",
        help="run tests/chainer with recording on and use its report",
    )
    args = parser.parse_args(argv)
    report_path = run_tests(args.sdist_dir) if args.run_tests else args.executed
    executed = load_executed(report_path) if report_path else None
    if args.run_tests:
        os.unlink(report_path)
    validators = Validators()
    reports = [version_report(v, validators, args.sdist_dir) for v in args.versions]
    mark_executed(reports, executed, args.sdist_dir)
    for report in reports:
        report["tested"] = executed["version"] if executed else ""
    tools = (
        f"naga via wgpu ({'present' if validators.device else 'absent'}), "
        f"glslangValidator ({'present' if validators.glslang else 'absent'})"
    )
    if executed:
        note = (
            f"Executed: the Chainer {executed['version']} execution tests (`tests/chainer`, "
            "`python tools/coverage.py --run-tests`) ran the instance on the target and a "
            'passing test compared its outputs with NumPy: "matched" natively, "matched '
            '(interpreter)" through the IR interpreter (the GLSL fallback for what WebGL '
            "rejects); other versions count an instance whose kernel strings are identical "
            f"to an executed {executed['version']} instance, and say so."
        )
    else:
        note = "Execution: not run here (`--run-tests` or `--executed REPORT.json` fills it)."
    Path(args.output).write_text(render(reports, tools, note) + "\n", encoding="utf-8")
    if args.json:
        rows = [
            {
                "version": rep["version"],
                **r["outcome"].__dict__,
                "validated": r["validated"],
                "validation_error": r["why"],
                "executed": r["executed"],
                "executed_via": r["executed_via"],
            }
            for rep in reports
            for r in rep["rows"]
        ]
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
