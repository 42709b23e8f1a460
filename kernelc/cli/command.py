"""The `kernelc` command: translate or check the kernels in a `.cu` or `.py` file.

Rule: diagnostics go to stderr; exit 0 when everything translated, 1 for a user error in
a kernel or a command line, 2 for an internal compiler error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from kernelc.cli import scan as cli_scan
from kernelc.errors import InternalCompilerError, KernelCompileError, KernelSyntaxError
from kernelc.ir.printer import kernel_text
from kernelc.pipeline import lower_kernel, translate_elementwise
from kernelc.scan.sources import KernelDef, read_kernels
from kernelc.targets import BY_NAME, TARGETS

EXTENSIONS = {"ir": ".ir", **{t.name: t.file_extension for t in BY_NAME.values()}}


def parse_types(text: str | None) -> dict[str, str]:
    """`T=float32,U=int32` -> {'T': 'float32', 'U': 'int32'}."""
    out = {}
    for item in filter(None, (text or "").split(",")):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise argparse.ArgumentTypeError(f"bad --types item {item!r}: expected T=dtype")
        out[key.strip()] = value.strip()
    return out


def default_types(kdef: KernelDef, given: dict[str, str]) -> dict[str, str]:
    """Placeholders not given on the command line are bound to float32."""
    types = dict(given)
    for params in (kdef.in_params, kdef.out_params):
        for item in filter(str.strip, params.split(",")):
            words = item.split()
            if len(words) >= 2 and len(words[-2]) == 1:
                types.setdefault(words[-2], "float32")
    return types


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is a user error: exit status 1, not 2 (2 is ours)."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kernelc", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("translate", help="translate kernels to WGSL and/or GLSL ES 3.00")
    tr.add_argument("file", help="a .cu kernel (with a // header) or a .py file")
    tr.add_argument("--target", choices=[*TARGETS, "all"], default="all")
    tr.add_argument(
        "--types",
        type=parse_types,
        default={},
        help="placeholder bindings, e.g. T=float32,U=int32 (default float32)",
    )
    tr.add_argument("--ndim", type=int, default=1, help="loop ndim to specialise for")
    tr.add_argument(
        "--scalars",
        type=lambda s: [n for n in s.split(",") if n],
        help="non-raw inputs passed as scalars (a .cu header may say it too)",
    )
    tr.add_argument("--no-unroll", action="store_true", help="keep constant-count loops")
    tr.add_argument("--emit", choices=["code", "ir"], default="code")
    tr.add_argument("--json", action="store_true", help="print a JSON list of results")
    tr.add_argument("-o", "--output", help="file (one result) or directory (several)")
    ck = sub.add_parser("check", help="translate for every target; report errors only")
    ck.add_argument("file")
    ck.add_argument("--types", type=parse_types, default={})
    ck.add_argument("--scalars", type=lambda s: [n for n in s.split(",") if n])
    cli_scan.add_parsers(sub)  # `kernelc scan`, `kernelc cache build`
    return parser


def translate_one(kdef: KernelDef, target: str, args) -> dict:
    result = {
        "name": kdef.name,
        "target": target,
        "code": None,
        "abi": None,
        "warnings": [],
        "error": None,
    }
    scalars = kdef.scalars or tuple(getattr(args, "scalars", None) or ())
    options = dict(types=default_types(kdef, args.types), ndim=getattr(args, "ndim", 1))
    kargs = {**kdef.translate_args(), "scalars": scalars}
    try:
        if getattr(args, "emit", "code") == "ir":
            kernel, warnings = lower_kernel(**kargs, **options)
            result.update(target="ir", code=kernel_text(kernel))
        else:
            unroll = False if getattr(args, "no_unroll", False) else None
            program = translate_elementwise(**kargs, target=target, unroll=unroll, **options)
            result.update(code=program.code, abi=program.abi.to_json())
            warnings = program.warnings
        result["warnings"] = [w.to_json() for w in warnings]
    except KernelCompileError as e:
        result["error"] = {
            "message": e.message,
            "line": e.line,
            "column": e.column,
            "kind": type(e).__name__,
            "text": str(e),
        }
    return result


def write_outputs(results: list[dict], args) -> None:
    ok = [r for r in results if r["error"] is None]
    if args.json:
        text = json.dumps(results, indent=2)
        _write(args.output, text) if args.output else print(text)
        return
    if args.output and len(ok) > 1:
        os.makedirs(args.output, exist_ok=True)
        for r in ok:
            _write(os.path.join(args.output, r["name"] + EXTENSIONS[r["target"]]), r["code"])
    elif args.output:
        _write(args.output, ok[0]["code"]) if ok else None
    else:
        for r in ok:
            if len(ok) > 1:
                print(f"// ---- {r['name']} ({r['target']})")
            print(r["code"], end="" if r["code"].endswith("\n") else "\n")


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def report(results: list[dict]) -> int:
    """Print diagnostics to stderr; the exit code for these results."""
    seen = set()
    for r in results:
        for w in r["warnings"]:
            if w["text"] not in seen:
                seen.add(w["text"])
                print(w["text"], file=sys.stderr)
        if r["error"] and r["error"]["text"] not in seen:
            seen.add(r["error"]["text"])
            print(r["error"]["text"], file=sys.stderr)
    return 1 if any(r["error"] for r in results) else 0


def run(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("scan", "cache"):
        return cli_scan.run_scan(args) if args.command == "scan" else cli_scan.run_cache(args)
    try:
        kernels, skipped = read_kernels(args.file)
    except OSError as e:
        print(f"kernelc: error: {e.strerror}: {args.file}", file=sys.stderr)
        return 1
    except KernelSyntaxError as e:
        print(str(e), file=sys.stderr)
        return 1
    for note in skipped:
        print(f"note: {note}", file=sys.stderr)
    targets = TARGETS if getattr(args, "target", "all") == "all" else (args.target,)
    if getattr(args, "emit", "code") == "ir":
        targets = ("ir",)
    results = [translate_one(k, t, args) for k in kernels for t in targets]
    status = report(results)
    if args.command == "translate":
        write_outputs(results, args)
    else:
        for r in results:
            print(f"{'ok' if r['error'] is None else 'error'}: {r['name']} ({r['target']})")
    return status


def main(argv: list[str] | None = None) -> None:
    try:
        status = run(argv)
    except InternalCompilerError as e:
        print(f"kernelc: {e}", file=sys.stderr)
        status = 2
    sys.exit(status)


if __name__ == "__main__":
    main()
