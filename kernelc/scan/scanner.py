"""Kernel definitions in Python sources: CuPy's `ElementwiseKernel` / `ReductionKernel` /
`RawKernel` and the constructors registered by plugins (`plugins`: Chainer's
`cuda.elementwise` / `cuda.reduce` / `cuda.raw` helpers), under any import prefix, with
arguments built from module constants, `%`, `.format`, `+`, f-strings and generator
functions (`evaluate`, `sandbox`).

Rule: a call site yields one `KernelInstance` per combination of its instantiation
parameters (`ndim`, `n_ary`: names whose value is only known at run time) and of the
alternative assignments it depends on, or an `UnresolvedSite` saying why not; a helper
that only forwards its own parameters to a constructor (such as Chainer's
`cuda.elementwise` itself) is a wrapper, not a kernel. Nothing is translated here.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import asdict, dataclass, field

from kernelc.scan.evaluate import Evaluator, NeedChoice, Scope, Unresolved, is_plain
from kernelc.scan.index import ModuleIndex, Project
from kernelc.scan.plugins import Constructor, ScanPlugin, registered
from kernelc.scan.sandbox import STUBS, Sandbox
from kernelc.scan.source_tree import SourceTree, load_tree

# CuPy's constructors, under any import prefix; packages add theirs through a plugin.
CUPY_CONSTRUCTORS = {
    "ElementwiseKernel": Constructor(
        "elementwise",
        (
            "in_params",
            "out_params",
            "operation",
            "name",
            "reduce_dims",
            "preamble",
            "no_return",
            "return_tuple",
        ),
    ),
    "ReductionKernel": Constructor(
        "reduction",
        (
            "in_params",
            "out_params",
            "map_expr",
            "reduce_expr",
            "post_map_expr",
            "identity",
            "name",
            "reduce_type",
            "reduce_dims",
            "preamble",
            "options",
        ),
    ),
    "RawKernel": Constructor("raw", ("code", "name", "options", "backend", "translate_cucomplex")),
}
# The string arguments a kernel is made of, with their defaults; the first ones are required.
FIELDS = {
    "elementwise": {
        "in_params": None,
        "out_params": None,
        "operation": None,
        "name": "kernel",
        "preamble": "",
        "loop_prep": "",
        "after_loop": "",
    },
    "reduction": {
        "in_params": None,
        "out_params": None,
        "map_expr": None,
        "reduce_expr": None,
        "post_map_expr": None,
        "identity": None,
        "name": "reduce_kernel",
        "reduce_type": None,
        "preamble": "",
    },
    "raw": {"code": None, "name": None},
}
REQUIRED = {"elementwise": 3, "reduction": 6, "raw": 2}
MAX_INSTANCES = 64
# Names whose value a package only knows at run time, and the values kernels are made for.
PARAMETERS = {"ndim": (1, 2, 3), "n_ary": (2, 3)}


@dataclass(frozen=True)
class ScanConfig:
    parameters: dict = field(default_factory=lambda: dict(PARAMETERS))
    plugins: tuple[ScanPlugin, ...] = field(default_factory=registered)

    @property
    def stubs(self) -> dict[str, str]:
        return {k: v for d in (STUBS, *(p.stubs for p in self.plugins)) for k, v in d.items()}

    @property
    def constructors(self) -> dict[str, Constructor]:
        """Function name -> (module the name must be reached through or None, Constructor)."""
        out = {name: (None, c) for name, c in CUPY_CONSTRUCTORS.items()}
        for plugin in self.plugins:
            for dotted, c in plugin.constructors.items():
                module, _, name = dotted.rpartition(".")
                out[name] = (module, c)
        return out

    def trigger(self) -> re.Pattern:
        """Files worth parsing: a call of something named like a constructor."""
        names = "|".join(sorted(map(re.escape, self.constructors)))
        return re.compile(rf"\b(?:{names})\s*\(")


@dataclass
class KernelInstance:
    """One kernel as it is constructed: the constructor's string arguments by name."""

    kind: str  # 'elementwise' | 'reduction' | 'raw'
    name: str
    origin: str  # path:line of the constructor call
    args: dict[str, str | None]
    params: dict[str, object] = field(default_factory=dict)  # ndim, n_ary, chosen assignments
    options: dict[str, str] = field(default_factory=dict)  # other arguments, as source text
    bindings: list[dict] = field(default_factory=list)  # set by kernelc.scan.bindings
    dtypes: dict[str, list[str]] = field(default_factory=dict)  # what the package binds
    site: object = field(default=None, repr=False, compare=False)  # the CallSite

    @property
    def id(self) -> str:
        suffix = ",".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.origin}[{suffix}]" if suffix else self.origin

    def to_json(self) -> dict:
        fields = ("kind", "name", "origin", "args", "params", "options", "bindings", "dtypes")
        return {"id": self.id, **{f: copy.deepcopy(getattr(self, f)) for f in fields}}


@dataclass
class UnresolvedSite:
    origin: str
    kind: str
    reason: str


@dataclass
class ScanResult:
    source: str
    version: str | None
    instances: list[KernelInstance] = field(default_factory=list)
    unresolved: list[UnresolvedSite] = field(default_factory=list)
    wrappers: list[str] = field(default_factory=list)  # origins of forwarding helpers

    def to_json(self) -> dict:
        return {
            "source": self.source,
            "version": self.version,
            "instances": [k.to_json() for k in self.instances],
            "unresolved": [asdict(u) for u in self.unresolved],
            "wrappers": self.wrappers,
        }


@dataclass(frozen=True, eq=False)
class CallSite:
    module: ModuleIndex
    call: ast.Call
    constructor: Constructor

    @property
    def kind(self) -> str:
        return self.constructor.kind

    @property
    def origin(self) -> str:
        return f"{self.module.path}:{self.call.lineno}"

    def scope(self) -> Scope:
        funcs = self.module.enclosing_functions(self.call)
        return Scope(self.module, funcs, self.module.statement_of(self.call))

    def arguments(self) -> dict[str, ast.expr]:
        if any(isinstance(a, ast.Starred) for a in self.call.args):
            raise Unresolved("*args in the constructor call")
        names = self.constructor.signature
        if len(self.call.args) > len(names):
            raise Unresolved("more positional arguments than the constructor takes")
        args = dict(zip(names, self.call.args))
        for k in self.call.keywords:
            if k.arg is None:
                raise Unresolved("**kwargs in the constructor call")
            args[k.arg] = k.value
        return args


def scan(target: str, config: ScanConfig | None = None) -> ScanResult:
    """Scan a directory, file, archive (sdist/wheel) or installed package by name."""
    return scan_tree(load_tree(target), config)


def scan_tree(tree: SourceTree, config: ScanConfig | None = None) -> ScanResult:
    config = config or ScanConfig()
    project = Project(tree, Sandbox(tree, config.stubs))
    result = ScanResult(tree.label, tree.version)
    trigger, constructors = config.trigger(), config.constructors
    for path in sorted(tree.files):
        if not trigger.search(tree.files[path]):
            continue
        module = project.index(path)
        if module is None:
            result.unresolved.append(UnresolvedSite(f"{path}:1", "?", "not valid Python"))
            continue
        for site in find_sites(module, constructors):
            scan_site(project, site, config, result)
    return result


def find_sites(module: ModuleIndex, constructors: dict) -> list[CallSite]:
    sites = []
    for node in module.calls:
        found = constructor(node.func, module, constructors)
        if found:
            sites.append(CallSite(module, node, found))
    return sorted(sites, key=lambda s: (s.call.lineno, s.call.col_offset))


def constructor(func: ast.expr, module: ModuleIndex, constructors: dict) -> Constructor | None:
    """The `Constructor` that `func` names, if any: CuPy's by their own name, a plugin's
    when its module is among the dotted name's parts (`cuda.elementwise`, `C.elementwise`
    with `import chainer.backends.cuda as C`)."""
    parts = _dotted(func)
    if not parts:
        return None
    imported = module.imports.get(parts[0])
    if imported is not None:
        head = imported[1] if imported[0] == "module" else f"{imported[1]}.{imported[2]}"
        parts = [*head.split("."), *parts[1:]]
    within, found = constructors.get(parts[-1], (None, None))
    if found is None or (within is not None and within not in parts[:-1]):
        return None
    return found


def _dotted(node: ast.expr) -> list[str]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return []
    return [node.id, *reversed(parts)]


def scan_site(project: Project, site: CallSite, config: ScanConfig, result: ScanResult):
    try:
        args = site.arguments()
    except Unresolved as e:
        if _is_wrapper(site):
            result.wrappers.append(site.origin)
        else:
            result.unresolved.append(UnresolvedSite(site.origin, site.kind, e.reason))
        return
    if _is_wrapper(site, args):
        result.wrappers.append(site.origin)
        return
    instances, reasons = enumerate_instances(project, site, args, config)
    result.instances += instances
    for reason in dict.fromkeys(reasons):
        result.unresolved.append(UnresolvedSite(site.origin, site.kind, reason))


def _is_wrapper(site: CallSite, args: dict | None = None) -> bool:
    """A call inside a function that passes that function's own parameters straight on."""
    funcs = site.module.enclosing_functions(site.call)
    if not funcs:
        return False
    a = funcs[-1].args
    own = {x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)}
    nodes = list(args.values()) if args else [*site.call.args]
    nodes = [n.value if isinstance(n, ast.Starred) else n for n in nodes]
    return bool(nodes) and all(isinstance(n, ast.Name) and n.id in own for n in nodes[:2])


def enumerate_instances(project: Project, site: CallSite, args: dict, config: ScanConfig):
    """Every instance of the call site, over the choices its evaluation asks for."""
    instances, reasons, pending = [], [], [{}]
    while pending and len(instances) < MAX_INSTANCES:
        choices = pending.pop()
        ev = Evaluator(project, config.parameters, choices)
        try:
            values, options = evaluate_arguments(ev, site, args)
        except NeedChoice as c:
            pending += [{**choices, c.key: k} for k in reversed(range(c.count))]
            continue
        except Unresolved as e:
            reasons.append(e.reason)
            continue
        name = values.get("name") or FIELDS[site.kind]["name"] or "kernel"
        instances.append(
            KernelInstance(site.kind, name, site.origin, values, dict(ev.used), options, site=site)
        )
    return instances, reasons


def evaluate_arguments(ev: Evaluator, site: CallSite, args: dict) -> tuple[dict, dict]:
    fields = FIELDS[site.kind]
    missing = [k for k in list(fields)[: REQUIRED[site.kind]] if k not in args]
    if missing:
        raise Unresolved(f"argument '{missing[0]}' is missing")
    scope = site.scope()
    values, options = {}, {}
    for key, default in fields.items():
        values[key] = _string(ev.eval(args[key], scope), key) if key in args else default
    for key in args.keys() - fields.keys():
        options[key] = _option(ev, args[key], scope)
    return values, options


def _string(value, key: str):
    if key == "identity" and (value is None or isinstance(value, (int, float))):
        return None if value is None else str(value)
    if key == "reduce_type" and value is None:
        return None
    if not isinstance(value, str):
        raise Unresolved(f"argument '{key}' evaluates to {type(value).__name__}, not str")
    return value


def _option(ev: Evaluator, node: ast.expr, scope: Scope) -> str:
    try:
        value = ev.eval(node, scope)
    except (Unresolved, NeedChoice):
        return ast.unparse(node)
    return repr(value) if is_plain(value) else ast.unparse(node)


def format_text(result: ScanResult) -> str:
    """The human-readable listing `kernelc scan` prints."""
    head = f"# {result.source} (version {result.version or 'unknown'}): "
    lines = [head + f"{len(result.instances)} instances, {len(result.unresolved)} unresolved"]
    for k in result.instances:
        params = " ".join(f"{p}={v}" for p, v in sorted(k.params.items()))
        lines.append(f"{k.kind} {k.name} {k.origin}" + (f" [{params}]" if params else ""))
        for key, value in k.args.items():
            if value:
                text = str(value).strip("\n").replace("\n", "\n        ")
                lines.append(f"    {key}: {text}")
        for b in k.bindings:
            lines.append(f"    binding: {_binding_text(b)}")
    lines += [f"unresolved: {u.origin}: {u.kind}: {u.reason}" for u in result.unresolved]
    lines += [f"wrapper (forwards its parameters, not a kernel): {w}" for w in result.wrappers]
    return "\n".join(lines)


def _binding_text(b: dict) -> str:
    types = ",".join(f"{k}={v}" for k, v in b.get("types", {}).items()) or "-"
    extra = [f"scalars={','.join(b['scalars'])}"] if b.get("scalars") else []
    return " ".join([f"types={types}", *extra])
