"""The bridge end to end: Python in the Pyodide worker compiles kernels with kernelc and
runs them through BrowserDevice → the shared channel → the main thread's executors, on
both browser backends; failures on the main thread come back as DeviceError quickly.

Rule: every check is made by Python in the worker (no NumPy there) and its verdict
returned to the test; the page is started once per module.
"""

from __future__ import annotations

import gzip
import json
import textwrap

import pytest

from tests.browser.streams import CHAINER_TOLERANCE, ROOT, corpus_tolerances

BACKENDS = ("webgpu", "webgl")

# Helpers defined once in the worker's Python.
PRELUDE = '''
import array, dataclasses, time
import kernelc
from wgpy_runtime.device import create_device, DeviceError
from wgpy_runtime.device.dense import dense_values

TARGET = {"webgpu": "wgsl", "webgl": "glsl"}
DEVICES = {}

def device(backend):
    if backend not in DEVICES:
        DEVICES[backend] = create_device(backend)
    return DEVICES[backend]

def run_kernel(backend, program, inputs, outputs, n, scalars=None):
    """inputs/outputs: name -> (dtype, bytes or None); returns outputs' bytes."""
    dev = device(backend)
    ids = {}
    for name, (dtype, data) in {**inputs, **outputs}.items():
        ids[name] = dev.alloc(n, dtype)
        if data is not None:
            dev.write(ids[name], 0, data)
    dev.dispatch(program, ids, dense_values(program.abi, (n,), scalars))
    result = {name: dev.read(ids[name], 0, n) for name in outputs}
    for buf in ids.values():
        dev.free(buf)
    return result

def raises_within(fn, seconds=2.0):
    """(message of the DeviceError fn raised, seconds it took)."""
    start = time.perf_counter()
    try:
        fn()
    except DeviceError as e:
        return str(e), time.perf_counter() - start
    return None, time.perf_counter() - start
'''


@pytest.fixture(scope="module")
def worker(bridge_page):
    bridge_page.evaluate("(code) => window.bridge.run(code)", PRELUDE)
    return lambda code: bridge_page.evaluate(
        "(code) => window.bridge.run(code)", textwrap.dedent(code)
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_python_in_the_worker_compiles_and_runs_a_kernel(worker, backend):
    result = worker(f"""
        program = kernelc.translate_elementwise(
            "float32 x, int32 k, float32 a", "float32 y, int32 q",
            "y = x * x + a; q = k / 3 + k % 3;", name="square_plus",
            target=TARGET["{backend}"], scalars=("a",))
        n = 1000
        xs = array.array("f", [i * 0.25 - 100 for i in range(n)])
        ks = array.array("i", [i - 500 for i in range(n)])
        out = run_kernel("{backend}", program,
                         {{"x": ("float32", xs.tobytes()), "k": ("int32", ks.tobytes())}},
                         {{"y": ("float32", None), "q": ("int32", None)}}, n, {{"a": 1.5}})
        y = array.array("f", out["y"])
        q = array.array("i", out["q"])
        def c_div(a, b): return int(a / b)
        want_q = [c_div(k, 3) + (k - c_div(k, 3) * 3) for k in ks]
        bad_y = sum(1 for x, v in zip(xs, y) if abs(v - (x * x + 1.5)) > 1e-3 * max(1, x * x))
        [bad_y, sum(1 for a, b in zip(q, want_q) if a != b), len(y), len(q)]
    """)
    assert result == [0, 0, 1000, 1000]


@pytest.mark.parametrize("backend", BACKENDS)
def test_prepared_launches_give_what_dispatch_gives(worker, backend):
    """A prepared launch with new scalars, new buffers, the same buffer twice (dispatch's
    copy), an output longer than the launch (WebGL: its old contents copied, not renewed;
    its tail kept) and a reduction by rows and by columns (its scratch; in one WebGL pass
    too) writes what `dispatch` writes."""
    result = worker(f"""
        dev = device("{backend}")
        target = TARGET["{backend}"]
        n = 4096
        axpy = kernelc.translate_elementwise("float32 x, float32 a", "float32 y",
            "y = a * x + y", name="axpy", target=target, scalars=("a",))
        xs = array.array("f", [i * 0.5 - 7 for i in range(n)])
        x, y, z = (dev.alloc(n, "float32") for _ in range(3))
        dev.write(x, 0, xs.tobytes())
        for buf in (y, z):
            dev.write(buf, 0, bytes(4 * n))
        p = dev.prepare(axpy, dense_values(axpy.abi, (n,), {{"a": 1.0}}))
        dev.launch(p, (x, y), (2.0,))
        dev.launch(p, (x, y), (-0.5,))
        dev.launch(p, (x, z), (3.0,))
        dev.launch(p, (y, y), (1.0,))  # y = 1 * y + y, one buffer bound twice
        longer = dev.alloc(n + 100, "float32")
        dev.write(longer, 0, array.array("f", [5.0] * (n + 100)).tobytes())
        dev.launch(p, (x, longer), (2.0,))
        got_y, got_z = array.array("f", dev.read(y, 0, n)), array.array("f", dev.read(z, 0, n))
        got_l = array.array("f", dev.read(longer, 0, n + 100))
        bad = sum(1 for v, w in zip(got_y, xs) if v != 3.0 * w)
        bad += sum(1 for v, w in zip(got_z, xs) if v != 3.0 * w)
        bad += sum(1 for v, w in zip(got_l, xs) if v != 2.0 * w + 5.0)
        bad += sum(1 for v in got_l[n:] if v != 5.0)
        dev.free(longer)
        total = kernelc.translate_reduction("float32 x", "float32 y", "x", "a + b", "y = a",
            "0", name="total", target=target, ndim=1, reduce_ndim=1)
        sums = []
        # two passes on WebGL by rows and by columns, then one (prepared there too)
        for rows, cols, by_columns in ((64, 64, False), (64, 64, True), (16, 64, False)):
            out = dev.alloc(cols, "float32")
            # by columns: x's rows are the reduced axis (stride cols), else its columns
            strides = (cols, 1) if by_columns else (1, rows)
            facts = {{("size", None): cols, ("shape", None): cols, ("reduce_size", None): rows,
                     ("reduce_shape", None): rows, ("size", "x"): n, ("size", "y"): cols,
                     ("shape", "y"): cols, ("stride", "y"): 1}}
            values = {{}}
            for m in total.abi.uniforms:
                what, param, axis = m.key
                if what == "offset":
                    values[m.key] = 0
                elif param == "x" and what in ("shape", "stride"):
                    values[m.key] = (rows, cols)[axis] if what == "shape" else strides[axis]
                elif (what, param) in facts:
                    values[m.key] = facts[(what, param)]
            r = dev.prepare(total, values)
            dev.launch(r, (x, out), ())
            got = array.array("f", dev.read(out, 0, cols))
            step = (cols, 1) if by_columns else (1, rows)
            want = [sum(xs[j * step[0] + i * step[1]] for j in range(rows)) for i in range(cols)]
            sums.append(sum(1 for a, b in zip(got, want) if abs(a - b) > 1e-3 * max(1, abs(b))))
            dev.free(out)
        for buf in (x, y, z):
            dev.free(buf)
        [bad, sums]
    """)
    assert result == [0, [0, 0, 0]]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_shader_library_is_compiled_from_its_c_in_the_worker(worker, backend):
    """kernelc/lib's .cu sources travel in the wheel and are lowered under Pyodide."""
    result = worker(f"""
        import math
        program = kernelc.translate_elementwise("float32 x", "float32 y",
                                                "y = erff(x) + expf(x);", name="erf_exp",
                                                target=TARGET["{backend}"])
        n = 500
        xs = array.array("f", [i * 0.02 - 5 for i in range(n)])
        out = run_kernel("{backend}", program, {{"x": ("float32", xs.tobytes())}},
                         {{"y": ("float32", None)}}, n, {{}})
        y = array.array("f", out["y"])
        want = [math.erf(x) + math.exp(x) for x in xs]
        ["kc_erf(" in program.code, sum(1 for v, w in zip(y, want) if abs(v - w) > 1e-6 * max(1, abs(w)))]
    """)
    assert result == [True, 0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_shader_the_browser_rejects_raises_with_the_kernel_name(worker, backend):
    message, seconds = worker(f"""
        good = kernelc.translate_elementwise("float32 x", "float32 y", "y = x", name="broken_one",
                                             target=TARGET["{backend}"])
        bad = dataclasses.replace(good, code=good.code.replace("main", "main(", 1))
        def go():
            run_kernel("{backend}", bad, {{"x": ("float32", bytes(16))}},
                       {{"y": ("float32", None)}}, 4)
        raises_within(go)
    """)
    assert message is not None and "broken_one" in message
    assert seconds < 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_read_of_a_freed_buffer_raises(worker, backend):
    local, remote = worker(f"""
        dev = device("{backend}")
        buf = dev.alloc(4, "float32")
        dev.free(buf)
        local = raises_within(lambda: dev.read(buf, 0, 4))
        # The same read sent to the main thread anyway: its executor refuses it too.
        remote = raises_within(lambda: dev._request(["read", buf, 0, 4]))
        [list(local), list(remote)]
    """)
    for message, seconds in (local, remote):
        assert message is not None and seconds < 2
    assert "buffer" in remote[0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_allocation_that_cannot_succeed_raises_and_the_device_goes_on(worker, backend):
    message, seconds, after = worker(f"""
        dev = device("{backend}")
        def go():
            dev.alloc(1 << 40, "float32")
            dev.synchronize()
        message, seconds = raises_within(go)
        buf = dev.alloc(3, "int32")
        dev.write(buf, 0, array.array("i", [7, -8, 9]).tobytes())
        after = list(array.array("i", dev.read(buf, 0, 3)))
        [message, seconds, after]
    """)
    assert message is not None and seconds < 2
    assert after == [7, -8, 9]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_100_mib_read_back_is_exact(worker, backend):
    same = worker(f"""
        dev = device("{backend}")
        n = 100 * 2**20 // 4
        data = bytes(range(251)) * (4 * n // 251) + bytes(4 * n % 251)
        buf = dev.alloc(n, "uint32")
        dev.write(buf, 0, data)
        got = dev.read(buf, 0, n)
        dev.free(buf)
        got == data
    """)
    assert same is True


def replay_in_worker(
    worker, url: str, backend: str, rtol: float, atol: float, tolerances: dict | None = None
) -> tuple[list[str], int]:
    """Replay the stream at `url` by Python in the worker, through BrowserDevice and the
    whole bridge: (the problems compare() found, the number of reads)."""
    return worker(f"""
        import gzip, json
        from pyodide.http import pyfetch
        from wgpy_runtime.device.replay import compare, replay
        response = await pyfetch({url!r})
        raw = await response.bytes()
        stream = json.loads(gzip.decompress(raw) if raw[:2] == b"\\x1f\\x8b" else raw)
        given = json.loads({json.dumps(tolerances or {})!r})
        tolerances = {{k: tuple(v) for k, v in given.items()}}
        reads = replay(stream, device({backend!r}))
        [compare(reads, {rtol}, {atol}, tolerances=tolerances, shown=4), len(reads)]
    """)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_corpus_replays_through_the_bridge(worker, corpus_stream, backend):
    stream, _ = corpus_stream(backend)
    path = ROOT / "build" / "streams" / f"bridge-corpus-{backend}.json.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(json.dumps(stream).encode(), compresslevel=1))
    tolerances = corpus_tolerances()
    problems, reads = replay_in_worker(
        worker, "/build/streams/" + path.name, backend, 1e-6, 0.0, tolerances
    )
    assert not problems, "\n".join(problems[:15])
    assert reads == sum(c[0] == "read" for c in stream["commands"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_chainer_training_step_replays_through_the_bridge(worker, chainer_stream, backend):
    url, stream = chainer_stream(backend)
    problems, reads = replay_in_worker(worker, url, backend, *CHAINER_TOLERANCE)
    assert not problems, "\n".join(problems[:15])
    assert reads == sum(c[0] == "read" for c in stream["commands"])


@pytest.fixture(scope="module")
def jspi_page(served_bridge_page):
    """bridge.html served without COOP/COEP: no SharedArrayBuffer, the JSPI transport."""
    page = served_bridge_page(isolated=False)
    return page, page.info


@pytest.mark.parametrize("backend", BACKENDS)
def test_without_cross_origin_isolation_the_bridge_waits_through_jspi(jspi_page, backend):
    page, info = jspi_page
    assert info["transport"] == "JSPI"
    assert page.evaluate("self.crossOriginIsolated") is False
    run = lambda code: page.evaluate("(code) => window.bridge.run(code)", textwrap.dedent(code))
    run(PRELUDE)
    result = run(f"""
        program = kernelc.translate_elementwise("int32 k", "int32 q", "q = k / 3;", name="div3",
                                                target=TARGET["{backend}"])
        ks = array.array("i", range(-600, 600))
        out = run_kernel("{backend}", program, {{"k": ("int32", ks.tobytes())}},
                         {{"q": ("int32", None)}}, len(ks))
        freed = device("{backend}").alloc(2, "int32")
        device("{backend}").free(freed)
        message, _ = raises_within(lambda: device("{backend}")._request(["read", freed, 0, 2]))
        [list(array.array("i", out["q"])) == [int(k / 3) for k in ks], message is not None]
    """)
    assert result == [True, True]


# Exact 64-bit storage and kernels through BrowserDevice (Python in the worker, no NumPy):
# bit patterns packed with struct, results computed with Python's own int and float.
EXACT64_PRELUDE = '''
import math, struct
MASK = 2**64 - 1
EDGES = [0, 1 << 63, 1, 0x000FFFFFFFFFFFFF, 0x800FFFFFFFFFFFFF, 0x7FF0000000000000,
         0x7FF8000000000001, 0x7FF0000000000001, MASK, (1 << 63) - 1, (1 << 32) - 1, 1 << 32,
         (1 << 32) + 1, 1 << 53, (1 << 53) + 1, 0x41F0000000000000, 0x4340000000000001]

def words(n, seed):
    """n 64-bit words: the edges, then a linear congruential sequence."""
    out, w = list(EDGES[:n]), seed
    while len(out) < n:
        w = (w * 6364136223846793005 + 1442695040888963407) & MASK
        out.append(w)
    return out

def pack(ws):
    return struct.pack(f"<{len(ws)}Q", *ws)

def as_floats(ws):
    return list(struct.unpack(f"<{len(ws)}d", pack(ws)))

def bits(xs):
    return list(struct.unpack(f"<{len(xs)}Q", struct.pack(f"<{len(xs)}d", *xs)))

def signed(w):
    return w - (1 << 64) if w >> 63 else w

def div(a, b):
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0 or a != a:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)

def same_float(a, b):
    return (a != a and b != b) or bits([a]) == bits([b])
'''


@pytest.fixture(scope="module")
def exact64_worker(worker):
    worker(EXACT64_PRELUDE)
    return worker


@pytest.mark.parametrize("backend", BACKENDS)
def test_64_bit_buffers_round_trip_every_bit_pattern(exact64_worker, backend):
    """Whole and partial writes, reads and copies at odd offsets across texture rows."""
    result = exact64_worker(f"""
        dev = device("{backend}")
        problems = []
        for dtype in ("float64", "int64", "uint64"):
            n = 2 * 4096 + 55
            host = words(n, 11)
            a, b = dev.alloc(n, dtype), dev.alloc(1000, dtype)
            dev.write(a, 0, pack(host))
            part = words(4100, 12)[::-1]
            dev.write(a, 4001, pack(part))
            host[4001:8101] = part
            dev.write(b, 0, pack(words(1000, 13)))
            dev.copy(a, b, 4090, 3, 997)
            dev.copy(b, a, 0, 1, 1000)
            other = words(1000, 13)
            other[3:] = host[4090:5087]
            host[1:1001] = other
            for start, count in ((0, n), (4095, 3), (n - 1, 1), (7, 4100)):
                if dev.read(a, start, count) != pack(host[start : start + count]):
                    problems.append(f"{{dtype}} read {{start}}+{{count}}")
            if dev.read(b, 0, 1000) != pack(other):
                problems.append(f"{{dtype}} copied")
            dev.free(a)
            dev.free(b)
        problems
    """)
    assert result == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_float64_kernel_is_ieee_bit_for_bit(exact64_worker, backend):
    result = exact64_worker(f"""
        program = kernelc.translate_elementwise(
            "float64 x, float64 y, float64 a", "float64 z",
            "z = x * y + x / y - sqrt(fabs(x)) + a", name="f64_mix",
            target=TARGET["{backend}"], scalars=("a",), exact64=True)
        n, a = 3000, -0.1
        xs = as_floats(words(n, 21))
        ys = as_floats(words(n, 22)[::-1])
        out = run_kernel("{backend}", program,
                         {{"x": ("float64", struct.pack(f"<{{n}}d", *xs)),
                           "y": ("float64", struct.pack(f"<{{n}}d", *ys))}},
                         {{"z": ("float64", None)}}, n, {{"a": a}})
        got = struct.unpack(f"<{{n}}d", out["z"])
        want = [x * y + div(x, y) - math.sqrt(abs(x)) + a if x == x and y == y else math.nan
                for x, y in zip(xs, ys)]
        bad = [k for k in range(n) if not same_float(got[k], want[k])]
        [len(bad), [(got[k], want[k]) for k in bad[:3]]]
    """)
    assert result == [0, []]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_int64_kernel_wraps_as_c_does(exact64_worker, backend):
    """Scalars past 2^53 travel as decimal strings and arrive exact."""
    result = exact64_worker(f"""
        program = kernelc.translate_elementwise(
            "int64 x, int64 y, int64 k", "int64 q",
            "q = x * k + (x ^ y) - (x >> 3);", name="i64_mix",
            target=TARGET["{backend}"], scalars=("k",), exact64=True)
        n, k = 3000, -(2**60) - 7
        xs = [signed(w) for w in words(n, 31)]
        ys = [signed(w) for w in words(n, 32)]
        out = run_kernel("{backend}", program,
                         {{"x": ("int64", struct.pack(f"<{{n}}q", *xs)),
                           "y": ("int64", struct.pack(f"<{{n}}q", *ys))}},
                         {{"q": ("int64", None)}}, n, {{"k": k}})
        got = struct.unpack(f"<{{n}}q", out["q"])
        want = [signed((x * k + (x ^ y) - (x >> 3)) & MASK) for x, y in zip(xs, ys)]
        bad = [j for j in range(n) if got[j] != want[j]]
        [len(bad), [(got[j], want[j]) for j in bad[:3]]]
    """)
    assert result == [0, []]


@pytest.mark.parametrize("backend", BACKENDS)
def test_exact64_kernels_compile_in_the_worker_as_they_do_here(exact64_worker, backend):
    """The float64 library's C sources travel with the package: the worker's translation of
    a kernel calling exp/log/fmod in double is the one made here, character for character."""
    import kernelc

    args = ("float64 x, float64 y", "float64 z", "z = exp(x) + log(y) * fmod(x, y)")
    target = {"webgpu": "wgsl", "webgl": "glsl"}[backend]
    here = kernelc.translate_elementwise(*args, name="lib64", target=target, exact64=True)
    there = exact64_worker(f"""
        kernelc.translate_elementwise(*{args!r}, name="lib64", target=TARGET["{backend}"],
                                      exact64=True).code
    """)
    assert there == here.code
