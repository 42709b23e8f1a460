"""Python source trees to scan: a directory, an sdist / wheel archive, or an installed
package found by name, read into `{relative path: text}`.

Rule: reading a tree never imports or runs anything from it; a package given by name is
located with `importlib.util.find_spec` (which does not execute the package).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import tarfile
import zipfile
from dataclasses import dataclass, field

from kernelc.scan.sources import check_size, decode_source

SKIP_DIRS = {"__pycache__", ".git", ".hg", ".tox", ".venv", "venv", "node_modules", "build"}
ARCHIVES = (".tar.gz", ".tgz", ".tar", ".zip", ".whl")
_VERSION = re.compile(r"""^__version__\s*=\s*['"]([^'"]+)['"]""", re.MULTILINE)


@dataclass
class SourceTree:
    """Python files by path relative to the tree's root (`chainer/functions/...py`)."""

    label: str  # what the user named: a path or a package
    files: dict[str, str] = field(default_factory=dict)
    version: str | None = None

    def module_name(self, path: str) -> str:
        """`chainer/utils/conv.py` -> `chainer.utils.conv`; `pkg/__init__.py` -> `pkg`."""
        parts = path[: -len(".py")].split("/")
        if parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts)

    def is_package(self, path: str) -> bool:
        return path.endswith("/__init__.py")


def load_tree(target: str) -> SourceTree:
    """A directory, a single `.py` file, an archive, or an installed package's name."""
    if os.path.isdir(target):
        return _from_directory(target)
    if os.path.isfile(target) and target.endswith(ARCHIVES):
        return _from_archive(target)
    if os.path.isfile(target):
        check_size(target, os.path.getsize(target))
        with open(target, "rb") as f:
            return SourceTree(target, {os.path.basename(target): decode_source(target, f.read())})
    return _from_package(target)


def _from_directory(root: str) -> SourceTree:
    root = os.path.abspath(root)
    # A package directory itself (has __init__.py): keep its name as the path prefix so
    # that module names are the importable ones.
    prefix = os.path.basename(root) + "/" if os.path.isfile(f"{root}/__init__.py") else ""
    tree = SourceTree(root)
    for here, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(names):
            if name.endswith(".py"):
                full = os.path.join(here, name)
                rel = prefix + os.path.relpath(full, root).replace(os.sep, "/")
                tree.files[rel] = _read(full)
    tree.version = _version_of(tree, root)
    return tree


def _read(path: str) -> str:
    check_size(path, os.path.getsize(path))
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        return f.read()


def _from_archive(path: str) -> SourceTree:
    members = _archive_members(path)
    tops = {name.split("/", 1)[0] for name in members}
    # sdists wrap everything in one `name-version/` directory: strip it
    strip = len(tops) == 1 and all("/" in n for n in members)
    tree = SourceTree(path)
    for name, data in sorted(members.items()):
        rel = name.split("/", 1)[1] if strip else name
        if rel.endswith(".py"):
            tree.files[rel] = data.decode("utf-8-sig", errors="replace")
        elif rel in ("PKG-INFO",) or rel.endswith(".dist-info/METADATA"):
            tree.version = tree.version or _metadata_version(data.decode("utf-8", "replace"))
    tree.version = tree.version or _version_from_files(tree)
    return tree


def _archive_members(path: str) -> dict[str, bytes]:
    """The archive's `.py` and metadata members; a member over the size limit stops the
    scan when its header is seen, before its data is read."""
    wanted = (".py", "PKG-INFO", "METADATA")
    where = f"{path}: member "
    if path.endswith((".zip", ".whl")):
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if i.filename.endswith(wanted)]
            for info in infos:
                check_size(info.filename, info.file_size, where)
            return {i.filename: zf.read(i) for i in infos}
    out = {}
    with tarfile.open(path) as tf:
        for m in tf:  # streamed: a member's data is only read when extracted
            if m.isfile() and m.name.endswith(wanted):
                check_size(m.name, m.size, where)
                out[m.name.lstrip("./")] = tf.extractfile(m).read()
    return out


def _metadata_version(text: str) -> str | None:
    m = re.search(r"^Version:\s*(\S+)", text, re.MULTILINE)
    return m.group(1) if m else None


def _version_from_files(tree: SourceTree) -> str | None:
    for rel, text in tree.files.items():
        if rel.count("/") == 1 and rel.endswith(("/_version.py", "/__init__.py")):
            m = _VERSION.search(text)
            if m:
                return m.group(1)
    return None


def _version_of(tree: SourceTree, root: str) -> str | None:
    info = os.path.join(root, "PKG-INFO")
    if os.path.isfile(info):
        return _metadata_version(_read(info))
    return _version_from_files(tree)


def _from_package(name: str) -> SourceTree:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"no such file, directory or installed package: {name}")
    tree = _from_directory(next(iter(spec.submodule_search_locations)))
    tree.label = name
    try:
        tree.version = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        pass
    return tree
