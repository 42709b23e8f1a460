"""What the scanner knows about each module of a tree: its imports, its top-level
definitions, and every assignment to a name in each scope, with the branches it sits in.

Rule: indexes are built from the AST alone and lazily, one module at a time; nothing is
evaluated here.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass

from kernelc.scan.pysource import parse_python
from kernelc.scan.sandbox import Sandbox
from kernelc.scan.source_tree import SourceTree

SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@dataclass(frozen=True, eq=False)
class Assignment:
    """`stmt` binds the name; `path` indexes into the value for tuple targets; `chain` is
    the (branching statement, branch) pairs it sits in, outermost first."""

    stmt: ast.stmt
    path: tuple[int, ...]
    chain: tuple
    unresolvable: str = ""  # why the bound value cannot be known: 'a loop variable', ...


class ModuleIndex:
    def __init__(self, name: str, path: str, text: str, is_package: bool):
        self.name, self.path, self.text = name, path, text
        self.package = name if is_package else name.rpartition(".")[0]
        self.tree = parse_python(text, path)
        self.imports: dict[str, tuple] = {}
        self.defs: set[str] = set()
        self.calls: list[ast.Call] = []
        self._parents: dict[ast.AST, ast.AST] | None = None
        self._scopes: dict[ast.AST | None, dict[str, list[Assignment]]] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                self.calls.append(node)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                self._add_import(node)
        for stmt in self.tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.defs.add(stmt.name)

    @property
    def parents(self) -> dict[ast.AST, ast.AST]:
        """Each node's parent (built on first use: most modules never need it)."""
        if self._parents is None:
            self._parents = {c: n for n in ast.walk(self.tree) for c in ast.iter_child_nodes(n)}
        return self._parents

    @functools.cached_property
    def calls_by_callee(self) -> dict[str, list[ast.Call]]:
        """Every call by the source text of what it calls (`k`, `self._kernel`), in source
        order: one pass, so finding where each of N kernels is called stays linear."""
        out: dict[str, list[ast.Call]] = {}
        for node in sorted(self.calls, key=lambda n: (n.lineno, n.col_offset)):
            out.setdefault(ast.unparse(node.func), []).append(node)
        return out

    @functools.cached_property
    def calls_by_attribute(self) -> dict[str, list[ast.Call]]:
        """Calls of an attribute (`x.name(...)`) by the attribute's name, in source order."""
        out: dict[str, list[ast.Call]] = {}
        for nodes in self.calls_by_callee.values():
            if isinstance(nodes[0].func, ast.Attribute):
                out.setdefault(nodes[0].func.attr, []).extend(nodes)
        for nodes in out.values():
            nodes.sort(key=lambda n: (n.lineno, n.col_offset))
        return out

    @functools.cached_property
    def calls_of_results(self) -> dict[str, ast.Call]:
        """`f(...)(...)` by the name `f`: the first such call of each (in `ast.walk` order)."""
        out: dict[str, ast.Call] = {}
        for node in self.calls:
            if isinstance(node.func, ast.Call):
                inner = node.func.func
                name = inner.attr if isinstance(inner, ast.Attribute) else getattr(inner, "id", "")
                out.setdefault(name, node)
        return out

    def _add_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    self.imports[a.asname] = ("module", a.name)
                else:
                    top = a.name.partition(".")[0]
                    self.imports[top] = ("module", top)
            return
        base = self._absolute(node.module or "", node.level)
        for a in node.names:
            if a.name != "*":
                self.imports[a.asname or a.name] = ("from", base, a.name)

    def _absolute(self, module: str, level: int) -> str:
        if not level:
            return module
        parts = self.package.split(".")
        base = ".".join(parts[: len(parts) - level + 1])
        return f"{base}.{module}" if module else base

    def enclosing_functions(self, node: ast.AST) -> tuple:
        """Function definitions around `node`, outermost first (classes are skipped: their
        bodies are not enclosing scopes for the functions inside)."""
        out = []
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                out.append(node)
        return tuple(reversed(out))

    def statement_of(self, node: ast.AST) -> ast.stmt:
        while not isinstance(node, ast.stmt):
            node = self.parents[node]
        return node

    def assignments(self, func: ast.AST | None, name: str, point: ast.stmt | None):
        """The assignments to `name` in `func`'s scope (the module's for None) that may
        still be live at `point` (all of them, if `point` is None), in source order."""
        if func not in self._scopes:
            self._scopes[func] = _collect(func.body if func else self.tree.body, func is None)
        found = self._scopes[func].get(name, [])
        if point is not None:
            found = [a for a in found if _before(a.stmt, point)]
        return live(found)


def _before(a: ast.stmt, b: ast.stmt) -> bool:
    return (a.lineno, a.col_offset) < (b.lineno, b.col_offset)


def _collect(body, module_level: bool) -> dict[str, list[Assignment]]:
    out: dict[str, list[Assignment]] = {}
    if isinstance(body, ast.expr):  # a lambda's body binds nothing
        return out
    for stmt, chain in _statements(body, ()):
        if module_level and isinstance(stmt, SCOPES):
            continue  # top-level definitions are `ModuleIndex.defs`, run in the sandbox
        for target, path, why in _targets_of(stmt):
            out.setdefault(target, []).append(Assignment(stmt, path, chain, why))
    return out


def _statements(body: list[ast.stmt], chain: tuple):
    """Every statement of a scope (nested scopes excluded) with its branch chain."""
    for stmt in body:
        yield stmt, chain
        if isinstance(stmt, SCOPES):
            continue
        for label, block in _blocks(stmt):
            inner = chain if label is None else (*chain, (stmt, label))
            yield from _statements(block, inner)


def _blocks(stmt: ast.stmt):
    match stmt:
        case ast.If():
            return [("body", stmt.body), ("orelse", stmt.orelse)]
        case ast.For() | ast.AsyncFor() | ast.While():
            return [("loop", stmt.body), ("loop-else", stmt.orelse)]
        case ast.Try() | ast.TryStar():
            handlers = [(f"except{k}", h.body) for k, h in enumerate(stmt.handlers)]
            return [("try", stmt.body), *handlers, ("else", stmt.orelse), (None, stmt.finalbody)]
        case ast.With() | ast.AsyncWith():
            return [(None, stmt.body)]
        case ast.Match():
            return [(f"case{k}", c.body) for k, c in enumerate(stmt.cases)]
    return []


def _targets_of(stmt: ast.stmt):
    match stmt:
        case ast.Assign():
            for t in stmt.targets:
                yield from _names(t, ())
        case ast.AnnAssign(value=v) if v is not None:
            yield from _names(stmt.target, ())
        case ast.AugAssign():
            yield from _names(stmt.target, ())
        case ast.For() | ast.AsyncFor():
            yield from ((n, p, "a loop variable") for n, p, _ in _names(stmt.target, ()))
        case ast.With() | ast.AsyncWith():
            for item in stmt.items:
                if item.optional_vars is not None:
                    yield from (
                        (n, p, "bound by 'with'") for n, p, _ in _names(item.optional_vars, ())
                    )
        case ast.FunctionDef() | ast.AsyncFunctionDef() | ast.ClassDef():
            yield stmt.name, (), "a local definition"


def _names(target: ast.expr, path: tuple):
    if isinstance(target, ast.Name):
        yield target.id, path, ""
    elif isinstance(target, (ast.Tuple, ast.List)):
        starred = any(isinstance(e, ast.Starred) for e in target.elts)
        for k, e in enumerate(target.elts):
            if starred:
                inner = e.value if isinstance(e, ast.Starred) else e
                yield from ((n, p, "bound by starred unpacking") for n, p, _ in _names(inner, ()))
            else:
                yield from _names(e, (*path, k))


def live(found: list[Assignment]) -> list[Assignment]:
    """Of the assignments before a point, those whose value may reach it: walking back
    from the last one, an earlier one survives while no later chosen one (or pair of
    if/else branches) is certain to have run after it."""
    chosen: list[Assignment] = []
    for a in reversed(found):
        if _killed(a, chosen):
            break
        chosen.append(a)
    return chosen[::-1]


def _killed(a: Assignment, later: list[Assignment]) -> bool:
    if any(a.chain[: len(x.chain)] == x.chain for x in later):
        return True  # a later assignment runs whenever `a` does
    branches: dict[int, set[str]] = {}
    for x in later:
        if x.chain and a.chain[: len(x.chain) - 1] == x.chain[:-1]:
            node, label = x.chain[-1]
            if (node, label) not in a.chain and isinstance(node, ast.If) and node.orelse:
                branches.setdefault(id(node), set()).add(label)
    return any(labels >= {"body", "orelse"} for labels in branches.values())


class Project:
    """The modules of one tree, indexed on first use, and its sandbox."""

    def __init__(self, tree: SourceTree, sandbox: Sandbox):
        self.tree = tree
        self.sandbox = sandbox
        self.modules = {tree.module_name(p): p for p in tree.files}
        self._index: dict[str, ModuleIndex | None] = {}

    def module(self, name: str) -> ModuleIndex | None:
        path = self.modules.get(name)
        return None if path is None else self.index(path)

    def index(self, path: str) -> ModuleIndex | None:
        """The index of the module at `path`; None if it is not valid Python."""
        name = self.tree.module_name(path)
        if name not in self._index:
            try:
                self._index[name] = ModuleIndex(
                    name, path, self.tree.files[path], self.tree.is_package(path)
                )
            except (SyntaxError, ValueError):
                self._index[name] = None
        return self._index[name]
