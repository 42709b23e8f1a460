"""Benchmark the browser bridge in headless Chromium (SwiftShader): queued elementwise
dispatches per second vs one message per command (and prepared launches, also of a kernel
that reads its output: `y += x`), the cost of one blocking read, and the Mandelbrot kernel
as one custom kernel vs composed from one kernel per NumPy-level op.

    python tools/bench_bridge.py [--size 256] [--iters 100] [--json out.json]

Everything is timed by Python in the Pyodide worker (time.perf_counter), on both backends.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.headless_chromium import launch, missing
from wgpy_runtime.serve import TEST_MOUNTS, serve_in_background

WORKER_TEMPLATE = '''
import array, time
import kernelc
from wgpy_runtime.device import create_device
from wgpy_runtime.device.dense import dense_values

MANDELBROT = {mandelbrot!r}
TARGET = {"webgpu": "wgsl", "webgl": "glsl"}


def best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def launches(dev, backend, batch, count=1000, n=1024, prepared=False, body="y = x + 1.0f"):
    program = kernelc.translate_elementwise("float32 x", "float32 y", body,
                                            name="add_one", target=TARGET[backend])
    x, y = dev.alloc(n, "float32"), dev.alloc(n, "float32")
    values = dense_values(program.abi, (n,))
    dev.batch_commands = batch
    p = dev.prepare(program, values) if prepared else None
    def go():
        if p is not None:
            for _ in range(count):
                dev.launch(p, (x, y), ())
        else:
            for _ in range(count):
                dev.dispatch(program, {"x": x, "y": y}, values)
        dev.synchronize()
    dev.synchronize()
    seconds = best(go)
    dev.batch_commands = 256
    read = best(lambda: [dev.read(y, 0, 1) for _ in range(50)]) / 50
    dev.free(x); dev.free(y)
    return count / seconds, read


class Ops:
    """One kernelc program per NumPy-level op, as a composed array expression launches;
    `release(keep)` frees every result but `keep`, as Python's refcounting would."""

    def __init__(self, dev, backend, n):
        self.dev, self.backend, self.n, self.programs, self.made = dev, backend, n, {}, []

    def __call__(self, expr, *args, out_dtype="float32", scalar=None):
        key = (expr, tuple(dtype for _, dtype in args), out_dtype, scalar is not None)
        if key not in self.programs:
            params = ", ".join(f"{dtype} a{k}" for k, (_, dtype) in enumerate(args))
            if scalar is not None:
                params += ", float32 s"
            self.programs[key] = kernelc.translate_elementwise(
                params, f"{out_dtype} out", f"out = {expr};", name="op",
                target=TARGET[self.backend], scalars=("s",) if scalar is not None else ())
        program = self.programs[key]
        out = self.dev.alloc(self.n, out_dtype)
        buffers = {f"a{k}": buf for k, (buf, _) in enumerate(args)}
        buffers["out"] = out
        scalars = {"s": scalar} if scalar is not None else {}
        self.dev.dispatch(program, buffers, dense_values(program.abi, (self.n,), scalars))
        self.made.append(out)
        return out

    def release(self, *keep):
        for buf in self.made:
            if buf not in keep:
                self.dev.free(buf)
        self.made = list(keep)


def composed(dev, backend, cx, cy, n, iters):
    ops, f, i = Ops(dev, backend, n), "float32", "int32"
    zr, zi = ops("0.0f", (cx, f)), ops("0.0f", (cx, f))
    count = ops("0", (cx, f), out_dtype=i)
    for _ in range(iters):
        t = ops("a0 + a1", (ops("a0 - a1", (ops("a0 * a0", (zr, f)), f),
                                (ops("a0 * a0", (zi, f)), f)), f), (cx, f))
        zi = ops("a0 + a1", (ops("a0 * a1", (ops("s * a0", (zr, f), scalar=2.0), f), (zi, f)), f),
                 (cy, f))
        zr = t
        norm = ops("a0 + a1", (ops("a0 * a0", (zr, f)), f), (ops("a0 * a0", (zi, f)), f))
        inside = ops("a0", (ops("a0 <= s", (norm, f), out_dtype="bool", scalar=4.0), "bool"),
                     out_dtype=i)
        count = ops("a0 + a1", (count, i), (inside, i), out_dtype=i)
        ops.release(zr, zi, count)
    return dev.read(count, 0, n)


def mandelbrot(backend, size, iters):
    dev = create_device(backend)
    n = size * size
    xs = array.array("f", [-2.0 + 3.0 * (k % size) / (size - 1) for k in range(n)])
    ys = array.array("f", [-1.5 + 3.0 * (k // size) / (size - 1) for k in range(n)])
    cx, cy = dev.alloc(n, "float32"), dev.alloc(n, "float32")
    dev.write(cx, 0, xs.tobytes()); dev.write(cy, 0, ys.tobytes())
    program = kernelc.translate_elementwise("T cx, T cy, int32 max_iter", "int32 count", MANDELBROT,
                                            name="mandelbrot", target=TARGET[backend],
                                            types={"T": "float32"}, scalars=("max_iter",))
    out = dev.alloc(n, "int32")
    values = dense_values(program.abi, (n,), {"max_iter": iters})
    def custom():
        dev.dispatch(program, {"cx": cx, "cy": cy, "count": out}, values)
        return dev.read(out, 0, n)
    custom()
    t_custom = best(custom)
    start = time.perf_counter()
    got = composed(dev, backend, cx, cy, n, iters)
    t_composed = time.perf_counter() - start
    inside = sum(1 for v in array.array("i", custom()) if v == iters)
    inside_composed = sum(1 for v in array.array("i", got) if v == iters)
    return t_custom, t_composed, inside, inside_composed


def bench(backend, size, iters):
    dev = create_device(backend)
    queued, read = launches(dev, backend, 256)
    prepared, _ = launches(dev, backend, 256, prepared=True)
    accumulate, _ = launches(dev, backend, 256, prepared=True, body="y += x")
    single, _ = launches(dev, backend, 1)
    t_custom, t_composed, inside, inside_composed = mandelbrot(backend, size, iters)
    return {"queued dispatches/s": queued, "queued prepared launches/s": prepared,
            "queued prepared launches/s, y += x": accumulate,
            "one message per command dispatches/s": single,
            "blocking read (ms)": read * 1e3, "mandelbrot custom (ms)": t_custom * 1e3,
            "mandelbrot composed (ms)": t_composed * 1e3,
            "points inside (custom, composed)": [inside, inside_composed]}
'''


# The main thread's own cost of one queued launch: the executor's `dispatch` (the values as
# a Map, as the host makes it from a command) and `launch` (a prepared one) called in a
# loop on the page, submits included, best of 3 rounds of 4000.
MAIN_THREAD = """async (backend) => {
  const host = window.bridge.host;
  const exec = host.ready.get(backend);
  const pid = [...host.programs.get(backend).keys()].find((k) => typeof k === "number");
  const program = host.programs.get(backend).get(pid);
  const n = 1024, x = 2 ** 30 + 1, y = 2 ** 30 + 2;
  exec.alloc(x, n, "float32");
  exec.alloc(y, n, "float32");
  const entries = program.abi.uniforms.map((m) => [m.key.what, m.key.param ?? null,
    m.key.axis ?? null, m.key.what === "stride" ? 1 : /size|shape/.test(m.key.what) ? n : 0]);
  const values = new Map([...entries].map(([w, p, a, v]) => [`${w}|${p ?? ""}|${a ?? ""}`, v]));
  const p = { program, params: ["x", "y"], scalarNames: [], values };
  const time = async (one) => {
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      await exec.sync();
      const start = performance.now();
      for (let k = 0; k < 4000; k++) one();
      best = Math.min(best, (performance.now() - start) / 4000);
    }
    return best * 1e3;
  };
  const dispatch = await time(() => exec.dispatch(program, { x, y }, new Map(values)));
  const launch = exec.launch ? await time(() => exec.launch(p, [x, y], [])) : null;
  await exec.sync();
  exec.free(x);
  exec.free(y);
  return { "main thread µs per dispatch": dispatch, "main thread µs per prepared launch": launch };
}"""


def mandelbrot_operation() -> str:
    """The body of examples/mandelbrot.cu, the kernel both benchmarks run."""
    from kernelc.scan.sources import read_kernels

    (kernel,), _ = read_kernels(str(Path(__file__).resolve().parents[1] / "examples/mandelbrot.cu"))
    return kernel.operation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256, help="Mandelbrot image side")
    parser.add_argument("--iters", type=int, default=100, help="Mandelbrot iterations")
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args()
    if reason := missing():
        raise SystemExit(reason)
    from playwright.sync_api import sync_playwright

    server, url = serve_in_background(extra_mounts=TEST_MOUNTS)
    results = {}
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        page.goto(f"{url}/tests/browser/pages/bridge.html")
        page.evaluate("window.bridgeReady")
        run = lambda code: page.evaluate("(code) => window.bridge.run(code)", code)
        run(WORKER_TEMPLATE.replace("{mandelbrot!r}", repr(mandelbrot_operation())))
        results["browser"] = f"Chromium {browser.version}"
        for backend in ("webgpu", "webgl"):
            run(f"import json; _r = json.dumps(bench({backend!r}, {args.size}, {args.iters}))")
            results[backend] = json.loads(run("_r"))
            results[backend].update(page.evaluate(MAIN_THREAD, backend))
            results[backend]["adapter"] = run(f"create_device({backend!r}).limits['adapter']")
            print(backend, json.dumps(results[backend], indent=1), flush=True)
        browser.close()
    server.shutdown()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
