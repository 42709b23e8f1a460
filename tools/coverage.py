"""Chainer kernel coverage: writes docs/coverage.md, one row per kernel instance per target.

    python tools/coverage.py [--versions 7.8.1 5.4.0] [-o docs/coverage.md] [--json FILE]

For each Chainer version: scan the sdist (fetched by tools/chainer_sdist.py when absent),
bind types the way Chainer calls each kernel, translate every instance for both targets,
and validate each program's shaders (every GLSL one: reduction passes, output groups) with
a real compiler: naga (wgpu's create_shader_module) for WGSL, `glslangValidator --stdin
-S frag` for GLSL. Execution against NumPy is a separate
work item: that column says "not yet".
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from chainer_sdist import fetch

from kernelc.cache_build import build
from kernelc.scan import scan
from kernelc.scan_bindings import bind

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
        run = subprocess.run([self.glslang, "--stdin", "-S", "frag"], input=code, check=False,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
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
            checks = [validators.check(f"{o.key}#{k}", o.target, code)
                      for k, code in enumerate(shaders(cache.entries[o.key]))]  # fmt: skip
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
        out.append(f"| {report['version']} | {found} | {len(scan_result.unresolved)} | {target} "
                   f"| {status['ok']} | {valid} | {on_target} | {other} | "
                   f"{status['pending']} | {status['out of scope']} |")  # fmt: skip
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
    return [
        f"* **{v} WGSL**: {ok_w} of {len(wgsl)} elementwise and reduction instances pass naga.",
        (
            f"* **{v} GLSL**: {ok_plain} of {len(plain)} instances without scatter or atomics pass "
            f"glslangValidator ({plain_target} of the others are rejected with `UnsupportedOnTarget` "
            f"for another target limit, {len(plain) - ok_plain - plain_target} fail otherwise); "
            f"{rejected} of {len(scatter)} with scatter or atomics are rejected with "
            "`UnsupportedOnTarget`."
        ),
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
        out.append(f"| {_cell(shape)} | {', '.join(sorted(g['targets']))} | {len(g['rows'])} | "
                   f"{_cell(names)} | {version} `{example['instance'].id}` |")  # fmt: skip
    return out


def instance_table(report: dict) -> list[str]:
    out = [f"### Chainer {report['version']}", "",
           "| instance | kernel | kind | target | translated | validated | executed | reason |",
           "| --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for r in report["rows"]:
        o = r["outcome"]
        translated = {"ok": "yes", "out of scope": "out of scope", "pending": "pending"}.get(
            o.status, "no")  # fmt: skip
        executed = "not yet" if o.status == "ok" else ""
        out.append(f"| `{o.instance}` | {o.name} | {o.kind} | {o.target} | {translated} | "
                   f"{r['validated'] or ''} | {executed} | {_cell(reason(r))} |")  # fmt: skip
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(reports: list[dict], tools: str) -> str:
    lines = ["# Chainer kernel coverage", "",
             ("Generated by `python tools/coverage.py` (do not edit). One row per kernel instance "
             "(a constructor call site; generated kernels once per ndim 1–3 / n_ary 2–3) per "
             f"target, with the type bindings Chainer uses (see `kernels_chainer/README.md`). "
             f"Validators: {tools}. Execution against NumPy is a separate work item."), "",
             "## Summary", "",
             ("| Chainer | instances | unresolved sites | target | translated | validated | "
             "rejected: UnsupportedOnTarget | other errors | pending | out of scope |"),
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
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
                lines.append(f"* {report['version']} `{r['outcome'].instance}`: RawKernel "
                             f"`{r['outcome'].name}` (chainermn), out of scope")  # fmt: skip
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
    args = parser.parse_args(argv)
    validators = Validators()
    reports = [version_report(v, validators, args.sdist_dir) for v in args.versions]
    tools = (f"naga via wgpu ({'present' if validators.device else 'absent'}), "
             f"glslangValidator ({'present' if validators.glslang else 'absent'})")  # fmt: skip
    Path(args.output).write_text(render(reports, tools) + "\n", encoding="utf-8")
    if args.json:
        rows = [{"version": rep["version"], **r["outcome"].__dict__, "validated": r["validated"],
                 "validation_error": r["why"]} for rep in reports for r in rep["rows"]]  # fmt: skip
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
