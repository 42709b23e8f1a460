"""A readable text form of the IR, for `kernelc translate --emit ir` and pass tests.

Rule: one statement per line, every expression shows its type where it is introduced
(`let x:f32 = ...`), operators by their IR names (`rem`, not `%`).
"""

from __future__ import annotations

from kernelc.ir import nodes as ir

SHORT = {"bool": "bool", "int32": "i32", "uint32": "u32", "float32": "f32"}


def ty(d) -> str:
    return SHORT.get(d.name, d.name)


def _part(component: int | None) -> str:
    """A complex parameter's component: `.re` or `.im`."""
    return "" if component is None else (".re", ".im")[component]


def expr_text(e: ir.Expr) -> str:
    match e:
        case ir.Const(value=v, dtype=d):
            return f"{str(v).lower() if isinstance(v, bool) else v!r}:{ty(d)}"
        case ir.Local(name=n):
            return f"%{n}"
        case ir.LocalElem(name=n, index=k):
            return f"%{n}[{expr_text(k)}]"
        case ir.ScalarArg(param=p, component=c):
            return f"scalar({p}{_part(c)})"
        case ir.LoopIndex():
            return "i"
        case ir.LoopSize():
            return "n"
        case ir.LoopShape(axis=a):
            return f"shape[{a}]"
        case ir.LoopCoord(axis=a):
            return f"coord[{a}]"
        case ir.ReduceIndex():
            return "J"
        case ir.ReduceSize():
            return "reduce_n"
        case ir.ReduceShape(axis=a):
            return f"reduce_shape[{a}]"
        case ir.ArrayInfo(param=p, what=w, axis=a):
            return f"{w}({p}{', ' + str(a) if w in ('shape', 'stride') else ''})"
        case ir.ElemLoad(param=p, component=c):
            return f"elem({p}{_part(c)})"
        case ir.RawLoad(param=p, index=k, component=c):
            return f"raw({p}{_part(c)})[{expr_text(k)}]"
        case ir.BufferLoad(param=p, pos=k, previous=prev):
            return f"buf{'.prev' if prev else ''}({p})[{expr_text(k)}]"
        case ir.Unary(op=op, operand=a):
            return f"{op.value}({expr_text(a)})"
        case ir.Binary(op=op, lhs=a, rhs=b, dtype=d):
            return f"{op.value}:{ty(d)}({expr_text(a)}, {expr_text(b)})"
        case ir.Cast(operand=a, dtype=d):
            return f"cast<{ty(d)}>({expr_text(a)})"
        case ir.Bitcast(operand=a, dtype=d):
            return f"bitcast<{ty(d)}>({expr_text(a)})"
        case ir.Words(words=words, dtype=d):
            return f"{ty(d)}({', '.join(expr_text(w) for w in words)})"
        case ir.WordOf(operand=a, word=k):
            return f"{expr_text(a)}.w{k}"
        case ir.Select(cond=c, if_true=t, if_false=f):
            return f"select({expr_text(c)}, {expr_text(t)}, {expr_text(f)})"
        case ir.Math(fn=fn, args=args, dtype=d) | ir.LibCall(func=fn, args=args, dtype=d):
            return f"{fn}:{ty(d)}({', '.join(expr_text(a) for a in args)})"
    raise TypeError(f"not an IR expression: {e!r}")


def _init_text(init) -> str:
    if init is None:
        return ""
    if isinstance(init, tuple):
        return " = {" + ", ".join(expr_text(x) for x in init) + "}"
    return " = " + expr_text(init)


def stmt_lines(s: ir.Stmt, depth: int) -> list[str]:
    pad = "  " * depth
    match s:
        case ir.Declare(name=n, dtype=d, init=init, length=length):
            arr = f"[{length}]" if length is not None else ""
            return [f"{pad}let %{n}:{ty(d)}{arr}{_init_text(init)}"]
        case ir.Assign(name=n, value=v):
            return [f"{pad}%{n} = {expr_text(v)}"]
        case ir.AssignElem(name=n, index=k, value=v):
            return [f"{pad}%{n}[{expr_text(k)}] = {expr_text(v)}"]
        case ir.ElemStore(param=p, value=v, component=c):
            return [f"{pad}elem({p}{_part(c)}) = {expr_text(v)}"]
        case ir.RawStore(param=p, index=k, value=v, component=c):
            return [f"{pad}raw({p}{_part(c)})[{expr_text(k)}] = {expr_text(v)}"]
        case ir.BufferStore(param=p, pos=k, value=v):
            return [f"{pad}buf({p})[{expr_text(k)}] = {expr_text(v)}"]
        case ir.OutputStore(param=p, value=v):
            return [f"{pad}out({p}) = {expr_text(v)}"]
        case ir.Atomic(op=op, param=p, index=k, value=v, compare=c, result=r, legalised=lg):
            where = f"buf({p})[{expr_text(k)}]" if lg else f"raw({p})[{expr_text(k)}]"
            where += "" if s.word is None else f".w{s.word}"
            extra = f", {expr_text(c)}" if c is not None else ""
            return [
                f"{pad}{'%' + r + ' = ' if r else ''}atomic_{op}({where}{extra}, {expr_text(v)})"
            ]
        case ir.If(cond=c, then=t, else_=e):
            lines = [f"{pad}if {expr_text(c)} {{", *block_lines(t, depth + 1)]
            if e:
                lines += [f"{pad}}} else {{", *block_lines(e, depth + 1)]
            return lines + [f"{pad}}}"]
        case ir.Loop(body=b, continuing=c, counted=k):
            hint = f"  # counted %{k.var} step {k.step}" if k else ""
            lines = [f"{pad}loop {{{hint}", *block_lines(b, depth + 1)]
            if c:
                lines += [f"{pad}continuing {{", *block_lines(c, depth + 1)]
            return lines + [f"{pad}}}"]
        case ir.Break():
            return [f"{pad}break"]
        case ir.Continue():
            return [f"{pad}continue"]
        case ir.Return(value=v):
            return [f"{pad}return" + (f" {expr_text(v)}" if v is not None else "")]
        case ir.Call(func=f, args=args, result=r):
            call = f"call {f}({', '.join(expr_text(a) for a in args)})"
            return [f"{pad}{'%' + r + ' = ' if r else ''}{call}"]
    raise TypeError(f"not an IR statement: {s!r}")


def block_lines(stmts, depth: int) -> list[str]:
    return [line for s in stmts for line in stmt_lines(s, depth)]


def kernel_text(k: ir.Kernel) -> str:
    lines = [f"kernel {k.name} ndim={k.ndim}"]
    for p in k.params:
        flags = [p.kind.value, "out" if p.is_output else "in"]
        if p.kind is ir.ParamKind.RAW:
            flags.append(f"ndim={p.ndim}" + ("" if p.contiguous else " strided"))
        if p.reads_old:
            flags.append("reads_old")
        if p.declared is not None:
            flags.append(f"declared {p.declared.name}")
        lines.append(f"  param {p.name}: {ty(p.dtype)} ({' '.join(flags)})")
    for f in k.functions:
        params = ", ".join(f"{'&' if p.is_ref else ''}%{p.name}:{ty(p.dtype)}" for p in f.params)
        ret = f" -> {ty(f.return_dtype)}" if f.return_dtype else ""
        lines += [f"fn {f.name}({params}){ret} {{", *block_lines(f.body, 1), "}"]
    if k.reduction is not None:
        lines += reduction_lines(k.reduction)
    else:
        lines += ["body {", *block_lines(k.body, 1), "}"]
    return "\n".join(lines) + "\n"


def reduction_lines(r: ir.Reduction) -> list[str]:
    return [
        f"reduce {ty(r.dtype)} over {r.ndim} axes with {r.combine} {{",
        "  identity {",
        *block_lines(r.identity_body, 2),
        f"    = {expr_text(r.identity)}",
        "  }",
        "  map {",
        *block_lines(r.map_body, 2),
        f"    = %{r.map_result}",
        "  }",
        f"  post %{r.acc} {{",
        *block_lines(r.post_body, 2),
        "  }",
        "}",
    ]
