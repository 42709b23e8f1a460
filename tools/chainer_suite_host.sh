#!/usr/bin/env bash
# Chainer's own tests (tools/chainer_suite.py) on a GPU host with Python 3.12, no network
# and many cores: WebGPU on the host's Vulkan driver, WebGL on its EGL driver.
#
#   bash tools/chainer_suite_host.sh prepare      # here: fills build/device (about 25 MB)
#   bash tools/chainer_suite_host.sh setup        # there: install (run does it if needed)
#   bash tools/chainer_suite_host.sh run ARGS...  # there: tools/chainer_suite.py ARGS...
#
# `prepare` downloads cp312 wheels (NumPy 1.26.4, pytest, mock, Chainer's dependencies),
# builds Chainer's wheel from its sdist, copies the wgpu/moderngl wheels and GL/Vulkan
# loader .debs of $GPU_HOST_DEBS and packs the Chainer tests ($CHAINER_TESTS); `run`
# installs them under /tmp, hides the host's SciPy (built for NumPy 2) and runs the suite
# with the tests unpacked in /tmp/chainer-tests.
set -euo pipefail
cd "$(dirname "$0")/.."
dev=build/device
tests="${CHAINER_TESTS:-../../shared/third_party/chainer-7.8.1-tests}"
debs="${GPU_HOST_DEBS:-../../shared/gpu-host}"
cp312=(--no-deps --only-binary=:all: --python-version 3.12 --implementation cp --abi cp312
  --platform manylinux2014_x86_64)

prepare() {
  mkdir -p "$dev"
  pip download -q "${cp312[@]}" -d "$dev" numpy==1.26.4 filelock typing_extensions six \
    protobuf pytest pluggy iniconfig packaging mock
  .venv-chainer/bin/python -m pip wheel -q --no-deps --no-build-isolation -w "$dev" \
    "$(python3 tools/chainer_sdist.py 7.8.1)"
  cp "$debs"/* "$dev"/
  tar czf "$dev/chainer-tests.tar.gz" -C "$(dirname "$tests")" "$(basename "$tests")"
  du -sh "$dev"
}

setup() {
  for f in "$dev"/*.deb; do dpkg -x "$f" /; done
  ldconfig
  python3 -m pip install -q --no-index --no-deps --target /tmp/site "$dev"/*.whl 2>&1 |
    grep -v WARNING || true
  mkdir -p /tmp/chainer-tests /tmp/noscipy/scipy
  tar xzf "$dev/chainer-tests.tar.gz" -C /tmp/chainer-tests --strip-components 1
  echo 'raise ImportError("the host SciPy is built for NumPy 2")' >/tmp/noscipy/scipy/__init__.py
}

run() {
  [ -d /tmp/chainer-tests/tests ] || setup
  export PYTHONPATH="/tmp/noscipy:/tmp/site:$PWD" XDG_RUNTIME_DIR=/tmp
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  python3 tools/chainer_suite.py --python python3 --tests /tmp/chainer-tests "$@"
}

case "${1:-}" in
  prepare) prepare ;;
  setup) setup ;;
  run) shift && run "$@" ;;
  *) echo "usage: $0 prepare | setup | run ARGS..." >&2 && exit 2 ;;
esac
