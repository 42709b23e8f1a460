"""AST -> C text, for tests (parse(unparse(x)) == x) and for debugging dumps.

Rule: every operand that is not a primary or postfix expression is parenthesised, so the
printed text shows exactly the tree the parser built (`a + b * c` prints `a + (b * c)`)
and reparses to the same tree without any precedence table here.
"""

from __future__ import annotations

import dataclasses

from kernelc.errors import InternalCompilerError
from kernelc.frontend import ast

_ATOMS = (ast.Ident, ast.IntLit, ast.FloatLit, ast.BoolLit, ast.InitList, ast.SizeOf)
_POSTFIX = (ast.Call, ast.Index, ast.Member, ast.Construct)


def unparse(node: ast.Node, indent: str = "") -> str:
    """C text for an expression, statement, type, function or translation unit."""
    match node:
        case ast.Expr():
            return _expr(node)
        case ast.TypeSpec():
            return _type(node)
        case ast.Stmt():
            return _stmt(node, indent)
        case ast.FunctionDef():
            return _function(node)
        case ast.TranslationUnit():
            return "\n".join(unparse(item) for item in node.items) + "\n"
    raise InternalCompilerError(f"unparse: unhandled {type(node).__name__}")


# ---------------------------------------------------------------------------- expressions


def _operand(e: ast.Expr) -> str:
    """`e` as an operand of an operator: parenthesised unless primary or postfix."""
    text = _expr(e)
    return text if isinstance(e, _ATOMS + _POSTFIX) else f"({text})"


def _item(e: ast.Expr) -> str:
    """`e` as a call argument or list item, where only the comma operator needs parens."""
    text = _expr(e)
    return f"({text})" if isinstance(e, ast.Binary) and e.op == "," else text


def _items(items: tuple[ast.Expr, ...]) -> str:
    return ", ".join(_item(e) for e in items)


def _expr(e: ast.Expr) -> str:
    match e:
        case ast.Ident(name=name, scope=scope):
            return f"{scope}::{name}" if scope else name
        case ast.IntLit(value=value, suffix=suffix, is_hex=is_hex):
            return (f"{value:#x}" if is_hex else str(value)) + suffix
        case ast.FloatLit(text=text):
            return text
        case ast.BoolLit(value=value):
            return "true" if value else "false"
        case ast.Unary(op=op, operand=operand):
            return op + _operand(operand)
        case ast.Postfix(op=op, operand=operand):
            return _operand(operand) + op
        case ast.Binary(op=op, lhs=lhs, rhs=rhs):
            sep = ", " if op == "," else f" {op} "
            return _operand(lhs) + sep + _operand(rhs)
        case ast.Assign(op=op, target=target, value=value):
            return f"{_operand(target)} {op} {_operand(value)}"
        case ast.Conditional(cond=cond, if_true=if_true, if_false=if_false):
            return f"{_operand(cond)} ? {_operand(if_true)} : {_operand(if_false)}"
        case ast.Call(func=func, args=args, template_args=targs):
            tmpl = f"<{', '.join(map(_type, targs))}>" if targs else ""
            return f"{_operand(func)}{tmpl}({_items(args)})"
        case ast.Index(base=base, index=index):
            return f"{_operand(base)}[{_expr(index)}]"
        case ast.Member(base=base, name=name, arrow=arrow):
            text = _operand(base)
            if isinstance(base, (ast.IntLit, ast.FloatLit)):
                text = f"({text})"  # `1.m` would lex as one number
            return f"{text}{'->' if arrow else '.'}{name}"
        case ast.Cast(type=type_, operand=operand, style=style):
            return _cast(type_, operand, style)
        case ast.Construct(type=type_, args=args):
            return f"{_type(type_)}({_items(args)})"
        case ast.InitList(items=items):
            return "{" + _items(items) + "}"
        case ast.SizeOf(type=type_):
            return f"sizeof({_type(type_)})"
    raise InternalCompilerError(f"unparse: unhandled {type(e).__name__}")


def _cast(type_: ast.TypeSpec, operand: ast.Expr, style: str) -> str:
    if style == "c":
        return f"({_type(type_)}){_operand(operand)}"
    if style == "functional":
        return f"{_type(type_)}({_item(operand)})"
    return f"{style}_cast<{_type(type_)}>({_expr(operand)})"


def _type(t: ast.TypeSpec) -> str:
    text = ("const " if t.is_const else "") + t.name
    if t.template_args:
        text += "<" + ", ".join(map(_type, t.template_args)) + ">"
    return text + (" *" if t.is_pointer else "") + (" &" if t.is_ref else "")


# ---------------------------------------------------------------------------- statements


def _stmt(s: ast.Stmt, indent: str) -> str:
    inner = indent + "    "
    match s:
        case ast.Block(stmts=stmts):
            body = "".join(f"{inner}{_stmt(x, inner)}\n" for x in stmts)
            return "{\n" + body + indent + "}"
        case ast.ExprStmt(expr=expr):
            return _expr(expr) + ";"
        case ast.Decl():
            return _decl(s)
        case ast.If():
            return _if(s, indent)
        case ast.For(init=init, cond=cond, step=step, body=body):
            head = _stmt(init, indent) if init else ";"
            cond_text = f" {_expr(cond)}" if cond else ""
            step_text = f" {_expr(step)}" if step else ""
            return f"for ({head}{cond_text};{step_text}) {_stmt(body, indent)}"
        case ast.While(cond=cond, body=body):
            return f"while ({_expr(cond)}) {_stmt(body, indent)}"
        case ast.DoWhile(body=body, cond=cond):
            return f"do {_stmt(body, indent)} while ({_expr(cond)});"
        case ast.Break():
            return "break;"
        case ast.Continue():
            return "continue;"
        case ast.Return(value=value):
            return "return;" if value is None else f"return {_expr(value)};"
        case ast.Empty():
            return ";"
        case ast.Unsupported(what=what):
            return f"/* unsupported: {what} */;"
    raise InternalCompilerError(f"unparse: unhandled {type(s).__name__}")


def _if(s: ast.If, indent: str) -> str:
    then = s.then
    if s.else_ is not None and _ends_in_open_if(then):
        then = ast.Block(then.span, (then,))  # keep the `else` with this `if`
    text = f"if ({_expr(s.cond)}) {_stmt(then, indent)}"
    if s.else_ is not None:
        text += f" else {_stmt(s.else_, indent)}"
    return text


def _ends_in_open_if(s: ast.Stmt) -> bool:
    """Would an `else` printed after `s` attach to an `if` inside it?"""
    match s:
        case ast.If(else_=None):
            return True
        case ast.If(else_=else_) | ast.For(body=else_) | ast.While(body=else_):
            return _ends_in_open_if(else_)
    return False


def _decl(d: ast.Decl) -> str:
    quals = "".join(q + " " for q in d.qualifiers)
    items = ", ".join(_declarator(x, d.type.is_pointer) for x in d.declarators)
    base = dataclasses.replace(d.type, is_pointer=False, is_ref=False)
    return f"{quals}{_type(base)} {items};"


def _declarator(d: ast.Declarator, is_pointer: bool) -> str:
    text = ("*" if is_pointer else "") + ("&" if d.is_ref else "") + d.name
    if d.has_array:
        text += f"[{_expr(d.array_size) if d.array_size is not None else ''}]"
    if d.init is not None:
        text += f" = {_item(d.init)}"
    return text


def _function(f: ast.FunctionDef) -> str:
    head = ""
    if f.template_params:
        head = "template <" + ", ".join(f"typename {p}" for p in f.template_params) + ">\n"
    quals = "".join(q + " " for q in f.qualifiers)
    params = ", ".join(f"{_type(p.type)} {p.name}" for p in f.params)
    return f"{head}{quals}{_type(f.return_type)} {f.name}({params}) {_stmt(f.body, '')}"
