#!/usr/bin/env bash
# Build `.venv-chainer`: a venv where unmodified Chainer 7.8.1 runs on wgpy_runtime through
# the cupy shim. `bash tools/chainer_env.sh [VENV]` (default: .venv-chainer in the repo).
#
# Chainer 7.8.1 needs numpy<2 (it reads np.sctypes), and its sdist's setup.py imports
# pkg_resources, so it is built without isolation against setuptools<81. This repo goes in
# editable with the native-GPU packages the runtime needs (wgpu, moderngl).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-.venv-chainer}"
py="${PYTHON:-python3}"

[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)
"${pip[@]}" "numpy==1.26.4" "setuptools<81" wheel pytest hypothesis mock  # hypothesis: tests/conftest.py; mock: Chainer's own tests
sdist="$("$py" tools/chainer_sdist.py 7.8.1 2>/dev/null || true)"
if [ -n "$sdist" ] && [ -f "$sdist" ]; then
  "${pip[@]}" --no-build-isolation "$sdist"
else
  "${pip[@]}" --no-build-isolation "chainer==7.8.1"
fi
"${pip[@]}" "wgpu>=0.19" "moderngl>=5.8"
"${pip[@]}" --no-build-isolation --no-deps -e .
# numpy must stay below 2: a later install must not have upgraded it.
"$venv/bin/python" - <<'PY'
import numpy, chainer
assert numpy.__version__.startswith("1."), numpy.__version__
print(f"chainer {chainer.__version__}, numpy {numpy.__version__}")
PY
