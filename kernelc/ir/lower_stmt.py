"""Lowering of C statements and declarations to structured IR statements.

Rule: every C loop becomes one `Loop` with its exit test as an explicit `Break`; `for`
steps go to `continuing`, so `continue` still runs them; recognisable counting loops
carry a `Counted` hint for the unroll pass.
"""

from __future__ import annotations

from kernelc.errors import (
    KernelNameError,
    KernelSyntaxError,
    KernelTypeError,
    UnsupportedFeatureError,
)
from kernelc.frontend import ast
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import bool_, computation_type
from kernelc.ir.lower_complex import is_complex_type
from kernelc.ir.scope import Alias, ConstVar, LocalVar
from kernelc.ir.typing import convert, to_bool
from kernelc.ir.visit import walk

U = ir.UnaryOp
B = ir.BinaryOp
COUNT_CMP = {"<": B.LT, "<=": B.LE, ">": B.GT, ">=": B.GE, "!=": B.NE}


def negate(c: ir.Expr) -> ir.Expr:
    if isinstance(c, ir.Const):
        return ir.Const(not c.value, bool_)
    return ir.Unary(U.NOT, c, bool_)


class StmtLowering:
    """Mixin for `Lowerer`: statements append to `self.out`."""

    def lower_block(self, stmts, *, new_scope: bool = True) -> None:
        if new_scope:
            self.scopes.push()
        for s in stmts:
            self.stmt(s)
        if new_scope:
            self.scopes.pop()

    def sub_block(self, s: ast.Stmt) -> tuple[ir.Stmt, ...]:
        """Lower `s` as a nested block into its own statement tuple."""
        saved, self.out = self.out, []
        try:
            self.lower_block(s.stmts if isinstance(s, ast.Block) else (s,))
            return tuple(self.out)
        finally:
            self.out = saved

    def stmt(self, s: ast.Stmt) -> None:
        method = getattr(self, "_stmt_" + type(s).__name__)
        method(s)

    def _stmt_Empty(self, s: ast.Empty) -> None:
        pass

    def _stmt_Block(self, s: ast.Block) -> None:
        self.lower_block(s.stmts)

    def _stmt_ExprStmt(self, s: ast.ExprStmt) -> None:
        self.effect(s.expr)

    def _stmt_Unsupported(self, s: ast.Unsupported) -> None:
        self.fail(UnsupportedFeatureError, s.reason, s.span)

    def _stmt_If(self, s: ast.If) -> None:
        c = self.cond(s.cond)
        then = self.sub_block(s.then)
        else_ = self.sub_block(s.else_) if s.else_ is not None else ()
        self.out.append(ir.If(c, then, else_))

    # ------------------------------------------------------------------ loops

    def loop_body(self, s: ast.Stmt) -> tuple[ir.Stmt, ...]:
        self.loop_depth += 1
        try:
            return self.sub_block(s)
        finally:
            self.loop_depth -= 1

    def exit_test(self, cond: ast.Expr | None) -> list[ir.Stmt]:
        if cond is None:
            return []
        c, stmts = self.pure(cond)
        return [*stmts, ir.If(negate(to_bool(c)), (ir.Break(),))]

    def _stmt_While(self, s: ast.While) -> None:
        test = self.exit_test(s.cond)
        self.out.append(ir.Loop((*test, *self.loop_body(s.body))))

    def _stmt_DoWhile(self, s: ast.DoWhile) -> None:
        first = self.scopes.fresh("kc_first")
        self.out.append(ir.Declare(first, bool_, ir.Const(True, bool_)))
        body = self.loop_body(s.body)
        test = self.exit_test(s.cond)
        check = ir.If(negate(ir.Local(first, bool_)), tuple(test))
        self.out.append(ir.Loop((check, ir.Assign(first, ir.Const(False, bool_)), *body)))

    def _stmt_For(self, s: ast.For) -> None:
        self.scopes.push()
        if s.init is not None:
            self.stmt(s.init)
        test = self.exit_test(s.cond)
        body = self.loop_body(s.body)
        step: list[ir.Stmt] = []
        if s.step is not None:
            _, step = self.pure(s.step)
        counted = self.counted(s, body)
        self.out.append(ir.Loop((*test, *body), tuple(step), counted))
        self.scopes.pop()

    def counted(self, s: ast.For, body: tuple[ir.Stmt, ...]) -> ir.Counted | None:
        """`for (int k = a; k < b; k += c)` with k untouched by the body."""
        var = self.counted_var(s.init)
        cond = s.cond
        if var is None or not isinstance(cond, ast.Binary) or cond.op not in COUNT_CMP:
            return None
        if not (isinstance(cond.lhs, ast.Ident) and cond.lhs.name == var[0]):
            return None
        step = self.counted_step(s.step, var[0])
        stop, stmts = self.pure(cond.rhs)
        local = self.scopes.lookup(var[0])
        if step is None or stmts or not isinstance(local, LocalVar):
            return None
        if any(_touches(n, local.ir_name) for n in walk(body)):
            return None
        return ir.Counted(local.ir_name, var[1], stop, step, COUNT_CMP[cond.op])

    def counted_var(self, init: ast.Stmt | None):
        if not (isinstance(init, ast.Decl) and len(init.declarators) == 1):
            return None
        d = init.declarators[0]
        local = self.scopes.lookup(d.name)
        if d.has_array or d.init is None or not isinstance(local, LocalVar):
            return None
        if local.dtype.is_float or local.dtype is bool_:
            return None
        start = self.last_declared_init(local.ir_name)
        return (d.name, start) if start is not None else None

    def last_declared_init(self, ir_name: str) -> ir.Expr | None:
        for st in reversed(self.out):
            if isinstance(st, ir.Declare) and st.name == ir_name:
                return st.init if isinstance(st.init, ir.Expr) else None
        return None

    @staticmethod
    def counted_step(step: ast.Expr | None, var: str) -> int | None:
        match step:
            case (
                ast.Postfix(op=op, operand=ast.Ident(name=n))
                | ast.Unary(op=("++" | "--") as op, operand=ast.Ident(name=n))
            ) if n == var:
                return 1 if op == "++" else -1
            case ast.Assign(
                op=("+=" | "-=") as op, target=ast.Ident(name=n), value=ast.IntLit(value=v)
            ) if n == var:
                return v if op == "+=" else -v
        return None

    def _stmt_Break(self, s: ast.Break) -> None:
        self.jump(ir.Break(), "break", s.span)

    def _stmt_Continue(self, s: ast.Continue) -> None:
        self.jump(ir.Continue(), "continue", s.span)

    def jump(self, node: ir.Stmt, word: str, span) -> None:
        if self.loop_depth > 0:
            self.out.append(node)
        elif self.in_loop_body:
            # CuPy runs the operation inside its element loop: leaving it ends this element.
            self.element_exit = True
            self.out.append(ir.Break())
        else:
            self.fail(KernelSyntaxError, f"'{word}' statement not in a loop", span)

    def _stmt_Return(self, s: ast.Return) -> None:
        if self.return_ctype is not None or self.in_function:
            self.function_return(s)
            return
        if s.value is not None:
            self.fail(KernelTypeError, "a kernel body cannot return a value", s.value.span)
        if self.in_loop_body:
            self.out.extend(self.writeback())
        self.out.append(ir.Return())

    def function_return(self, s: ast.Return) -> None:
        if self.return_ctype is None:
            if s.value is not None:
                self.fail(KernelTypeError, "a void function cannot return a value", s.span)
            self.out.append(ir.Return())
            return
        if s.value is None:
            self.fail(KernelTypeError, "non-void function must return a value", s.span)
        self.emit_return(self.convert_value(self.expr(s.value), self.return_ctype, s.value.span))

    def emit_return(self, value) -> None:
        """Return `value` from the function being lowered; a complex one is stored through
        the function's two result parameters."""
        if self.return_parts is None:
            self.out.append(ir.Return(value))
            return
        self.assign_complex(self.return_parts, value)
        self.out.append(ir.Return())

    # ------------------------------------------------------------------ declarations

    def _stmt_Decl(self, s: ast.Decl) -> None:
        if "__shared__" in s.qualifiers:
            self.fail(
                UnsupportedFeatureError,
                "'__shared__' memory is not supported: an "
                "elementwise kernel has no thread block to share it",
                s.span,
            )
        ctype = None if s.type.name == "auto" else self.resolve_type(s.type)
        if ctype is None and s.type.name != "auto":
            self.fail(KernelTypeError, "variable has type 'void'", s.type.span)
        for d in s.declarators:
            if self.scopes.declared_here(d.name):
                self.fail(KernelNameError, f"redefinition of '{d.name}'", d.span)
            self.declarator(s, d, ctype or self.auto_type(d))

    def declarator(self, s: ast.Decl, d: ast.Declarator, ctype) -> None:
        if d.is_ref or s.type.is_ref:
            if d.init is None:
                self.fail(KernelTypeError, f"reference '{d.name}' must be initialised", d.span)
            self.scopes.bind(d.name, Alias(self.bound(self.lvalue(d.init)), ctype))
            return
        if d.has_array:
            self.array_declarator(d, ctype, s.type.is_const)
            return
        init = (
            d.init.items[0]
            if isinstance(d.init, ast.InitList) and len(d.init.items) == 1
            else d.init
        )
        span = init.span if init is not None else d.span
        value = self.convert_value(self.expr(init), ctype, span) if init is not None else None
        if is_complex_type(ctype):
            name = self.complex_name(self.user_local_name(d.name))
            self.declare_complex(name, value, ctype)
            self.scopes.bind(d.name, LocalVar(name, ctype, ctype, readonly=s.type.is_const))
            return
        if s.type.is_const and isinstance(value, ir.Const):
            self.scopes.bind(d.name, ConstVar(value, ctype))
            return
        name = self.scopes.fresh(self.user_local_name(d.name))
        dtype = computation_type(ctype)
        self.out.append(ir.Declare(name, dtype, value))
        self.scopes.bind(d.name, LocalVar(name, ctype, dtype, readonly=s.type.is_const))

    def array_declarator(self, d: ast.Declarator, ctype, is_const: bool) -> None:
        if is_complex_type(ctype):
            message = f"array '{d.name}' of complex values is not supported"
            self.fail(
                UnsupportedFeatureError, message, d.span, notes=("use a raw array parameter",)
            )
        items = None
        if d.init is not None:
            if not isinstance(d.init, ast.InitList):
                self.fail(
                    KernelTypeError,
                    f"array '{d.name}' needs a brace-enclosed initialiser",
                    d.init.span,
                )
            items = tuple(convert(self.expr(x), ctype) for x in d.init.items)
        if d.array_size is not None:
            length = self.const_int(d.array_size, "an array size")
        elif items is not None:
            length = len(items)
        else:
            self.fail(KernelTypeError, f"array '{d.name}' needs a size", d.span)
        if length <= 0:
            self.fail(KernelTypeError, f"array '{d.name}' has size {length}", d.array_size.span)
        if items is not None and len(items) > length:
            self.fail(
                KernelTypeError,
                f"too many initialisers for '{d.name}[{length}]'",
                d.init.items[length].span,
            )
        dtype = computation_type(ctype)
        self.claim_private_memory(d, length * dtype.itemsize)
        name = self.scopes.fresh(self.user_local_name(d.name))
        self.out.append(ir.Declare(name, dtype, items, length))
        self.scopes.bind(d.name, LocalVar(name, ctype, dtype, length, readonly=is_const))

    def claim_private_memory(self, d: ast.Declarator, size: int) -> None:
        """Local arrays live in each element's private memory, which GPUs keep small (a
        large one spills to slow memory or fails to compile; WebGL drivers unroll it)."""
        self.local_array_bytes += size
        if self.local_array_bytes > PRIVATE_MEMORY_LIMIT:
            message = (
                f"local array '{d.name}' needs {size} bytes: the local arrays of a kernel "
                f"may hold {PRIVATE_MEMORY_LIMIT} bytes per element (4096 floats) together"
            )
            notes = ("use a raw array parameter for large data",)
            self.fail(UnsupportedFeatureError, message, d.span, notes=notes)

    def auto_type(self, d: ast.Declarator):
        """`auto x = init;`: the type of the initialiser (its computation type)."""
        if d.init is None or d.has_array or isinstance(d.init, ast.InitList):
            self.fail(
                KernelTypeError, f"'auto' variable '{d.name}' needs a plain initialiser", d.span
            )
        value, _ = self.pure(d.init)
        return value.dtype

    @staticmethod
    def user_local_name(name: str) -> str:
        return "v_" + name if name.startswith("kc_") else name


PRIVATE_MEMORY_LIMIT = 16384  # bytes of local arrays per element (docs/kernel-language.md)


def _touches(node, name: str) -> bool:
    """Whether `node` may change local `name` (assigns it, or passes it by reference)."""
    if isinstance(node, ir.Assign):
        return node.name == name
    if isinstance(node, ir.Call):
        return any(isinstance(a, ir.Local) and a.name == name for a in node.args)
    return False
