"""Running a scanned package's kernel-generator modules with their imports stubbed.

Some kernels are built by code (string builders that take ndim, such as Chainer's
`conv_nd_kernel`). The scanner executes such a module here, from the scanned
tree's source text, to call its generator.

Rule: sandboxed code may import only modules of the scanned tree, the configured stubs
and a few pure standard-library modules; any other import (numpy, cupy, ...) fails the
load with `SandboxError`, which the scanner reports as an unresolved call site. Package
`__init__` files are never executed (they import the world): packages are empty
namespaces here. This keeps heavy or side-effecting code out; it is not a security
boundary (the code that runs is the scanned package's own source).
"""

from __future__ import annotations

import builtins
import importlib
import types

from kernelc.scan.source_tree import SourceTree

STDLIB = frozenset(
    {
        "__future__",
        "functools",
        "itertools",
        "operator",
        "math",
        "string",
        "collections",
        "re",
        "textwrap",
        "warnings",
        "numbers",
    }
)

SIX_STUB = """
import functools
PY2, PY3 = False, True
string_types, integer_types, text_type, binary_type = (str,), (int,), str, bytes
def iteritems(d): return iter(d.items())
def itervalues(d): return iter(d.values())
def iterkeys(d): return iter(d.keys())
def with_metaclass(meta, *bases): return meta('with_metaclass_base', bases or (object,), {})
def add_metaclass(meta): return lambda cls: cls
from six import moves
"""
SIX_MOVES_STUB = """
import functools
range = xrange = range
zip = zip
map = map
filter = filter
reduce = functools.reduce
"""
# Generic stubs; a package's own come from its plugin (`kernelc.scan.plugins`).
STUBS = {
    "six": SIX_STUB,
    "six.moves": SIX_MOVES_STUB,
}


class SandboxError(Exception):
    """A module could not be loaded in the sandbox (a refused import, or it raised)."""


class Sandbox:
    """Modules of one `SourceTree`, executed on demand with restricted imports."""

    def __init__(self, tree: SourceTree, stubs: dict[str, str] | None = None):
        self.tree = tree
        self.stubs = STUBS if stubs is None else stubs
        self.paths = {tree.module_name(p): p for p in tree.files}
        self.modules: dict[str, types.ModuleType] = {}
        self.errors: dict[str, str] = {}
        self.builtins = dict(vars(builtins), __import__=self._import)

    def has_module(self, name: str) -> bool:
        return name in self.paths or name in self.stubs

    def is_namespace(self, name: str) -> bool:
        """A package prefix of some module or stub (`chainer`, `chainer.backends`)."""
        prefix = name + "."
        return any(m.startswith(prefix) for m in (*self.paths, *self.stubs))

    def load(self, name: str) -> types.ModuleType:
        """The module `name`, executed once; `SandboxError` if that is refused or fails."""
        if name in self.modules:
            return self.modules[name]
        if name in self.errors:
            raise SandboxError(self.errors[name])
        try:
            return self._load(name)
        except SandboxError as e:
            self.errors[name] = str(e)
            self.modules.pop(name, None)
            raise

    def _load(self, name: str) -> types.ModuleType:
        if name in STDLIB:
            return importlib.import_module(name)
        path = self.paths.get(name)
        is_package = path is not None and self.tree.is_package(path)
        if name in self.stubs:
            return self._exec(name, self.stubs[name], f"<stub {name}>")
        if path is not None and not is_package:
            return self._exec(name, self.tree.files[path], path)
        if is_package or self.is_namespace(name):
            return self._register(name, types.ModuleType(name))
        raise SandboxError(f"import of '{name}' refused (outside the scanned tree)")

    def _register(self, name: str, module: types.ModuleType) -> types.ModuleType:
        self.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(self.load(parent), child, module)
        return module

    def _exec(self, name: str, text: str, filename: str) -> types.ModuleType:
        module = types.ModuleType(name)
        module.__file__ = filename
        module.__package__ = name.rpartition(".")[0]
        module.__dict__["__builtins__"] = self.builtins
        self._register(name, module)
        try:
            exec(compile(text, filename, "exec"), module.__dict__)  # noqa: S102
        except SandboxError as e:
            raise SandboxError(f"{name}: {e}") from None
        except Exception as e:  # noqa: BLE001 - the module's own failure: report, never propagate
            raise SandboxError(f"{name} raised {type(e).__name__}: {e}") from None
        return module

    def _import(self, name, globals=None, locals=None, fromlist=(), level=0):
        if level:
            package = (globals or {}).get("__package__") or ""
            base = package.rsplit(".", level - 1)[0] if level > 1 else package
            name = f"{base}.{name}" if name else base
        module = self.load(name)
        for item in fromlist or ():
            sub = f"{name}.{item}"
            if not hasattr(module, item) and (self.has_module(sub) or self.is_namespace(sub)):
                setattr(module, item, self.load(sub))
        return module if fromlist else self.load(name.partition(".")[0])
