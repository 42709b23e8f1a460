#!/usr/bin/env bash
# Chainer 7.8.1 beside CuPy on a GPU host with Python 3.12, CuPy 14 on NumPy 2 and no
# network (docs/benchmarks.md, "Chainer training iteration").
#
#   bash tools/chainer_gpu_host.sh prepare      # here, with PyPI: fills $GPU_DIR (default .gpu)
#   bash tools/chainer_gpu_host.sh run [STEPS]  # there, from the repo root: the STEPS (comma-
#       separated; all by default) models (tools/bench_chainer.py: MLP, CNN, on
#       MODELS_BACKENDS), resnet (ResNet-18 at the batches RESNET_BATCHES, 16,64 by default,
#       RESNET_TIMEOUT seconds a backend, on RESNET_BACKENDS (`webgpu@DIR`: an older tree's
#       webgpu, tools/bench_chainer.py), RESNET_WARMUP + RESNET_ITERATIONS iterations; both
#       ROUNDS times, alternating the backends, with the median ratio to CuPy when ROUNDS >
#       1), hits (tools/chainer_cache_hits.py), profile (tools/profile_launches.py: ResNet-18's
#       commands by program at batch PROFILE_BATCH, by GPU timestamps where
#       PROFILE_CLOCK=gpu), ops (tools/bench_resnet_ops.py:
#       its operations one by one beside CuPy, at batch PROFILE_BATCH) and host
#       (tools/profile_host.py: the MLP's host time by function at batch 16); the last
#       three only when named
#
# `prepare` writes $GPU_DIR/chainer/ (NumPy 1.26.4 and Chainer's pure-Python dependencies as
# cp312 wheels, a Chainer wheel built from its sdist) and $GPU_DIR/cupy13/cupy13.tar.xz:
# CuPy 13.6, the last CuPy that loads on NumPy 1.x (CuPy 14 targets NumPy 2's C API), with
# fastrlock and without its optional thrust module, xz-compressed to fit what travels to
# the host (about 50 MB for $GPU_DIR/chainer and cupy13). `run` expects the wgpu/moderngl
# wheels and GL/Vulkan loader .debs in $GPU_DIR, installs everything under /tmp, hides
# the host's SciPy from the NumPy 1.x processes (tools/bench_chainer.py) and writes the
# results and a log to $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
gpu="${GPU_DIR:-.gpu}"
# NumPy 1.26 and CuPy 13 go here, apart from the NumPy 2 wheels tools/perf_gpu_host.sh puts
# in /tmp/site: both scripts can run on one machine, in either order.
chainer_site=/tmp/site-chainer
cp312=(--no-deps --only-binary=:all: --python-version 3.12 --implementation cp --abi cp312
  --platform manylinux2014_x86_64)

prepare() {
  mkdir -p "$gpu/chainer" "$gpu/cupy13"
  pip download -q "${cp312[@]}" -d "$gpu/chainer" numpy==1.26.4 "setuptools<81" filelock \
    typing_extensions six protobuf
  [ -x .venv-chainer/bin/python ] || bash tools/chainer_env.sh  # setuptools<81 for the sdist
  .venv-chainer/bin/python -m pip wheel -q --no-deps --no-build-isolation -w "$gpu/chainer" \
    "$(python3 tools/chainer_sdist.py 7.8.1)"
  local tmp
  tmp="$(mktemp -d)"
  pip download -q "${cp312[@]}" -d "$tmp" cupy-cuda13x==13.6.0 fastrlock
  (cd "$tmp" && for w in *.whl; do unzip -q -o "$w"; done && rm cupy/cuda/thrust.*.so &&
    tar -cf - cupy cupyx cupy_backends fastrlock ./*.dist-info) | xz -9 -T0 >"$gpu/cupy13/cupy13.tar.xz"
  rm -rf "$tmp"
  du -sh "$gpu"
}

use_cupy13() {
  python3 -c "import tarfile; tarfile.open('$gpu/cupy13/cupy13.tar.xz').extractall('$chainer_site')"
  local site libs
  site="$(PYTHONPATH='' python3 -c 'import site; print(site.getsitepackages()[0])')"
  libs="$(find /usr/local/cuda/ "$site/nvidia" \( -name 'libcublas.so.13*' -o -name \
    'libcurand.so.10*' -o -name 'libnvrtc.so.13*' -o -name 'libcudart.so.13*' \) 2>/dev/null |
    grep -v stubs | xargs -r -n1 dirname | sort -u | paste -sd:)"
  export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
}

run() {
  set +e
  exec > >(tee "$OUT/log.txt") 2>&1
  for f in "$gpu"/*.deb; do dpkg -x "$f" /; done
  ldconfig
  python3 -m pip install -q --no-index --no-deps --target "$chainer_site" "$gpu"/*.whl \
    "$gpu"/chainer/*.whl 2>&1 | grep -v WARNING
  export PYTHONPATH="$chainer_site:$PWD" XDG_RUNTIME_DIR=/tmp
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader
  python3 -VV
  nproc
  grep -m1 "model name" /proc/cpuinfo
  echo "== host: $(PYTHONPATH='' python3 -c 'import numpy, cupy
print("numpy", numpy.__version__, "cupy", cupy.__version__)' 2>&1 | tail -1)"
  local check='import sys; sys.modules["scipy"] = None; import numpy, cupy
x = cupy.arange(6, dtype=cupy.float32).reshape(2, 3)
print("cupy", cupy.__version__, "on numpy", numpy.__version__, float((x @ x.T).sum()))'
  if python3 -c "$check" 2>"$OUT/cupy_host_on_numpy1.txt"; then
    echo "== the host's CuPy runs on NumPy 1.26"
  else
    echo "== the host's CuPy on NumPy 1.26: $(grep -v '^\s*$' "$OUT/cupy_host_on_numpy1.txt" | tail -2)"
    use_cupy13
    python3 -c "$check" 2>&1 | tail -4
  fi
  local steps=",${1:-models,resnet,hits},"
  [[ "$steps" == *,models,* ]] &&
    python3 tools/bench_chainer.py --batch 16,256 --warmup 5 --iterations 50 --timeout 100 \
      --backends "${MODELS_BACKENDS:-numpy,cupy,webgpu,webgl}" --rounds "${ROUNDS:-1}" \
      --json "$OUT/bench_chainer.json"
  # ResNet-18's buffers settle in the pools, and its bind groups with them, in about ten
  # iterations (docs/benchmarks.md, round six): the timed ones come after
  [[ "$steps" == *,resnet,* ]] &&
    python3 tools/bench_chainer.py --models resnet18 --batch "${RESNET_BATCHES:-16,64}" --warmup "${RESNET_WARMUP:-10}" \
      --iterations "${RESNET_ITERATIONS:-20}" --timeout "${RESNET_TIMEOUT:-900}" \
      --backends "${RESNET_BACKENDS:-numpy,cupy,webgpu,webgl}" --rounds "${ROUNDS:-1}" \
      --json "$OUT/bench_resnet18${RESNET_TAG:-}.json"
  [[ "$steps" == *,profile,* ]] &&
    python3 tools/profile_launches.py --batch "${PROFILE_BATCH:-64}" --top 40 \
      --clock "${PROFILE_CLOCK:-wait}" \
      > "$OUT/profile_resnet18_${PROFILE_BATCH:-64}${PROFILE_CLOCK:+_$PROFILE_CLOCK}.md"
  [[ "$steps" == *,ops,* ]] &&
    python3 tools/bench_resnet_ops.py --batch "${PROFILE_BATCH:-64}" \
      --json "$OUT/resnet_ops_${PROFILE_BATCH:-64}.json" > "$OUT/resnet_ops_${PROFILE_BATCH:-64}.md"
  [[ "$steps" == *,host,* ]] &&
    python3 tools/profile_host.py --model mlp --batch 16 > "$OUT/profile_host_mlp_16.md"
  [[ "$steps" == *,hits,* ]] &&
    python3 tools/chainer_cache_hits.py --batch 16 --json "$OUT/cache_hits.json"
  return 0
}

case "${1:-}" in
  prepare) prepare ;;
  run) run "${2:-}" ;;
  *) echo "usage: $0 prepare|run [models,resnet,hits,profile,ops,host]" >&2 && exit 2 ;;
esac
