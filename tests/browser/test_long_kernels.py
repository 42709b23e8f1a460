"""Long kernels through the bridge, on both browser backends (js_bridge/pacing.js): a
launch runs in ranges that each stay within a time budget, with progress told (and every
element computed exactly once); a cancel from the page, or a KeyboardInterrupt in the
worker's Python, stops the GPU work between ranges and leaves the device usable; a lost
device is made again, and the failure says so; failures name the kernel.

Rule: a kernel that "never ends" is simulated by a long loop per element over many
elements (SwiftShader may stop any loop after 65,535 iterations, so a loop must stay
below that to mean what it says).
"""

from __future__ import annotations

import textwrap
import time

import pytest

BACKENDS = ("webgpu", "webgl")

PRELUDE = '''
import array, time
import kernelc
from wgpy_runtime.device import create_device, DeviceError
from wgpy_runtime.device.dense import dense_values

TARGET = {"webgpu": "wgsl", "webgl": "glsl"}
DEVICES = {}

def device(backend):
    if backend not in DEVICES:
        DEVICES[backend] = create_device(backend)
    return DEVICES[backend]

def slow_program(backend, name):
    # about n * iters loop steps: minutes on SwiftShader for the sizes used here
    return kernelc.translate_elementwise(
        "float32 x, int32 iters", "float32 y",
        "float acc = x; for (int k = 0; k < iters; ++k) { acc = acc * 0.9999f + x; } y = acc;",
        name=name, target=TARGET[backend], scalars=("iters",))

def run_slow(backend, name, n=1 << 18, iters=20000):
    """Dispatch the slow kernel and wait: how it ended, and the seconds it took."""
    dev = device(backend)
    program = slow_program(backend, name)
    x, y = dev.alloc(n, "float32"), dev.alloc(n, "float32")
    dev.write(x, 0, array.array("f", [1.0]).tobytes() * n)
    start = time.perf_counter()
    try:
        dev.dispatch(program, {"x": x, "y": y}, dense_values(program.abi, (n,), {"iters": iters}))
        dev.synchronize()
        outcome = "finished"
    except KeyboardInterrupt as e:
        outcome = f"KeyboardInterrupt: {e}"
    except DeviceError as e:
        outcome = f"DeviceError: {e}"
    finally:
        dev.free(x)
        dev.free(y)
    return [outcome, time.perf_counter() - start]

def quick(backend, n=1000):
    """A small kernel's result is right, and the seconds it took."""
    dev = device(backend)
    program = kernelc.translate_elementwise("int32 k", "int32 q", "q = k * 3 + 1;",
                                            name="quick", target=TARGET[backend])
    start = time.perf_counter()
    k, q = dev.alloc(n, "int32"), dev.alloc(n, "int32")
    try:
        dev.write(k, 0, array.array("i", range(n)).tobytes())
        dev.dispatch(program, {"k": k, "q": q}, dense_values(program.abi, (n,)))
        got = list(array.array("i", dev.read(q, 0, n)))
    finally:
        dev.free(k)
        dev.free(q)
    return [got == [3 * i + 1 for i in range(n)], time.perf_counter() - start]
'''

START_SLOW = """([backend, name]) => {
  window.progressLog = [];
  window.bridge.host.pacer.listeners.add((p) => { if (p) window.progressLog.push(p); });
  window.slowRun = window.bridge.run(`run_slow("${backend}", "${name}")`);
}"""


@pytest.fixture(scope="module")
def worker(bridge_page):
    bridge_page.evaluate("(code) => window.bridge.run(code)", PRELUDE)
    return lambda code: bridge_page.evaluate(
        "(code) => window.bridge.run(code)", textwrap.dedent(code)
    )


def start_slow(page, backend: str, name: str) -> None:
    page.evaluate(START_SLOW, [backend, name])
    # ranges are reported as they finish: the launch is split and the page hears of it
    page.wait_for_function("window.progressLog.length >= 2", timeout=30_000)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_long_launch_runs_in_ranges_and_computes_every_element_once(worker, bridge_page, backend):
    bridge_page.evaluate("""() => {
        window.progressLog = [];
        window.bridge.host.pacer.listeners.add((p) => { if (p) window.progressLog.push(p); });
    }""")
    ok = worker(f"""
        program = kernelc.translate_elementwise(
            "int32 iters", "int32 q",
            "int acc = 0; for (int k = 0; k < iters; ++k) {{ acc += (i + k) & 7; }} q = q + acc + i;",
            name="ranged_{backend}", target=TARGET["{backend}"], scalars=("iters",))
        n = 100003
        dev = device("{backend}")
        q = dev.alloc(n, "int32")
        dev.write(q, 0, bytes(4 * n))
        dev.dispatch(program, {{"q": q}}, dense_values(program.abi, (n,), {{"iters": 2000}}))
        got = array.array("i", dev.read(q, 0, n))
        dev.free(q)
        # q read before written: a range run twice would add its elements twice
        all(v == 7000 + i for i, v in enumerate(got))
    """)
    assert ok
    log = bridge_page.evaluate("window.progressLog")
    assert len(log) >= 3, log  # several ranges, each told
    assert all(p["what"] == f"dispatch of kernel 'ranged_{backend}'" for p in log)
    assert log[-1]["done"] == log[-1]["total"] == 100003
    assert [p["done"] for p in log] == sorted(p["done"] for p in log)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_cancel_from_the_page_stops_the_gpu_and_python_and_the_device_goes_on(
    worker, bridge_page, backend
):
    worker(f'quick("{backend}")')  # the device exists: the slow run starts at once
    start_slow(bridge_page, backend, f"cancelled_{backend}")
    began = time.monotonic()
    bridge_page.evaluate("window.bridge.cancel()")
    outcome, _ = bridge_page.evaluate("window.slowRun")
    assert outcome.startswith("KeyboardInterrupt"), outcome
    assert time.monotonic() - began < 10
    ok, quick_seconds = worker(f'quick("{backend}")')
    assert ok and quick_seconds < 10  # the launch did not go on behind the cancel


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_keyboard_interrupt_in_python_cancels_the_gpu_work(worker, bridge_page, backend):
    worker(f'quick("{backend}")')
    start_slow(bridge_page, backend, f"interrupted_{backend}")
    # what Ctrl+C does to Pyodide: only the interrupt buffer, no cancel on the main thread
    bridge_page.evaluate("Atomics.store(window.bridge.interrupt, 0, 2)")
    outcome, _ = bridge_page.evaluate("window.slowRun")
    assert outcome.startswith("KeyboardInterrupt"), outcome
    began = time.monotonic()
    ok, _ = worker(f'quick("{backend}")')
    assert ok and time.monotonic() - began < 10  # the worker told the main thread to stop


EXECUTOR = "await window.bridge.host.executors.get('{}')"
LOSE = {  # what a GPU reset does to each
    "webgpu": f"async () => ({EXECUTOR.format('webgpu')}).device.destroy()",
    "webgl": f"async () => ({EXECUTOR.format('webgl')}).gl.getExtension('WEBGL_lose_context')"
    ".loseContext()",
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_lost_device_is_made_again_and_the_failure_says_so(worker, bridge_page, backend):
    assert worker(f'quick("{backend}")')[0]
    bridge_page.evaluate(LOSE[backend])
    bridge_page.wait_for_timeout(300)  # loss is reported asynchronously
    message = worker(f"""
        try:
            quick("{backend}")
            message = None
        except DeviceError as e:
            message = str(e)
        message
    """)
    assert message is not None and "lost" in message
    assert f"a new {backend} device was made" in message
    assert worker(f'quick("{backend}")')[0]  # the new device works


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failure_at_a_sync_point_names_the_command_and_the_kernel(worker, backend):
    message = worker(f"""
        dev = device("{backend}")
        program = kernelc.translate_elementwise("int32 k", "int32 q", "q = k;",
                                                name="named_one", target=TARGET["{backend}"])
        k = dev.alloc(16, "int32")
        q = dev.alloc(16, "float32")  # the wrong dtype: the dispatch fails on the main thread
        dev.dispatch(program, {{"k": k, "q": q}}, dense_values(program.abi, (16,)))
        try:
            dev.synchronize()
            message = None
        except DeviceError as e:
            message = str(e)
        dev.free(k)
        dev.free(q)
        message
    """)
    assert message is not None
    assert message.startswith(f"{backend}: sync: dispatch of kernel 'named_one':"), message
