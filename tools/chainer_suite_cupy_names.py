"""Every `cupy`/`cupyx` name Chainer's source references, found with `ast` (Chainer is not
imported), and whether the cupy shim has it and a project test uses it.

    python3 tools/chainer_suite_cupy_names.py /tmp/chk/chainer-7.8.1.tar.gz         # table
    python3 tools/chainer_suite_cupy_names.py SDIST --write docs/chainer-cupy-names.md
    python3 tools/chainer_suite_cupy_names.py SDIST --check docs/chainer-cupy-names.md

Rule: a reference is an attribute chain through a name bound to CuPy — `cupy.X.Y`,
`cuda.cupy.X` (Chainer's `chainer.backends.cuda` re-exports `cupy` and `cupyx`), `cupyx.X`,
`from cupy.X import Y` — or `xp.X` (also `self.xp.X`) where `xp` may be CuPy (its GPU branches
share the code with NumPy's); a chain stops at the first call or subscript. Present means
the chain resolves on the installed shim; tested means a file under tests/ names the
chain's last part after `cupy.`, `cupyx.`, `xp.`, `wp.` or `wgpy_runtime.`.
"""

from __future__ import annotations

import argparse
import ast
import functools
import re
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ROOTS = ("cupy", "cupyx")
# Deliberately absent, with the reason: cuDNN does not exist on WebGPU/WebGL, so `import
# cupy.cudnn` fails and Chainer takes its non-cuDNN paths (docs/chainer.md); NCCL likewise;
# cuBLAS calls take raw device addresses, which WebGPU/WebGL do not have (products are
# kernels, wgpy_runtime.linalg).
ABSENT_BY_DESIGN = {
    "cupy.cudnn": "no cuDNN",
    "cupy.cuda.cudnn": "no cuDNN",
    "cupyx.cudnn": "no cuDNN",
    "cupy.cuda.nccl": "no NCCL",
    "cupy.cuda.cublas.": "cuBLAS takes device addresses",
}


def _chain(node: ast.AST) -> list[str] | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def cupy_name(parts: list[str]) -> str | None:
    """`cuda.cupy.random.rand` -> `cupy.random.rand`; None if not through CuPy."""
    for i, p in enumerate(parts):
        if p in ROOTS and (i == 0 or parts[i - 1] == "cuda") and len(parts) > i + 1:
            return ".".join(parts[i:])
    return None


def scan_source(
    text: str, filename: str, cuda_exports: dict | None = None
) -> dict[str, tuple[str, str]]:
    """{name: (how, first location)} for one module; how is `cupy` or `xp`.
    `cuda_exports`: what `chainer.backends.cuda` imports from CuPy under its own names
    (`cuda.cublas` is `cupy.cuda.cublas`)."""
    found: dict[str, tuple[str, str]] = {}
    tree = ast.parse(text, filename)
    parents: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
            parents.add(id(node.value))

    def add(name, how, node):
        found.setdefault(name, (how, f"{filename}:{node.lineno}"))

    aliases = {}  # `from cupy.cuda import cublas` -> {"cublas": "cupy.cuda.cublas"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in ROOTS:
                for alias in node.names:
                    add(f"{node.module}.{alias.name}", "cupy", node)
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ROOTS and "." in alias.name:
                    add(alias.name, "cupy", node)
        elif isinstance(node, ast.Attribute) and id(node) not in parents:
            parts = _chain(node)
            if parts is None:
                continue
            name = cupy_name(parts)
            if name is None and parts[0] in aliases and len(parts) > 1:
                name = ".".join([aliases[parts[0]], *parts[1:]])
            exported = (cuda_exports or {}).get(parts[1]) if len(parts) > 2 else None
            if name is None and parts[0] == "cuda" and exported:
                name = ".".join([exported, *parts[2:]])
            if name:
                add(name, "cupy", node)
            elif "xp" in parts[:-1]:  # xp.X, self.xp.X, link.xp.X
                last = len(parts) - 1 - parts[::-1].index("xp")
                add("cupy." + ".".join(parts[last + 1 :]), "xp", node)
    return found


def scan(sdist: Path) -> dict[str, tuple[str, str]]:
    names: dict[str, tuple[str, str]] = {}
    with tarfile.open(sdist) as tar:
        cuda_py = next(m for m in tar.getmembers() if m.name.endswith("chainer/backends/cuda.py"))
        exports = {}
        for node in ast.walk(ast.parse(tar.extractfile(cuda_py).read().decode("utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ROOTS:
                exports.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            parts = member.name.split("/")
            if len(parts) < 3 or parts[1] != "chainer" or not member.name.endswith(".py"):
                continue
            text = tar.extractfile(member).read().decode("utf-8")
            for name, found in scan_source(text, "/".join(parts[1:]), exports).items():
                if name not in names or (found[0] == "cupy" and names[name][0] == "xp"):
                    names[name] = found
    return names


@functools.cache
def _shim_modules() -> dict:
    from wgpy_runtime.cupy_shim.namespace import build

    return build()


def resolve(name: str) -> bool:
    """Whether `name` resolves on the cupy shim (modules by sys.modules, then attributes)."""
    modules = _shim_modules()
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        head = ".".join(parts[:cut])
        if head in modules:
            obj = modules[head]
            try:
                for attr in parts[cut:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                return False
            return True
    return False


def tested_names() -> set[str]:
    text = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("*.py"))
    chains = re.findall(r"\b(?:cupy|cupyx|xp|wp|wgpy_runtime)((?:\.\w+)+)", text)
    return {part for chain in chains for part in chain.split(".") if part}


def rows(names: dict[str, tuple[str, str]]) -> list[tuple[str, str, str, str, str]]:
    tested = tested_names()
    out = []
    for name, (how, where) in sorted(names.items()):
        reason = next(
            (
                why
                for a, why in ABSENT_BY_DESIGN.items()
                if name == a or name.startswith(a if a.endswith(".") else a + ".")
            ),
            None,
        )
        if reason and not resolve(name):
            present = f"no (by design: {reason})"
        else:
            present = "yes" if resolve(name) else "**no**"
        out.append((name, how, present, "yes" if name.split(".")[-1] in tested else "no", where))
    return out


HEAD = """# CuPy names Chainer 7.8.1 uses, and the cupy shim

Generated by `python3 tools/chainer_suite_cupy_names.py chainer-7.8.1.tar.gz --write
docs/chainer-cupy-names.md` from Chainer's source (`ast`, no import). *via*: `cupy` for a
name reached through `cupy`/`cuda.cupy`/`cupyx` (or imported from them); `xp` for a name
called as `xp.NAME` in code shared by the NumPy and CuPy paths (some are reached on the CPU
only). *present*: the name resolves on the shim. *tested*: a test under `tests/` names it.
*first use*: where Chainer first references it.
"""


def markdown(table) -> str:
    absent = [r for r in table if r[2] == "**no**"]
    counts = (
        f"{len(table)} names; {len(table) - len(absent)} present or absent by design, "
        f"{len(absent)} absent; {sum(r[3] == 'yes' for r in table)} tested."
    )
    lines = [
        HEAD,
        counts,
        "",
        "| name | via | present | tested | first use |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [f"| `{n}` | {how} | {p} | {t} | {w} |" for n, how, p, t, w in table]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sdist", type=Path, help="chainer-7.8.1.tar.gz")
    parser.add_argument("--write", type=Path, help="write the markdown table here")
    parser.add_argument("--check", type=Path, help="exit 1 if this file is not current")
    args = parser.parse_args(argv)
    text = markdown(rows(scan(args.sdist)))
    if args.write:
        args.write.write_text(text)
    elif args.check:
        if args.check.read_text() != text:
            print(f"{args.check} is out of date; regenerate with --write", file=sys.stderr)
            return 1
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
