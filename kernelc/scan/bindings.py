"""How a package calls each kernel it defines: the dtype bound to each type placeholder
and which inputs it passes as scalars, decided from the call sites.

The rule (docs: kernels_chainer/README.md):
* A placeholder (`T`, `U`, ...) is bound to what the package passes at run time, read from
  the call sites and written down in its scan plugin's `dtypes` (`kernelc.scan.plugins`)
  for every placeholder that is not a floating-point data array (labels, indices, masks,
  pointers). Every other placeholder holds data (float16/float32/float64 arrays and their
  hyperparameters).
* The compiler binds bool/int32/uint32/float32 today, so a real dtype is compiled as its
  computation type: any float -> float32, any signed or unsigned integer -> int32, bool ->
  bool. `KernelInstance.dtypes` keeps the dtypes the package really uses, for the cache to
  grow when the compiler does.
* An input is a scalar when the kernel's invocation passes a Python or NumPy scalar there
  (a number, a hyperparameter `hp.lr`, `dtype.type(...)`, `len(...)`, `x.shape[k]`, ...);
  inputs spread from a `*tuple` are scalars when their type is concrete (`int32 d_0`).
  Where the invocation cannot be found the instance has no scalars.

Rule: this reads the scanner's records and the call sites' AST; it translates nothing.
"""

from __future__ import annotations

import ast
import re

from kernelc.scan.plugins import ScanPlugin, registered
from kernelc.scan.scanner import KernelInstance

FLOATS = ["float16", "float32", "float64"]
TEXT_FIELDS = (
    "preamble",
    "loop_prep",
    "operation",
    "after_loop",
    "map_expr",
    "reduce_expr",
    "post_map_expr",
)
INDEX_ARRAY = re.compile(r"\b(\w+)\s*\[\s*\]\s*=\s*\{([^}]*)\}")  # int ind[] = {i, j}
COMPUTE = {"bool": "bool", "uint32": "uint32"}
SCALAR_CALLS = {
    "float",
    "int",
    "bool",
    "len",
    "abs",
    "min",
    "max",
    "round",
    "type",
    "sum",
    "get_conv_outsize",
    "get_deconv_outsize",
    "size_of_shape",
    "prod",
    "reduce",
}
SCALAR_ATTRS = {"size", "ndim", "itemsize", "shape"}
ARRAY_MODULES = {"cupy", "cp", "xp", "numpy", "np", "cuda"}


def compute_dtype(real: str) -> str:
    """The dtype the compiler binds today for a dtype the package uses."""
    if real in COMPUTE:
        return COMPUTE[real]
    return "float32" if real.startswith("float") else "int32"


def parse_params(text: str) -> list[tuple[str, str, bool]]:
    """`'raw T x, int32 n'` -> [('T', 'x', True), ('int32', 'n', False)]."""
    out = []
    for item in filter(str.strip, text.split(",")):
        words = item.split()
        if len(words) >= 2:
            out.append((words[-2], words[-1], "raw" in words[:-2]))
    return out


def bind(instance: KernelInstance, plugins: tuple[ScanPlugin, ...] | None = None) -> None:
    """Fill `instance.bindings` (one today: the types the compiler binds, scalars, ndim 1)
    and `instance.dtypes` (every dtype the package would bind, per placeholder), with the
    dtypes the registered plugins (or `plugins`) know."""
    if instance.kind == "raw":
        return
    params = parse_params(instance.args["in_params"]) + parse_params(instance.args["out_params"])
    table = known_dtypes(instance.name, registered() if plugins is None else plugins)
    placeholders = dict.fromkeys(t for t, _, _ in params if len(t) == 1)
    instance.dtypes = {p: list(table.get(p, FLOATS)) for p in placeholders}
    types = {
        p: compute_dtype(instance.dtypes[p][0] if p in table else "float32") for p in placeholders
    }
    binding = {"types": types, "scalars": infer_scalars(instance), "ndim": 1}
    if instance.kind == "reduction":
        binding.update(reduction_shape(instance))
    raw = infer_raw(instance, [name for _, name, is_raw in params if is_raw])
    instance.bindings = [{**binding, "raw": raw} if raw else binding]


def known_dtypes(kernel: str, plugins: tuple[ScanPlugin, ...]) -> dict[str, list[str]]:
    """Placeholder -> dtypes for `kernel`, from every plugin that knows it."""
    out: dict[str, list[str]] = {}
    for plugin in plugins:
        out.update(plugin.dtypes.get(kernel, {}))
    return out


def reduction_shape(instance: KernelInstance) -> dict:
    """A reduction's (output ndim, reduced ndim) after CuPy merges contiguous axes:
    no `axis=` reduces everything to a scalar (0, 1); `axis=k` reduces one axis of what
    Chainer passes as a matrix (1, 1); `axis=(a, b, ...)` reduces that many (1, n)."""
    call = invocation(instance.site) if instance.site is not None else None
    axis = next((k.value for k in call.keywords if k.arg == "axis"), None) if call else None
    if axis is None:
        return {"ndim": 0, "reduce_ndim": 1}
    count = len(axis.elts) if isinstance(axis, ast.Tuple) else 1
    return {"ndim": 1, "reduce_ndim": count}


def infer_raw(instance: KernelInstance, raw_names: list[str]) -> dict[str, list]:
    """Raw arrays the kernel text indexes with several indices (`x[i, j]`, `x[ind]` with
    `int ind[] = {i, j}`, `x.shape()[1]`): Chainer passes them with that many dimensions,
    C-contiguous. Others are left at the default, 1-D contiguous."""
    text = "\n".join(instance.args.get(k) or "" for k in TEXT_FIELDS)
    index_arrays = {m[1]: m[2].count(",") + 1 for m in INDEX_ARRAY.finditer(text)}
    out = {}
    for name in raw_names:
        ndim = 1
        for m in re.finditer(rf"\b{re.escape(name)}\s*\[", text):
            inside = _bracket(text, m.end())
            ndim = max(ndim, index_arrays.get(inside.strip(), _top_level_commas(inside) + 1))
        for m in re.finditer(rf"\b{re.escape(name)}\s*\.\s*shape\(\)\s*\[\s*(\d+)", text):
            ndim = max(ndim, int(m[1]) + 1)
        if ndim > 1:
            out[name] = [ndim, True]
    return out


def _bracket(text: str, start: int) -> str:
    depth, k = 1, start
    while k < len(text) and depth:
        depth += {"[": 1, "]": -1}.get(text[k], 0)
        k += 1
    return text[start : k - 1]


def _top_level_commas(text: str) -> int:
    depth, count = 0, 0
    for ch in text:
        depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(ch, 0)
        count += ch == "," and depth == 0
    return count


def infer_scalars(instance: KernelInstance) -> list[str]:
    site = instance.site
    inputs = parse_params(instance.args["in_params"])
    call = invocation(site) if site is not None else None
    if call is None:
        return []
    scalars = []
    for k, (ptype, name, raw) in enumerate(inputs):
        if raw:
            continue
        node = _argument(call, k)
        spread = node is None or isinstance(node, ast.Starred)
        if (spread and len(ptype) > 1) or (not spread and is_scalar(node, site.module, 0)):
            scalars.append(name)
    return scalars


def _argument(call: ast.Call, k: int) -> ast.expr | None:
    """The k-th positional argument, the Starred one that covers it, or None."""
    for i, a in enumerate(call.args):
        if isinstance(a, ast.Starred):
            return a
        if i == k:
            return a
    return None


def invocation(site) -> ast.Call | None:
    """Where the kernel object a constructor call makes is called: `ctor(...)(args)`,
    `k = ctor(...)` then `k(args)`, or `def f(): return ctor(...)` then `f()(args)`."""
    module, call = site.module, site.call
    parent = module.parents.get(call)
    if isinstance(parent, ast.Call) and parent.func is call:
        return parent
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
        return _call_of(module, parent.targets[0], parent.lineno)
    if isinstance(parent, ast.Return):
        funcs = module.enclosing_functions(call)
        if funcs and isinstance(funcs[-1], ast.FunctionDef):
            return _factory_call(module, funcs[-1].name)
    return None


def _call_of(module, target: ast.expr, after: int) -> ast.Call | None:
    """The first call of `target` after line `after`; else of an attribute of the same
    name (`AdamRule._kernel = ...` called as `self._kernel(...)`)."""
    for node in module.calls_by_callee.get(ast.unparse(target), ()):
        if node.lineno > after:
            return node
    if isinstance(target, ast.Attribute):
        for node in module.calls_by_attribute.get(target.attr, ()):
            if node.lineno > after:
                return node
    return None


def _factory_call(module, name: str) -> ast.Call | None:
    return module.calls_of_results.get(name)


def is_scalar(node: ast.expr, module, depth: int) -> bool:
    """Whether an argument expression is a Python / NumPy scalar (False when unsure)."""
    if depth > 8:
        return False
    match node:
        case ast.Constant(value=v):
            return isinstance(v, (int, float, bool)) and v is not None
        case ast.UnaryOp(operand=x):
            return is_scalar(x, module, depth + 1)
        case ast.BinOp(left=a, right=b):
            return is_scalar(a, module, depth + 1) and is_scalar(b, module, depth + 1)
        case ast.Call(func=f):
            return _scalar_call(f)
        case ast.Attribute():
            return _scalar_attribute(node)
        case ast.Subscript(value=ast.Attribute(attr="shape")):
            return True
        case ast.Name(id=name):
            return _scalar_name(node, name, module, depth)
    return False


def _scalar_call(func: ast.expr) -> bool:
    parts = ast.unparse(func).split(".")
    if parts[-1] in SCALAR_CALLS:
        return True
    if parts[-2:-1] == ["dtype"] and parts[-1] == "type":  # x.dtype.type(value)
        return True
    # numpy.float32(v), numpy.int32(v): a NumPy scalar
    return parts[0] in ("numpy", "np") and parts[-1].startswith(("float", "int", "uint"))


def _scalar_attribute(node: ast.Attribute) -> bool:
    text = ast.unparse(node)
    if node.attr in SCALAR_ATTRS and node.attr != "shape":
        return True
    root = text.split(".")[0]
    return (
        root in ("hp", "hyperparam") or ".hyperparam." in text or text.startswith("self.hyperparam")
    )


def _scalar_name(node: ast.Name, name: str, module, depth: int) -> bool:
    """A local bound to scalars only, or a parameter (of this or an enclosing function)
    whose default is a number."""
    funcs = module.enclosing_functions(node)
    point = module.statement_of(node)
    for k in range(len(funcs) - 1, -2, -1):
        func = funcs[k] if k >= 0 else None
        found = module.assignments(func, name, point if k == len(funcs) - 1 else None)
        if found:
            values = [_assigned_part(a) for a in found if isinstance(a.stmt, ast.Assign)]
            good = len(values) == len(found) and all(v is not None for v in values)
            return good and all(is_scalar(v, module, depth + 1) for v in values)
        if func is not None and name in _param_names(func):
            return _numeric_default(func, name)
    return False


def _param_names(func: ast.AST) -> set[str]:
    a = func.args
    return {x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)}


def _numeric_default(func: ast.AST, name: str) -> bool:
    a = func.args
    positional = [*a.posonlyargs, *a.args]
    pairs = list(zip(positional[len(positional) - len(a.defaults) :], a.defaults))
    pairs += [(x, d) for x, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
    default = next((d for x, d in pairs if x.arg == name), None)
    return isinstance(default, ast.Constant) and isinstance(default.value, (int, float))


def _assigned_part(a) -> ast.expr | None:
    """The expression a (possibly unpacking) assignment binds; `n, c, h, w = x.shape`
    binds a shape entry, itself a scalar."""
    value = a.stmt.value
    for k in a.path:
        if isinstance(value, ast.Attribute) and value.attr == "shape":
            return ast.Subscript(value, ast.Constant(k))
        if isinstance(value, ast.Subscript) and _is_shape(value.value):
            return ast.Subscript(value.value, ast.Constant(k))  # x.shape[2:] unpacked
        if not isinstance(value, (ast.Tuple, ast.List)) or k >= len(value.elts):
            return None
        value = value.elts[k]
    return value


def _is_shape(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "shape"
