"""The IR's gate: types, declarations and structure are checked before every emitter.

Rule: a failure here is an `InternalCompilerError` — the compiler broke its own IR; a user
never sees it as their mistake. `legal_for` names the target whose legalisation must have
run (so only that target's array nodes may remain).
"""

from __future__ import annotations

from kernelc.errors import InternalCompilerError
from kernelc.ir import builtins
from kernelc.ir import nodes as ir
from kernelc.ir.dtypes import (
    COMPUTE,
    WIDE,
    WORDS,
    bool_,
    computation_type,
    exact64,
    int64,
    uint32,
    uint64,
    word_count,
)
from kernelc.ir.visit import children

B = ir.BinaryOp
HIGH_LEVEL = (ir.ElemLoad, ir.RawLoad, ir.ElemStore, ir.RawStore, ir.LoopCoord)
LEGAL = {
    "wgsl": (ir.BufferStore, ir.WordStore),
    "glsl": (ir.OutputStore, ir.OutputWords),
    "any": (),  # functions only (the shader library's, widened)
    None: (),
}


class _Checker:
    def __init__(self, kernel: ir.Kernel, legal_for: str | None):
        self.kernel = kernel
        self.legal_for = legal_for
        self.functions = {f.name: f for f in kernel.functions}
        self.where = "kernel body"

    def fail(self, message: str):
        raise InternalCompilerError(
            f"invalid IR in {self.where} of '{self.kernel.name}': {message}"
        )

    # ---------------------------------------------------------------- expressions

    def expr(self, e: ir.Expr, env: dict) -> None:
        if not isinstance(e, ir.Expr):
            self.fail(f"expected an expression, found {e!r}")
        # 64-bit types before the wide64 pass, words values (accumulators) throughout
        allowed = WORDS if self.legal_for else (*WIDE, *WORDS)
        if e.dtype not in COMPUTE and e.dtype not in allowed:
            self.fail(f"{type(e).__name__} has non-computation type {e.dtype}")
        if self.legal_for and isinstance(e, HIGH_LEVEL):
            self.fail(f"{type(e).__name__} left after legalisation")
        if isinstance(e, ir.BufferLoad) and self.legal_for is None:
            self.fail("BufferLoad before legalisation")
        for child in _expr_children(e):
            self.expr(child, env)
        self.expr_rule(e, env)

    def expr_rule(self, e: ir.Expr, env: dict) -> None:
        match e:
            case ir.Local(name=n, dtype=d) | ir.LocalElem(name=n, dtype=d):
                if n not in env:
                    self.fail(f"local '{n}' used before its declaration")
                if env[n][0] is not d:
                    self.fail(f"local '{n}' read as {d}, declared {env[n][0]}")
                if (env[n][1] is None) != isinstance(e, ir.Local):
                    self.fail(f"local '{n}' accessed as the wrong kind (array/scalar)")
            case ir.Binary(op=op, lhs=a, rhs=b, dtype=d):
                self.binary_rule(op, a, b, d)
            case ir.Unary(op=op, operand=a, dtype=d):
                if (op is ir.UnaryOp.NOT) != (d is bool_) or a.dtype is not d:
                    self.fail(f"bad unary {op.value} on {a.dtype} giving {d}")
            case ir.Select(cond=c, if_true=t, if_false=f, dtype=d):
                if c.dtype is not bool_ or t.dtype is not d or f.dtype is not d:
                    self.fail("select with mismatched types")
            case ir.Math(fn=fn, args=args):
                spec = builtins.MATH.get(fn)
                if spec is None or spec.arity != len(args):
                    self.fail(f"unknown math function {fn}/{len(args)}")
            case ir.LibCall():
                self.lib_call(e)
            case ir.Words(words=words, dtype=d):
                if d not in WORDS or sum(word_count(w.dtype) for w in words) != word_count(d):
                    self.fail(f"{len(words)} values do not make the words of {d}")
                if any(w.dtype is not uint32 and w.dtype not in WIDE for w in words):
                    self.fail("a words value is made of uint32 words or 64-bit values")
            case ir.WordOf(operand=a, word=k):
                if a.dtype not in WORDS or not 0 <= k < word_count(a.dtype):
                    self.fail(f"no word {k} in a {a.dtype} value")

    def lib_call(self, e: ir.LibCall) -> None:
        f = self.functions.get(e.func)
        if f is None or f.return_dtype is not e.dtype or len(f.params) != len(e.args):
            self.fail(f"library call of unknown function or wrong signature: {e.func}")
        if any(p.is_ref or p.dtype is not a.dtype for p, a in zip(f.params, e.args)):
            self.fail(f"bad argument in library call of {e.func}")

    def binary_rule(self, op: B, a: ir.Expr, b: ir.Expr, d) -> None:
        if op in ir.SHIFTS:
            ok = a.dtype is d and d.is_int and b.dtype.is_int
        elif op in ir.COMPARISONS:
            ok = d is bool_ and a.dtype is b.dtype
        elif op in ir.LOGICAL:
            ok = d is bool_ and a.dtype is bool_ and b.dtype is bool_
        else:
            ok = a.dtype is d and b.dtype is d and d is not bool_
            ok = ok and not (d.is_float and op in (B.REM, B.AND, B.OR, B.XOR))
        if not ok:
            self.fail(f"bad operand types for {op.value}: {a.dtype}, {b.dtype} -> {d}")

    # ---------------------------------------------------------------- statements

    def block(self, stmts, env: dict, loops: int, in_continuing: bool = False) -> None:
        env = dict(env)
        for s in stmts:
            if not isinstance(s, ir.Stmt):
                self.fail(f"expected a statement, found {s!r}")
            self.stmt(s, env, loops, in_continuing)

    def stmt(self, s: ir.Stmt, env: dict, loops: int, in_continuing: bool) -> None:
        if self.legal_for and isinstance(s, HIGH_LEVEL):
            self.fail(f"{type(s).__name__} left after legalisation")
        stores = (ir.BufferStore, ir.OutputStore, ir.WordStore, ir.OutputWords)
        if isinstance(s, stores) and not isinstance(s, LEGAL[self.legal_for]):
            self.fail(f"{type(s).__name__} is not legal for {self.legal_for}")
        match s:
            case ir.Declare():
                self.declare(s, env)
            case ir.Assign(name=n, value=v) | ir.AssignElem(name=n, value=v):
                self.expr(v, env)
                if isinstance(s, ir.AssignElem):
                    self.expr(s.index, env)
                if n not in env or env[n][0] is not v.dtype:
                    self.fail(f"assignment to '{n}' of {v.dtype}")
            case ir.If(cond=c, then=t, else_=e):
                self.expr(c, env)
                if c.dtype is not bool_:
                    self.fail("if condition is not bool")
                self.block(t, env, loops, in_continuing)
                self.block(e, env, loops, in_continuing)
            case ir.Loop(body=b, continuing=c):
                self.block(b, env, loops + 1)
                self.block(c, env, loops + 1, in_continuing=True)
            case ir.Break() | ir.Continue() | ir.Return():
                self.jump(s, env, loops, in_continuing)
            case ir.Call():
                self.call(s, env)
            case ir.Atomic():
                self.atomic(s, env)
            case _:
                for child in _stmt_exprs(s):
                    self.expr(child, env)

    def declare(self, s: ir.Declare, env: dict) -> None:
        if s.name in env:
            self.fail(f"local '{s.name}' declared twice")
        items = s.init if isinstance(s.init, tuple) else (s.init,) if s.init is not None else ()
        if isinstance(s.init, tuple) and s.length is None:
            self.fail(f"scalar '{s.name}' with an initialiser list")
        for x in items:
            self.expr(x, env)
            if x.dtype is not s.dtype:
                self.fail(f"'{s.name}' of {s.dtype} initialised with {x.dtype}")
        env[s.name] = (s.dtype, s.length)

    def jump(self, s: ir.Stmt, env: dict, loops: int, in_continuing: bool) -> None:
        if in_continuing:
            self.fail(f"{type(s).__name__} inside a continuing block")
        if isinstance(s, (ir.Break, ir.Continue)) and loops == 0:
            self.fail(f"{type(s).__name__} outside a loop")
        if isinstance(s, ir.Return) and s.value is not None:
            self.expr(s.value, env)
            if s.value.dtype is not env.get("#return", (None,))[0]:
                self.fail("return value of the wrong type")

    def atomic(self, s: ir.Atomic, env: dict) -> None:
        if s.legalised != (self.legal_for is not None):
            self.fail(f"atomic on '{s.param}' with legalised={s.legalised}")
        declared = self.kernel.param(s.param).dtype
        dtype = computation_type(declared)  # __half: float32
        if s.word is not None:  # one u32 word of a 64-bit integer
            if declared not in (int64, uint64) or s.word not in (0, 1):
                self.fail(f"word atomic on '{s.param}' of {declared}")
            dtype = uint32
        for x in (s.index, s.value, s.compare):
            if x is not None:
                self.expr(x, env)
        if s.value.dtype is not dtype or (s.compare is not None and s.compare.dtype is not dtype):
            self.fail(f"atomic operands of '{s.param}' are not {dtype}")
        if s.result is not None and env.get(s.result, (None,))[0] is not dtype:
            self.fail(f"atomic result '{s.result}' is not a declared {dtype}")

    def call(self, s: ir.Call, env: dict) -> None:
        f = self.functions.get(s.func)
        if f is None or len(f.params) != len(s.args):
            self.fail(f"call of unknown function or wrong arity: {s.func}")
        for p, a in zip(f.params, s.args):
            self.expr(a, env)
            if a.dtype is not p.dtype or (p.is_ref and not isinstance(a, ir.Local)):
                self.fail(f"bad argument for '{p.name}' of {s.func}")
        if s.result is not None and (s.result not in env or env[s.result][0] is not f.return_dtype):
            self.fail(f"call result '{s.result}' does not fit {s.func}")

    def run(self) -> None:
        for f in self.kernel.functions:
            if f.library:  # checked once, when the library was lowered
                continue
            self.where = f"function {f.name}"
            env = {p.name: (p.dtype, None) for p in f.params}
            env["#return"] = (f.return_dtype, None)
            self.block(f.body, env, 0)
        self.where = "kernel body"
        self.block(self.kernel.body, {}, 0)
        if self.kernel.reduction is not None:
            self.reduction(self.kernel.reduction)

    def reduction(self, r: ir.Reduction) -> None:
        self.where = "reduction"
        env: dict = {}  # identity_body's locals (output coordinates) are seen by the rest
        for s in r.identity_body + (ir.Declare("#identity", r.dtype, r.identity),):
            self.stmt(s, env, 0, False)
        self.block(r.map_body + (ir.Assign(r.map_result, ir.Local(r.map_result, r.dtype)),), env, 0)
        self.block(r.post_body, {**env, r.acc: (r.dtype, None)}, 0)
        combine = self.functions.get(r.combine)
        if (
            combine is None
            or [p.dtype for p in combine.params] != [r.dtype, r.dtype]
            or (combine.return_dtype is not r.dtype)
        ):
            self.fail(f"combine function '{r.combine}' does not fit {r.dtype}")


def _expr_children(e: ir.Expr):
    return children(e)


def _stmt_exprs(s: ir.Stmt):
    return [c for c in children(s) if isinstance(c, ir.Expr)]


def validate(kernel: ir.Kernel, legal_for: str | None = None) -> ir.Kernel:
    """Check `kernel`, under the 64-bit policy it was lowered with; return it unchanged (so
    calls chain) or raise InternalCompilerError."""
    with exact64(kernel.exact64):
        _Checker(kernel, legal_for).run()
    return kernel
