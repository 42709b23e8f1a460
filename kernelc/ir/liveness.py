"""Does an output's old value matter? A conservative read-before-write analysis.

Rule: answer True unless it is certain that, on every path, the output local is assigned
before it is read and before the element can end. False lets GLSL skip binding a copy of
the output's old contents; True is always safe.
"""

from __future__ import annotations

from kernelc.ir import nodes as ir
from kernelc.ir.visit import walk


def _reads(node, name: str) -> bool:
    for n in walk(node):
        if isinstance(n, ir.ElemStore):
            continue  # write-backs read the local only to store it
        if isinstance(n, ir.Local) and n.name == name:
            return True
    return False


def _may_exit(stmt: ir.Stmt) -> bool:
    """Could this statement end the element (a `return`, or a break out of the body)?"""
    if isinstance(stmt, (ir.Return, ir.Break, ir.Continue)):
        return True
    if isinstance(stmt, ir.If):
        return any(_may_exit(s) for s in stmt.then + stmt.else_)
    if isinstance(stmt, ir.Loop):
        return any(isinstance(n, ir.Return) for n in walk(stmt.body))
    return False


def _assigns(stmt: ir.Stmt, name: str) -> bool:
    """Does `stmt` assign `name` on every path through it?"""
    if isinstance(stmt, ir.Assign):
        return stmt.name == name
    if isinstance(stmt, ir.If):
        return _block_assigns(stmt.then, name) and _block_assigns(stmt.else_, name)
    return False


def _block_assigns(stmts: tuple[ir.Stmt, ...], name: str) -> bool:
    for s in stmts:
        if _assigns(s, name):
            return True
        if _may_exit(s):
            return False
    return False


def reads_before_written(stmts: tuple[ir.Stmt, ...], name: str) -> bool:
    for s in stmts:
        if isinstance(s, ir.Assign) and s.name == name:
            return _reads(s.value, name)
        if _reads(s, name) or _may_exit(s):
            return True
        if _assigns(s, name):
            return False
    return True
