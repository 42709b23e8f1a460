"""wgpy_runtime's imports show its layers (docs/architecture.md): no function imports
another of the project's modules to get round a cycle.

Rule: a function-local import is for an optional dependency or the environment (wgpu,
moderngl, Pyodide, Optuna, the standard library's urllib); of the project's own modules
only those that bring such a dependency with them are imported inside a function: a
backend's (loaded when its device is created) and the study server's (Optuna).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "wgpy_runtime"
OWN = ("wgpy_runtime", "kernelc", "kernels_chainer")
# (file, module): the backends `registry.create_device` loads with their GPU libraries,
# and the study service (Optuna) that only the server's side runs.
ALLOWED = {
    ("device/registry.py", ".browser"),
    ("device/registry.py", ".webgpu"),
    ("device/registry.py", ".webgl"),
    ("study/__main__.py", ".service"),
}


def local_imports(path: Path) -> list[str]:
    """The modules imported inside functions of `path`, relative ones with their dots."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import):
                found += [alias.name for alias in inner.names]
            elif isinstance(inner, ast.ImportFrom):
                found.append("." * inner.level + (inner.module or ""))
    return found


def test_no_function_imports_the_project_s_own_modules():
    offending = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        for module in local_imports(path):
            own = module.startswith(".") or module.split(".")[0] in OWN
            if own and (name, module) not in ALLOWED:
                offending.append(f"wgpy_runtime/{name}: {module}")
    assert not offending, "function-local imports of project modules:\n" + "\n".join(offending)


def test_the_check_sees_function_local_imports():
    assert ".webgpu" in local_imports(PACKAGE / "device" / "registry.py")
    assert "wgpu" in local_imports(PACKAGE / "device" / "webgpu.py")


def test_kernelc_translates_without_numpy():
    """Pyodide loads kernelc before (or without) NumPy: the compiler itself imports only
    the standard library (the IR interpreter, a test and fallback tool, may use NumPy)."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['numpy'] = None\n"
        "import kernelc\n"
        "kernelc.translate_elementwise('complex64 x, uint32 n', 'complex64 y', "
        "'y = exp(x) * (float)__popc(n) + j0f(1.0f);', 'k', target='wgsl')\n"
        "kernelc.translate_elementwise('float64 x', 'float64 y', "
        "'int q; double i; y = remquo(x, 2.0, &q) + modf(x, &i);', 'k', target='glsl', exact64=True)\n"
        "kernelc.translate_reduction('complex64 x', 'complex64 y', 'x * conj(x)', 'a + b', "
        "'y = a', '0', 'r', target='wgsl')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
