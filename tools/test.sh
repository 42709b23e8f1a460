#!/usr/bin/env bash
# Set up a fresh Debian machine and run the whole test suite: `bash tools/test.sh [pytest args]`.
set -euo pipefail
cd "$(dirname "$0")/.."

# Shaders are compiled and executed for real: lavapipe (Vulkan on the CPU) runs WGSL through
# wgpu-native, Mesa's EGL/llvmpipe runs GLSL ES 3.00, glslangValidator checks GLSL.
# Debian's Chromium (headless, SwiftShader) runs tests/browser; npm brings Pyodide.
# tests/distributed starts a PostgreSQL cluster of its own (initdb/pg_ctl of Debian's server).
packages=(mesa-vulkan-drivers libvulkan1 libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri glslang-tools
          chromium postgresql)
missing=()
command -v npm >/dev/null || missing+=(npm)
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]'
npm ci --silent --no-audit --no-fund
# Chainer's kernels are tested as Chainer defines them (its sdist, never committed), and
# Chainer itself trains on wgpy_runtime in its own venv (numpy<2): both are built here, so
# nothing skips for want of a setup step.
python3 tools/chainer_sdist.py 7.8.1 >/dev/null
python3 tools/chainer_sdist.py 5.4.0 >/dev/null  # the scanner is also checked on an older Chainer
bash tools/chainer_env.sh >/dev/null
# The formatter and the linter are part of the suite (pyproject's [tool.ruff]).
python3 -m ruff format --check --quiet .
python3 -m ruff check --quiet .
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
python3 -m pytest tests "$@"
