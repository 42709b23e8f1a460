"""`kernelc scan`: kernel definitions found in Python sources without importing them.

A synthetic package uses every supported form (module constants, `%`, `.format`, `+`,
f-strings, import aliases, generator modules run in the sandbox, instantiation
parameters, alternative assignments); the Chainer sdists are scanned when present.
"""

from __future__ import annotations

import json
import os
import tarfile
import textwrap

import pytest

import kernels_chainer.scan_plugin as chainer_plugin  # registers Chainer's helpers, stubs, dtypes
from kernelc.cli.command import run
from kernelc.scan.bindings import bind, compute_dtype, infer_raw
from kernelc.scan.scanner import KernelInstance, ScanConfig, scan

SDIST_DIR = os.environ.get("CHAINER_SDIST_DIR", "/tmp/chk")

CONSTS = """
PREAMBLE = "__device__ float twice(float v) { return 2 * v; }"
IN = "T x, T y"
"""
GEN = """
import functools
import six
from chainer.backends import cuda


def names(prefix, n):
    return ["{}_{}".format(prefix, k) for k in six.moves.range(n)]


@cuda.memoize()
def generate(ndim):
    ds = names("d", ndim)
    in_params = ", ".join(["raw T x"] + ["int32 " + d for d in ds])
    body = "y = x[i % ({})];".format(functools.reduce("{} * {}".format, ds))
    return in_params, "T y", body, "gen_{}d".format(ndim)
"""
HEAVY = """
import numpy


def generate():
    return "T x", "T y", "y = x", "heavy"
"""
KERNELS = """
import cupy
import cupy as cp
import chainer.backends.cuda as C
from chainer.backends import cuda
from mypkg import consts
from mypkg.consts import IN
from . import gen, heavy

_OP = "z = x %s y"
SUFFIX = "_k"


def add():
    return cp.ElementwiseKernel(IN, "T z", _OP % "+", "add" + SUFFIX)


def double():
    return cupy.ElementwiseKernel("T x", "T y", "y = twice({})".format("x"),
                                  name=f"dbl{SUFFIX}", preamble=consts.PREAMBLE)


def total(x):
    return C.reduce("T x", "T y", "x", "a + b", "y = a", "0", "sum" + SUFFIX)(x, axis=1)


def biggest():
    return cuda.cupy.ReductionKernel("T x", "T y", "x", "max(a, b)", "y = a", "-1", "mx",
                                     reduce_type="float")


def generated(self, x, y):
    ndim = self.ndim
    in_params, out_params, operation, name = gen.generate(ndim)
    cuda.elementwise(in_params, out_params, operation, name)(x, *x.shape, y)


def n_ary(cs):
    n_ary = len(cs)
    cells = ", ".join("T c{}".format(j) for j in range(1, n_ary + 1))
    return cuda.elementwise(cells, "T y", "y = " + " + ".join(
        "c{}".format(j) for j in range(1, n_ary + 1)), "nary")


def alternative(flag, hp, grad, param):
    if flag:
        denom = "sqrt(v)"
    else:
        denom = "sqrt(v) + eps"
    kernel = cuda.elementwise("T grad, T lr", "T param", "param -= lr * grad / (%s);" % denom,
                              "alt")
    kernel(grad, hp.lr, param)


def unresolved(t):
    return cuda.elementwise("{} x".format(t.name), "T y", "y = x", "unres")


def refused():
    in_params, out_params, operation, name = heavy.generate()
    return cuda.elementwise(in_params, out_params, operation, name)


def raw_one():
    return cuda.raw('extern "C" __global__ void k() {}', "k")


def elementwise(in_params, out_params, operation, name, **kwargs):
    return cupy.ElementwiseKernel(in_params, out_params, operation, name, **kwargs)
"""


@pytest.fixture
def package(tmp_path):
    root = tmp_path / "src"
    files = {
        "mypkg/__init__.py": "",
        "mypkg/consts.py": CONSTS,
        "mypkg/gen.py": GEN,
        "mypkg/heavy.py": HEAVY,
        "mypkg/kernels.py": KERNELS,
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    return root


def line_of(snippet: str) -> int:
    """The line of KERNELS (as written to mypkg/kernels.py) holding `snippet`."""
    lines = textwrap.dedent(KERNELS).splitlines()
    return next(k for k, line in enumerate(lines, 1) if snippet in line)


def by_name(result):
    out = {}
    for k in result.instances:
        out.setdefault(k.name, []).append(k)
    return out


def test_every_form(package):
    result = scan(str(package))
    found = by_name(result)
    add = found["add_k"][0]
    assert (add.kind, add.args["in_params"], add.args["operation"]) == (
        "elementwise",
        "T x, T y",
        "z = x + y",
    )
    assert add.origin == f"mypkg/kernels.py:{line_of('cp.ElementwiseKernel')}"
    dbl = found["dbl_k"][0]
    assert dbl.args["operation"] == "y = twice(x)" and "twice" in dbl.args["preamble"]
    total = found["sum_k"][0]
    assert total.kind == "reduction" and total.args["identity"] == "0"
    assert found["mx"][0].args["reduce_type"] == "float"
    assert found["k"][0].kind == "raw"


def test_generated_kernels_per_ndim_and_n_ary(package):
    found = by_name(scan(str(package)))
    gens = {k.params["ndim"]: k for name in ("gen_1d", "gen_2d", "gen_3d") for k in found[name]}
    assert sorted(gens) == [1, 2, 3]
    assert gens[2].args["in_params"] == "raw T x, int32 d_0, int32 d_1"
    assert gens[3].args["operation"] == "y = x[i % (d_0 * d_1 * d_2)];"
    nary = {k.params["n_ary"]: k.args for k in found["nary"]}
    assert nary[3]["in_params"] == "T c1, T c2, T c3" and nary[2]["operation"] == "y = c1 + c2"
    assert found["gen_2d"][0].id.endswith("[ndim=2]")


def test_alternative_assignments(package):
    alts = sorted(k.args["operation"] for k in by_name(scan(str(package)))["alt"])
    assert alts == ["param -= lr * grad / (sqrt(v) + eps);", "param -= lr * grad / (sqrt(v));"]


def test_unresolved_wrappers_and_refused_imports(package):
    result = scan(str(package))
    reasons = {u.origin.rsplit(":", 1)[1]: u.reason for u in result.unresolved}
    assert "'t' is a parameter of unresolved()" in reasons.values()
    assert any("import of 'numpy' refused" in r for r in reasons.values())
    assert result.wrappers == [f"mypkg/kernels.py:{line_of('cupy.ElementwiseKernel(in_params')}"]
    assert "unres" not in by_name(result)


def test_without_plugins_only_cupy_constructors_are_kernels(package):
    """Chainer's helpers and its `chainer.backends.cuda` stub come from its plugin: a scan
    without plugins finds CuPy's constructors only, and a generator that imports
    `chainer.backends.cuda` is refused like any other import from outside the tree."""
    plain = scan(str(package), ScanConfig(plugins=()))
    assert {k.name for k in plain.instances} == {"add_k", "dbl_k", "mx"}
    with_chainer = scan(str(package), ScanConfig(plugins=(chainer_plugin.PLUGIN,)))
    assert {"gen_2d", "nary", "alt"} <= {k.name for k in with_chainer.instances}


def test_plugin_dtypes_bind_non_float_placeholders():
    """A placeholder the plugin lists (Chainer's int32 labels) keeps its dtypes; a kernel
    of the same name scanned without the plugin is taken as float data."""
    labels = KernelInstance(
        "elementwise", "hinge_fwd", "m.py:1", {"in_params": "S t, T x", "out_params": "T y"}
    )
    bind(labels, plugins=(chainer_plugin.PLUGIN,))
    assert labels.dtypes == {"S": ["int32"], "T": ["float16", "float32", "float64"]}
    assert labels.bindings[0]["types"] == {"S": "int32", "T": "float32"}
    bind(labels, plugins=())
    assert labels.bindings[0]["types"] == {"S": "float32", "T": "float32"}


def test_archive_gives_the_same_instances(package, tmp_path):
    archive = tmp_path / "mypkg-1.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(package / "mypkg", arcname="mypkg-1.0/mypkg")
    ids = [k.id for k in scan(str(archive)).instances]
    assert ids == [k.id for k in scan(str(package)).instances]


def test_bindings_scalars_and_raw(package):
    found = by_name(scan(str(package)))
    alt = found["alt"][0]
    bind(alt)
    assert alt.bindings == [{"types": {"T": "float32"}, "scalars": ["lr"], "ndim": 1}]
    assert alt.dtypes == {"T": ["float16", "float32", "float64"]}
    gen = found["gen_2d"][0]
    bind(gen)
    assert gen.bindings[0]["scalars"] == ["d_0", "d_1"]  # spread from *x.shape
    total = found["sum_k"][0]
    bind(total)
    assert (total.bindings[0]["ndim"], total.bindings[0]["reduce_ndim"]) == (1, 1)
    raw = found["add_k"][0]
    raw.args = dict(raw.args, operation="int ind[] = {i, j}; z = x[ind] + y[i, 0, k];")
    assert infer_raw(raw, ["x", "y"]) == {"x": [2, True], "y": [3, True]}
    assert [compute_dtype(d) for d in ("float16", "int64", "uint64", "bool")] == [
        "float32",
        "int32",
        "int32",
        "bool",
    ]


def test_cli_json(package, capsys):
    assert run(["scan", str(package), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    names = {k["name"] for k in out["instances"]}
    assert {"add_k", "gen_1d", "nary", "k"} <= names
    assert all("site" not in k for k in out["instances"])
    assert run(["scan", str(package)]) == 0
    origin = f"mypkg/kernels.py:{line_of('cp.ElementwiseKernel')}"
    assert f"elementwise add_k {origin}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "version, counts",
    [
        ("7.8.1", {"elementwise": 154, "reduction": 7, "raw": 2}),
        ("5.4.0", {"elementwise": 148, "reduction": 6}),
    ],
)
def test_chainer_sdist(version, counts):
    path = os.path.join(SDIST_DIR, f"chainer-{version}.tar.gz")
    if not os.path.isfile(path):
        pytest.skip(f"{path} absent (fetch it with tools/chainer_sdist.py {version})")
    result = scan(path)
    assert result.version == version
    kinds = {}
    for k in result.instances:
        kinds[k.kind] = kinds.get(k.kind, 0) + 1
    assert kinds == counts
    names = {k.name for k in result.instances}
    assert {"im2col_3d", "col2im_1d", "max_pool_2d_fwd", "avg_pool_3d_bwd"} <= names
    assert all(u.origin.startswith("chainermn/") for u in result.unresolved)


def _module_of_kernels(path, n: int) -> None:
    lines = ["import cupy", "x = cupy.ones(3, dtype=cupy.float32)"]
    for k in range(n):
        lines.append(f"k{k} = cupy.ElementwiseKernel('T x', 'T y', 'y = x + {k}', 'k{k}')")
        lines.append(f"y{k} = k{k}(x)")
    path.write_text("\n".join(lines) + "\n")


def test_scan_is_linear_in_the_number_of_kernels(tmp_path, monkeypatch):
    """Nodes visited by `ast.walk` while scanning and binding N and 2N kernels: finding
    where each kernel is called must not walk the whole module once per kernel."""
    import ast

    visited = {"nodes": 0}
    walk = ast.walk

    def counting_walk(node):
        for child in walk(node):
            visited["nodes"] += 1
            yield child

    monkeypatch.setattr(ast, "walk", counting_walk)
    work = {}
    for n in (150, 300):
        _module_of_kernels(tmp_path / f"m{n}.py", n)
        visited["nodes"] = 0
        result = scan(str(tmp_path / f"m{n}.py"))
        for instance in result.instances:
            bind(instance)
        assert len(result.instances) == n
        binding = {"types": {"T": "float32"}, "scalars": [], "ndim": 1}
        assert result.instances[-1].bindings == [binding]
        work[n] = visited["nodes"]
    assert work[300] < 2.5 * work[150], work


def test_archive_members_over_the_limit_are_not_read(tmp_path, capsys):
    """A 1 GiB member is refused when its header is seen: its data (here cut short, so a
    read would fail differently) is never read."""
    import gzip

    small = tarfile.TarInfo("pkg-1.0/pkg/__init__.py")
    big = tarfile.TarInfo("pkg-1.0/pkg/big.py")
    big.size = 2**30
    archive = tmp_path / "pkg-1.0.tar.gz"
    archive.write_bytes(gzip.compress(small.tobuf() + big.tobuf() + b"x = 1\n" * 100))
    assert run(["scan", str(archive)]) == 1
    err = capsys.readouterr().err
    assert "member pkg-1.0/pkg/big.py is 1073741824 bytes" in err
    assert "source files over 64 MiB are not read" in err and "Traceback" not in err
