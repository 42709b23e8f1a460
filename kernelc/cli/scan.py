"""The `kernelc scan` and `kernelc cache build` commands.

Rule: like the rest of the CLI, listings go to stdout and diagnostics (unresolved call
sites, the progress bar, the build summary) to stderr; exit 1 for a bad command line or
an unreadable source.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys

from kernelc.cache import specialisations as cache_specialisations
from kernelc.cache.build import POLICIES, build, instance_records
from kernelc.cache.store import write_json
from kernelc.errors import KernelCompileError
from kernelc.scan.bindings import bind
from kernelc.scan.plugins import load as load_plugin
from kernelc.scan.scanner import ScanResult, format_text, scan
from kernelc.targets import TARGETS


def add_parsers(sub) -> None:
    sc = sub.add_parser("scan", help="list the kernel definitions in Python sources")
    sc.add_argument(
        "target",
        metavar="PATH_OR_PACKAGE",
        help="a directory, .py file, sdist/wheel archive or installed package",
    )
    add_plugin_option(sc)
    sc.add_argument("--json", action="store_true", help="print one JSON document")
    sc.add_argument("-o", "--output", help="write the listing to this file")
    ca = sub.add_parser("cache", help="precompile kernel caches")
    commands = ca.add_subparsers(dest="cache_command", required=True)
    b = commands.add_parser("build", help="translate every kernel of a package, both targets")
    b.add_argument("--package", help="package name (an installed one unless --source)")
    b.add_argument("--source", help="the package's sources: a directory or sdist archive")
    add_plugin_option(b)
    b.add_argument(
        "-o",
        "--output",
        required=True,
        help="a directory (gets NAME-VERSION.json.gz) or a .json[.gz] file",
    )
    b.add_argument("--target", choices=[*TARGETS, "all"], default="all")
    b.add_argument(
        "--policy",
        choices=["exact", "fast", "both"],
        default="both",
        help="the 64-bit policy (or both) the programs are translated under",
    )
    b.add_argument(
        "--specialisations",
        metavar="FILE",
        action="append",
        default=[],
        help="recorded call shapes to compile beside the scanned bindings "
        "(JSON Lines, kernelc/cache/specialisations.py); repeatable",
    )
    b.add_argument("--no-progress", action="store_true")


def add_plugin_option(parser) -> None:
    parser.add_argument(
        "--plugin",
        metavar="MODULE",
        action="append",
        default=[],
        help="import MODULE first, which registers what the scanner must know about a "
        "package (kernelc/scan/plugins.py; e.g. kernels_chainer.scan_plugin); repeatable",
    )


def scan_for(target: str, plugins: list[str]) -> ScanResult | None:
    try:
        for module in plugins:
            load_plugin(module)
        result = scan(target)
    except ImportError as e:
        print(f"kernelc: error: --plugin: {e}", file=sys.stderr)
        return None
    except OSError as e:
        print(f"kernelc: error: {e}", file=sys.stderr)
        return None
    except KernelCompileError as e:  # an unreadable source file, located
        print(str(e), file=sys.stderr)
        return None
    for instance in result.instances:
        bind(instance)
    return result


def run_scan(args) -> int:
    result = scan_for(args.target, args.plugin)
    if result is None:
        return 1
    text = json.dumps(result.to_json(), indent=1) if args.json else format_text(result)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        try:
            print(text)
        except BrokenPipeError:  # `kernelc scan ... | head`
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the exit quiet
    for u in result.unresolved:
        print(f"{u.origin}: note: {u.kind} kernel not resolved: {u.reason}", file=sys.stderr)
    return 0


def run_cache(args) -> int:
    if not (args.package or args.source):
        print("kernelc: error: cache build needs --package or --source", file=sys.stderr)
        return 1
    result = scan_for(args.source or args.package, args.plugin)
    if result is None:
        return 1
    recorded = 0
    for file in args.specialisations:
        try:
            records = cache_specialisations.read(file)
        except (OSError, cache_specialisations.SpecialisationError) as e:
            print(f"kernelc: error: {e}", file=sys.stderr)
            return 1
        recorded += len(records)
        for r in cache_specialisations.add(result.instances, records):
            print(
                f"{file}: note: {r['kind']} kernel {r['name']!r} ({r['kernel']}) is not "
                "among the scanned kernels: not compiled",
                file=sys.stderr,
            )
    targets = TARGETS if args.target == "all" else (args.target,)
    policies = {"exact": (True,), "fast": (False,)}.get(args.policy, POLICIES)
    cache, outcomes = build(result, targets, progress=not args.no_progress, policies=policies)
    if args.specialisations:
        cache.meta["specialisations"] = {
            "files": [os.path.basename(f) for f in args.specialisations],
            "records": recorded,
        }
    path = output_path(args.output, args.package or "kernels", result.version)
    data = cache.to_json(instances=instance_records(result, outcomes))
    data["unresolved"] = [u.__dict__ for u in result.unresolved]
    write_json(path, data)
    print_summary(result, outcomes, path)
    return 0


def output_path(output: str, package: str, version: str | None) -> str:
    if output.endswith((".json", ".json.gz")):
        os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
        return output
    os.makedirs(output, exist_ok=True)
    return os.path.join(output, f"{package}-{version or 'unknown'}.json.gz")


def print_summary(result: ScanResult, outcomes: list, path: str) -> None:
    counts = collections.Counter((f"{o.target} ({o.policy})", o.status) for o in outcomes)
    print(
        f"{len(result.instances)} instances, {len(result.unresolved)} unresolved call "
        f"sites; wrote {path}",
        file=sys.stderr,
    )
    for target in sorted({t for t, _ in counts}):
        parts = [f"{s} {n}" for (t, s), n in sorted(counts.items()) if t == target]
        print(f"  {target}: " + ", ".join(parts), file=sys.stderr)


def main(argv=None) -> int:  # for `python -m kernelc.cli.scan`
    parser = argparse.ArgumentParser(prog="kernelc")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return run_scan(args) if args.command == "scan" else run_cache(args)
