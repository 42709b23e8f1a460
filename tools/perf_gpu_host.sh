#!/usr/bin/env bash
# The reduction sweep and the operation, launch, matmul and GLES benchmarks of
# docs/benchmarks.md on the GPU host, beside its CuPy, in one run (results and a log in
# $OUT, default build/perf):
#
#   bash tools/perf_gpu_host.sh [--before DIR] [--only sweep,ops,launch,runtime,matmul,gles,exact64]
#       (`tiles`, a float32 tile sweep, `transpose`, transposing copies by run length, and
#       `split`, where a float64 product by slices spends its time, only when named)
#
# It expects the wgpu/moderngl wheels and the GL/Vulkan loader .debs in $GPU_DIR (default
# .gpu, copied from the workplace's gpu-host folder) and installs them under /tmp. With
# --before, DIR holds an older tree of this repository (`git archive`): its reductions and
# launches are timed in the same run, with this tree's benchmark scripts.
set -uo pipefail
cd "$(dirname "$0")/.."
gpu="${GPU_DIR:-.gpu}"
out="${OUT:-build/perf}"
before="" only="sweep,ops,launch,runtime,matmul,gles,exact64"
while [ $# -gt 0 ]; do
  case "$1" in
    --before) before="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
exec > >(tee "$out/log.txt") 2>&1

for f in "$gpu"/*.deb; do dpkg -x "$f" /; done
ldconfig
python3 -m pip install -q --no-index --no-deps --target /tmp/site "$gpu"/*.whl 2>&1 |
  grep -v WARNING
export PYTHONPATH="/tmp/site:$PWD" XDG_RUNTIME_DIR=/tmp
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
python3 -c 'import numpy, cupy; print("numpy", numpy.__version__, "cupy", cupy.__version__)'
python3 -c 'import moderngl; c = moderngl.create_context(standalone=True, backend="egl")
print("GLES:", c.info["GL_RENDERER"], "|", c.info["GL_VERSION"])
import wgpu; a = wgpu.gpu.request_adapter_sync(power_preference="high-performance")
print("WebGPU:", a.info["device"], "|", a.info["backend_type"])'

want() { [[ ",$only," == *",$1,"* ]]; }
bench() {  # NAME SECONDS SCRIPT ARGS...: this tree's run, logged as $out/NAME.txt
  local name="$1" limit="$2"
  shift 2
  echo "== $name ($(date -u +%T))"
  timeout "$limit" python3 "$@" 2>"$out/$name.err" | tee "$out/$name.txt"
  grep -v -i warn "$out/$name.err" | tail -8
}
older() {  # NAME SECONDS SCRIPT ARGS...: the same script on the --before tree
  local name="$1" limit="$2" script="$3"
  shift 3
  [ -n "$before" ] || return 0
  cp "$script" "$before/$script"
  echo "== $name, before ($(date -u +%T))"
  (cd "$before" && PYTHONPATH="/tmp/site:$PWD" timeout "$limit" python3 "$script" "$@") \
    2>"$out/$name-before.err" | tee "$out/$name-before.txt"
  grep -v -i warn "$out/$name-before.err" | tail -8
}

want sweep && bench sweep 200 tools/sweep_reduction.py --json "$out/sweep.json"
if want ops; then
  bench ops 200 tools/bench_ops.py --size full --backends webgpu,webgl --json "$out/ops.json"
  older ops 70 tools/bench_ops.py --size full --backends webgpu --parts reductions --no-numpy
fi
if want launch; then
  bench launch 90 tools/bench_launch.py --backends cupy,webgpu,webgl --calls 1000 --repeat 5
  older launch 45 tools/bench_launch.py --backends webgpu --calls 1000 --repeat 5
fi
want runtime && bench runtime 150 tools/bench_runtime.py --size full --backends webgpu,webgl
if want matmul; then
  bench matmul 150 tools/bench_matmul.py --sizes 1024 4096 --seconds 1
  bench matmul_shapes 120 tools/bench_matmul_shapes.py --backends webgpu webgl --seconds 0.5
fi
want gles && bench gles 60 tools/bench_gles.py
want exact64 && bench exact64 240 tools/bench_exact64.py --json "$out/exact64.json"
sweep_tiles=(large huge 256,128,4,16,8/1 128,128,4,8,8 128,128,4,8,8/1 128,64,8,8,4
  128,64,8,8,4/1 64,128,8,4,8 256,128,8,16,8 small auto)
want tiles && bench tiles 240 tools/bench_matmul.py --sizes 1024 4096 --backends webgpu \
  --seconds 0.5 --tiles auto "${sweep_tiles[@]}"
want transpose && bench transpose 120 tools/bench_transpose.py --repeat 30
want split && bench split 360 tools/profile_split_products.py --sizes 1024 4096 --launches
echo "== done ($(date -u +%T))"
