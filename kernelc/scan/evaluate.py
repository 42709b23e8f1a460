"""Static evaluation of the Python expressions that build kernel strings.

The evaluator understands literals, f-strings, `%`, `+`, `*`, str methods (`.format`,
`.join`, ...), tuples, lists, comprehensions, a few pure builtins, names assigned in the
enclosing functions and at module level, and imports within the scanned tree. A call of
a function or class defined in the tree runs it in `kernelc.scan.sandbox`.

Rule: an expression evaluates to a plain value (str, int, float, bool, None, tuple, list),
a `ModuleRef` or an `Opaque` sandbox object, or raises `Unresolved` with a reason. A name
with several live assignments (`if ...: x = 'a' else: x = 'b'`) or an instantiation
parameter (`ndim`) raises `NeedChoice`; the caller enumerates the options and evaluates
again with `choices` set.
"""

from __future__ import annotations

import ast
import builtins
import operator
import types
from dataclasses import dataclass, field, replace

from kernelc.scan.index import Assignment, ModuleIndex, Project
from kernelc.scan.sandbox import SandboxError

PLAIN = (str, int, float, bool, type(None))
SAFE_BUILTINS = {
    n: getattr(builtins, n)
    for n in (
        "range",
        "len",
        "str",
        "int",
        "float",
        "bool",
        "zip",
        "map",
        "list",
        "tuple",
        "enumerate",
        "sorted",
        "reversed",
        "min",
        "max",
        "abs",
        "sum",
        "repr",
        "any",
        "all",
    )
}
STR_METHODS = frozenset(
    {
        "format",
        "join",
        "replace",
        "strip",
        "lstrip",
        "rstrip",
        "upper",
        "lower",
        "split",
        "splitlines",
        "startswith",
        "endswith",
        "rjust",
        "ljust",
        "center",
        "zfill",
        "format_map",
        "capitalize",
    }
)
BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Mod: operator.mod,
    ast.FloorDiv: operator.floordiv,
    ast.Div: operator.truediv,
}
CMPOPS = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
MAX_DEPTH = 150
MAX_STRING = 1 << 20


@dataclass(frozen=True)
class ModuleRef:
    """A module of the scanned tree, evaluated statically (its attributes by lookup)."""

    name: str


@dataclass(frozen=True)
class Opaque:
    """A live object from the sandbox: a class, a function, a stub module, an iterator."""

    obj: object


class Unresolved(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class NeedChoice(Exception):
    """Evaluation needs one of `count` options for `key` (see `Evaluator.choices`)."""

    def __init__(self, key: str, count: int):
        super().__init__(key)
        self.key, self.count = key, count


@dataclass(frozen=True)
class Scope:
    """Where an expression is evaluated: the module, the enclosing functions (innermost
    last), the statement it belongs to (assignments after it are not yet made), and
    comprehension variables."""

    module: ModuleIndex
    funcs: tuple = ()
    point: ast.stmt | None = None
    env: dict = field(default_factory=dict)

    def at(self, stmt: ast.stmt) -> Scope:
        return replace(self, point=stmt, env={})


def wrap(value):
    return value if is_plain(value) else Opaque(value)


def unwrap(value):
    return value.obj if isinstance(value, Opaque) else value


def is_plain(value) -> bool:
    if isinstance(value, (tuple, list)):
        return all(is_plain(v) for v in value)
    return isinstance(value, PLAIN)


class Evaluator:
    """Evaluates expressions of one project under fixed `choices` (key -> option index);
    `used` records each choice made, as a label for the instance it produced."""

    def __init__(self, project: Project, parameters: dict[str, tuple], choices: dict[str, int]):
        self.project = project
        self.parameters = parameters
        self.choices = choices
        self.used: dict[str, object] = {}
        self.depth = 0

    def eval(self, node: ast.expr, scope: Scope):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise Unresolved("expression nests too deeply")
            method = getattr(self, f"eval_{type(node).__name__}", None)
            if method is None:
                raise Unresolved(f"{type(node).__name__} expression '{_short(node)}'")
            return method(node, scope)
        finally:
            self.depth -= 1

    def choose(self, key: str, label: str, options: tuple):
        if key not in self.choices:
            raise NeedChoice(key, len(options))
        value = options[self.choices[key]]
        self.used[label] = value
        return value

    # ------------------------------------------------------------------ leaves and names

    def eval_Constant(self, node: ast.Constant, scope: Scope):
        return node.value

    def eval_Name(self, node: ast.Name, scope: Scope):
        if node.id in scope.env:
            return scope.env[node.id]
        return self.or_parameter(node.id, self.lookup, node.id, scope)

    def or_parameter(self, name: str, resolve, *args):
        """`resolve(*args)`, or, when that fails and `name` is an instantiation parameter
        (`ndim`, `self.ndim`), the parameter's value for this instance."""
        try:
            return resolve(*args)
        except Unresolved:
            if name not in self.parameters:
                raise
        return self.choose(f"param:{name}", name, self.parameters[name])

    def lookup(self, name: str, scope: Scope):
        """A name's value where `scope` says: locals of the enclosing functions (innermost
        first), then the module's assignments, imports, definitions, and builtins."""
        for depth in range(len(scope.funcs) - 1, -1, -1):
            func = scope.funcs[depth]
            if name in _arg_names(func):
                raise Unresolved(f"'{name}' is a parameter of {func.name}()")
            point = scope.point if depth == len(scope.funcs) - 1 else None
            found = scope.module.assignments(func, name, point)
            if found:
                return self.assigned(name, found, replace(scope, funcs=scope.funcs[: depth + 1]))
        return self.module_attr(scope.module, name, scope.point if not scope.funcs else None)

    def module_attr(self, module: ModuleIndex, name: str, point: ast.stmt | None = None):
        found = module.assignments(None, name, point)
        if found:
            return self.assigned(name, found, Scope(module))
        if name in module.imports:
            return self.imported(module.imports[name])
        if name in module.defs:
            return self.sandboxed(module.name, name)
        if f"{module.name}.{name}" in self.project.modules:
            return ModuleRef(f"{module.name}.{name}")
        if name in SAFE_BUILTINS:
            return SAFE_BUILTINS[name]
        raise Unresolved(f"'{name}' is not defined in {module.path}")

    def assigned(self, name: str, found: list[Assignment], scope: Scope):
        if len(found) > 1:
            first = found[0].stmt.lineno
            labels = tuple(f"line {a.stmt.lineno}" for a in found)
            key = f"assign:{scope.module.path}:{first}:{name}"
            label = self.choose(key, name, labels)
            found = [found[labels.index(label)]]
        a = found[0]
        if a.unresolvable:
            raise Unresolved(f"'{name}' is {a.unresolvable} (line {a.stmt.lineno})")
        here = scope.at(a.stmt)
        if isinstance(a.stmt, ast.AugAssign):
            before = self.eval(ast.Name(name, ast.Load()), here)
            return self.binop(a.stmt.op, before, self.eval(a.stmt.value, here))
        value = self.eval(a.stmt.value, here)
        for index in a.path:
            value = self.subscript(value, index)
        return value

    def imported(self, what: tuple):
        match what:
            case ("module", dotted):
                return self.module_ref(dotted)
            case ("from", dotted, attr):
                sub = f"{dotted}.{attr}"
                if sub in self.project.modules or self.project.sandbox.has_module(sub):
                    return self.module_ref(sub)
                base = self.module_ref(dotted)
                if isinstance(base, ModuleRef):
                    return self.module_attr(self.project.module(dotted), attr)
                return self.attribute(base, attr)
        raise Unresolved(f"import {what}")

    def module_ref(self, dotted: str):
        if dotted in self.project.modules and dotted not in self.project.sandbox.stubs:
            return ModuleRef(dotted)
        if self.project.sandbox.has_module(dotted) or self.project.sandbox.is_namespace(dotted):
            return self.sandboxed(dotted, None)
        raise Unresolved(f"module '{dotted}' is outside the scanned tree")

    def sandboxed(self, module: str, attr: str | None):
        try:
            obj = self.project.sandbox.load(module)
        except SandboxError as e:
            raise Unresolved(f"cannot run {module} in the sandbox: {e}") from None
        if attr is None:
            return Opaque(obj)
        if not hasattr(obj, attr):
            raise Unresolved(f"{module} has no attribute '{attr}' when run in the sandbox")
        return wrap(getattr(obj, attr))

    # ------------------------------------------------------------------ compound values

    def eval_Attribute(self, node: ast.Attribute, scope: Scope):
        def resolve():
            return self.attribute(self.eval(node.value, scope), node.attr)

        return self.or_parameter(node.attr, resolve)

    def attribute(self, base, attr: str):
        if isinstance(base, ModuleRef):
            module = self.project.module(base.name)
            if module is None:  # a package without an __init__ in the tree
                return self.module_ref(f"{base.name}.{attr}")
            return self.module_attr(module, attr)
        if isinstance(base, str) and attr in STR_METHODS:
            return getattr(base, attr)
        if isinstance(base, Opaque) and hasattr(base.obj, attr):
            return wrap(getattr(base.obj, attr))
        if isinstance(base, Opaque) and isinstance(base.obj, types.ModuleType):
            return self.sandboxed(f"{base.obj.__name__}.{attr}", None)  # a submodule
        raise Unresolved(f"attribute '{attr}' of {_kind(base)}")

    def eval_Call(self, node: ast.Call, scope: Scope):
        func = self.eval(node.func, scope)
        args = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                args.extend(unwrap(self.eval(a.value, scope)))
            else:
                args.append(unwrap(self.eval(a, scope)))
        if any(k.arg is None for k in node.keywords):
            raise Unresolved(f"**kwargs in a call of {_short(node.func)}")
        kwargs = {k.arg: unwrap(self.eval(k.value, scope)) for k in node.keywords}
        if not _may_call(func):
            raise Unresolved(f"call of {_short(node.func)} ({_kind(func)})")
        try:
            result = unwrap(func)(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - any failure of evaluated code is a reason
            raise Unresolved(f"{_short(node.func)}(...) raised {type(e).__name__}: {e}") from None
        return _checked(wrap(result))

    def eval_BinOp(self, node: ast.BinOp, scope: Scope):
        return self.binop(node.op, self.eval(node.left, scope), self.eval(node.right, scope))

    def binop(self, op: ast.operator, left, right):
        fn = BINOPS.get(type(op))
        if fn is None or not (is_plain(left) and is_plain(right)):
            raise Unresolved(f"operator {type(op).__name__} on {_kind(left)}, {_kind(right)}")
        too_long = (
            isinstance(left, str) and isinstance(right, int) and len(left) * right > MAX_STRING
        )
        if isinstance(op, ast.Mult) and too_long:
            raise Unresolved("string too long")
        try:
            return _checked(fn(left, right))
        except Exception as e:  # noqa: BLE001 - any failure of evaluated code is a reason
            raise Unresolved(f"{type(op).__name__} raised {type(e).__name__}: {e}") from None

    def eval_UnaryOp(self, node: ast.UnaryOp, scope: Scope):
        value = self.eval(node.operand, scope)
        ops = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
        if type(node.op) not in ops or not is_plain(value):
            raise Unresolved(f"unary {type(node.op).__name__} on {_kind(value)}")
        return ops[type(node.op)](value)

    def eval_Compare(self, node: ast.Compare, scope: Scope):
        left = self.eval(node.left, scope)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.eval(right_node, scope)
            if not CMPOPS[type(op)](left, right):
                return False
            left = right
        return True

    def eval_BoolOp(self, node: ast.BoolOp, scope: Scope):
        value = None
        for v in node.values:
            value = self.eval(v, scope)
            if bool(value) == isinstance(node.op, ast.Or):
                return value
        return value

    def eval_IfExp(self, node: ast.IfExp, scope: Scope):
        test = self.eval(node.test, scope)
        return self.eval(node.body if test else node.orelse, scope)

    def eval_JoinedStr(self, node: ast.JoinedStr, scope: Scope):
        return "".join(self.eval(v, scope) for v in node.values)

    def eval_FormattedValue(self, node: ast.FormattedValue, scope: Scope):
        value = unwrap(self.eval(node.value, scope))
        convert = {115: str, 114: repr, 97: ascii}.get(node.conversion)
        value = convert(value) if convert else value
        spec = self.eval(node.format_spec, scope) if node.format_spec else ""
        return format(value, spec)

    def eval_Tuple(self, node: ast.Tuple, scope: Scope):
        return tuple(self.elements(node.elts, scope))

    def eval_List(self, node: ast.List, scope: Scope):
        return list(self.elements(node.elts, scope))

    def elements(self, nodes: list[ast.expr], scope: Scope):
        for e in nodes:
            if isinstance(e, ast.Starred):
                yield from unwrap(self.eval(e.value, scope))
            else:
                yield self.eval(e, scope)

    def eval_Dict(self, node: ast.Dict, scope: Scope):
        if any(k is None for k in node.keys):
            raise Unresolved("dict with ** unpacking")
        return {self.eval(k, scope): self.eval(v, scope) for k, v in zip(node.keys, node.values)}

    def eval_Subscript(self, node: ast.Subscript, scope: Scope):
        value = self.eval(node.value, scope)
        if isinstance(node.slice, ast.Slice):
            parts = (node.slice.lower, node.slice.upper, node.slice.step)
            index = slice(*(None if p is None else self.eval(p, scope) for p in parts))
        else:
            index = self.eval(node.slice, scope)
        return self.subscript(value, index)

    def subscript(self, value, index):
        if not isinstance(value, (str, tuple, list, dict)):
            raise Unresolved(f"subscript of {_kind(value)}")
        try:
            return value[index]
        except (IndexError, KeyError, TypeError) as e:
            raise Unresolved(f"subscript raised {type(e).__name__}: {e}") from None

    def eval_ListComp(self, node: ast.ListComp, scope: Scope):
        return list(self.comprehension(node.elt, node.generators, scope))

    eval_GeneratorExp = eval_ListComp

    def comprehension(self, elt: ast.expr, generators: list, scope: Scope):
        if not generators:
            yield self.eval(elt, scope)
            return
        gen, rest = generators[0], generators[1:]
        for item in unwrap(self.eval(gen.iter, scope)):
            env = dict(scope.env)
            _bind(gen.target, wrap(item), env)
            inner = replace(scope, env=env)
            if all(self.eval(cond, inner) for cond in gen.ifs):
                yield from self.comprehension(elt, rest, inner)


def _bind(target: ast.expr, value, env: dict) -> None:
    if isinstance(target, ast.Name):
        env[target.id] = value
    elif isinstance(target, (ast.Tuple, ast.List)):
        values = list(unwrap(value))
        if len(values) != len(target.elts):
            raise Unresolved("unpacking a comprehension item of the wrong length")
        for t, v in zip(target.elts, values):
            _bind(t, wrap(v), env)
    else:
        raise Unresolved(f"comprehension target {_short(target)}")


def _may_call(func) -> bool:
    """Only pure builtins, str methods, and sandboxed objects are called."""
    if isinstance(func, Opaque):
        return callable(func.obj)
    if any(func is f for f in SAFE_BUILTINS.values()):
        return True
    return isinstance(getattr(func, "__self__", None), str) and func.__name__ in STR_METHODS


def _checked(value):
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise Unresolved("string too long")
    return value


def _arg_names(func: ast.FunctionDef | ast.Lambda) -> set[str]:
    a = func.args
    names = [x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    names += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    return set(names)


def _kind(value) -> str:
    if isinstance(value, ModuleRef):
        return f"module {value.name}"
    if isinstance(value, Opaque):
        return f"a {type(value.obj).__name__}"
    return f"a {type(value).__name__}"


def _short(node: ast.AST) -> str:
    text = ast.unparse(node).replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "..."
