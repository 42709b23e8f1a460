"""The kernel playground's Python side (js_bridge/playground/): translate a pasted `.cu`
kernel for both targets, and run it over an image on a device — all without NumPy, so it
loads in a bare Pyodide.

Rule: results are JSON-ready dicts, and a mistake in the pasted text or a device failure
comes back inside them as an `error` (kernel, line and column in the pasted text, the
caret), never as an exception. Inputs follow one convention (docs/playground.md): the
loop shape is the image, (height, width); the first two floating-point input arrays hold
each pixel's x and y over the view rectangle, other arrays zeros, unless the caller
chooses a fill per input (x, y, index, random, zeros, constant:<number>); scalars come
from the caller, else from a `// defaults:` line, else 100 (integers) or 1.0. A size
that cannot run is refused before anything is allocated, and a run's device failures are
collected before it returns, so the next run never reports them.
"""

from __future__ import annotations

import array
import base64
import random
import re
import struct
import time

from kernelc import (
    TARGETS,
    InternalCompilerError,
    KernelCompileError,
    SourceText,
    Span,
    for_backend,
    render,
    translate_elementwise,
)
from kernelc.abi import Contract, Param, Program
from kernelc.scan import KernelDef, read_cu

from .device import adapter_name, get_device
from .device.dense import dense_values
from .device.protocol import ITEMSIZE

FLOATS = {"float16": "e", "float32": "f"}  # storage dtypes the coordinates are packed in
# array typecodes of the other storage dtypes (bool travels as 0/1 bytes)
_ARRAY_CODES = {
    "bool": "B",
    "int8": "b",
    "uint8": "B",
    "int16": "h",
    "uint16": "H",
    "int32": "i",
    "uint32": "I",
    "float32": "f",
}
FILLS = ("x", "y", "index", "random", "zeros", "constant")  # what an input can be filled with
# The most pixels a run may have: every parameter is a buffer of that many elements, sent
# and read back through Pyodide's memory (8192 x 8192 made the renderer run out of memory).
MAX_PIXELS = 4096 * 4096
RANDOM_INT_RANGE = 100  # random integer inputs are uniform in [0, 100)
DEFAULT_VIEW = (-2.0, 1.0, -1.5, 1.5)  # x0, x1, y0, y1: the Mandelbrot set
PATH = "kernel.cu"
_DEFAULTS = re.compile(r"^\s*//\s*defaults\s*:(.*)$", re.MULTILINE)
_PROGRAMS: dict[tuple, Program] = {}  # one Program per kernel, so devices reuse pipelines


# --------------------------------------------------------------------------- translate


def translate(text: str, types: str = "") -> dict:
    """Both targets' code, ABI summary, warnings and compile time (or error) for the
    pasted kernel, plus its parameters and scalar defaults for the page's form."""
    try:
        kdef = read_cu(PATH, text)
        options = kernel_options(kdef, types)
    except KernelCompileError as e:
        return {"name": None, "error": format_error(e, text), "targets": {}}
    except ValueError as e:
        return {"name": None, "error": _plain_error("ValueError", str(e)), "targets": {}}
    result = {"name": kdef.name, "error": None, "types": options["types"], "targets": {}}
    for target in TARGETS:
        start = time.perf_counter()
        try:
            program = _translate(kdef, target, options, cache=False)
        except KernelCompileError as e:
            result["targets"][target] = {"error": format_error(e, text, target), "code": None}
            continue
        except InternalCompilerError as e:
            result["targets"][target] = {
                "error": _plain_error("InternalCompilerError", str(e), target),
                "code": None,
            }
            continue
        ms = 1e3 * (time.perf_counter() - start)
        result["targets"][target] = {
            "code": program.code,
            "abi": abi_summary(program.abi),
            "compile_ms": ms,
            "error": None,
            "warnings": [format_warning(w, text) for w in program.warnings],
        }
        result.setdefault("params", params_of(program.abi))
        result.setdefault("fills", input_plan(program.abi))  # what the inputs get by default
    result["scalars"] = scalar_fields(text, result.get("params", []))
    return result


def kernel_options(kdef: KernelDef, types: str) -> dict:
    """translate_elementwise's options for the playground's call: placeholders bound from
    `types` ("T=float32, U=int32"), the rest float32; ndim 2 (the image) unless no
    parameter is a non-raw array (then the loop is the image's pixels in a row)."""
    bound = parse_types(types)
    params = _declared(kdef.in_params) + _declared(kdef.out_params)
    for words in params:
        if len(words) >= 2 and len(words[-2]) == 1:  # `kernelc translate`'s rule
            bound.setdefault(words[-2], "float32")
    raw = [w[-1] for w in params if "raw" in w[:-1]]
    dense = [w[-1] for w in params if "raw" not in w[:-1] and w[-1] not in kdef.scalars]
    return {"types": bound, "ndim": 2 if dense else 1, "raw": {n: (1, True) for n in raw}}


def parse_types(text: str) -> dict[str, str]:
    out = {}
    for item in filter(str.strip, (text or "").replace(";", ",").split(",")):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"bad types item {item.strip()!r}: expected T=dtype")
        out[key.strip()] = value.strip()
    return out


def _declared(params: str) -> list[list[str]]:
    return [item.split() for item in params.split(",") if item.split()]


def _key(kdef: KernelDef, target: str, options: dict) -> tuple:
    return (
        kdef.name,
        kdef.in_params,
        kdef.out_params,
        kdef.preamble,
        kdef.loop_prep,
        kdef.operation,
        kdef.after_loop,
        tuple(sorted(kdef.line_bases.items())),
        kdef.scalars,
        target,
        tuple(sorted(options["types"].items())),
        options["ndim"],
    )


def _translate(kdef: KernelDef, target: str, options: dict, cache: bool = True) -> Program:
    key = _key(kdef, target, options)
    if cache and key in _PROGRAMS:
        return _PROGRAMS[key]
    program = translate_elementwise(
        **kdef.translate_args(),
        target=target,
        types=options["types"],
        ndim=options["ndim"],
        raw=options["raw"],
    )
    if cache:  # only what runs is kept: a kept program is one the device has built
        if len(_PROGRAMS) >= 64:
            _PROGRAMS.clear()
        _PROGRAMS[key] = program
    return program


def params_of(abi: Contract) -> list[dict]:
    return [
        {
            "name": p.name,
            "role": p.role,
            "kind": p.kind,
            "dtype": p.dtype,
            "storage_dtype": p.storage_dtype,
        }
        for p in abi.params
    ]


def abi_summary(abi: Contract) -> list[str]:
    """A few lines saying how the program is launched and bound (docs/abi.md)."""
    launch = abi.launch
    lines = [
        f"{p.role:3} {p.kind:6} {p.dtype:8} {p.name}"
        + (f"  (held as {p.storage_dtype})" if p.storage_dtype != p.dtype else "")
        for p in abi.params
    ]
    lines.append(f"uniforms: {len(abi.uniforms)} members, {abi.uniform_size} bytes")
    if launch.kind == "compute":
        size = "×".join(map(str, launch.workgroup_size))
        lines.append(f"launch: compute, workgroup {size}, {len(abi.bindings)} bindings")
    else:
        groups = len(getattr(launch, "output_groups", None) or [None])
        lines.append(
            f"launch: fragment, {len(abi.textures)} textures, "
            f"{len(abi.outputs)} render targets, {groups} draw(s)"
        )
    return lines


def scalar_fields(text: str, params: list[dict]) -> list[dict]:
    """The scalar parameters with the value the form starts from."""
    given = scalar_defaults(text)
    fields = []
    for p in params:
        if p["kind"] == "scalar":
            default = given.get(p["name"], 100 if _is_int(p["dtype"]) else 1.0)
            fields.append({"name": p["name"], "dtype": p["dtype"], "default": default})
    return fields


def scalar_defaults(text: str) -> dict[str, float | int]:
    """`// defaults: max_iter = 200, scale = 0.5` lines (kernelc ignores them: comments)."""
    out: dict[str, float | int] = {}
    for line in _DEFAULTS.findall(text):
        for item in filter(str.strip, line.split(",")):
            name, _, value = item.partition("=")
            try:
                out[name.strip()] = _number(value.strip())
            except ValueError:
                continue
    return out


def _number(text: str) -> float | int:
    try:
        return int(text)
    except ValueError:
        return float(text.rstrip("fF"))


def _is_int(dtype: str) -> bool:
    return dtype.startswith(("int", "uint"))


# ------------------------------------------------------------------------------ errors


def format_error(e: KernelCompileError, text: str, target: str | None = None) -> dict:
    """The error with its line and column in the pasted text (the compiler counts columns
    in a header's value, e.g. in_params, which starts after `// in_params: `)."""
    kernel = e.kernel if e.kernel and e.kernel != PATH else "kernel"
    line, column, rendered = _locate(e.span, text, kernel, "error", e.message, e.notes)
    return {
        "kind": type(e).__name__,
        "kernel": kernel,
        "target": target,
        "message": e.message,
        "line": line,
        "column": column,
        "text": rendered,
    }


def format_warning(w, text: str) -> dict:
    line, column, rendered = _locate(w.span, text, w.kernel, "warning", w.message, ())
    return {"message": w.message, "line": line, "column": column, "text": rendered}


def _plain_error(kind: str, message: str, target: str | None = None) -> dict:
    return {
        "kind": kind,
        "kernel": None,
        "target": target,
        "message": message,
        "line": None,
        "column": None,
        "text": message,
    }


def _locate(span: Span | None, text: str, kernel: str, severity: str, message: str, notes):
    if span is None:
        return None, None, render(kernel, None, severity, message, notes)
    line, col = span.line_col
    lines = text.splitlines()
    if not 1 <= line <= len(lines):  # a position outside the text: keep the compiler's
        return line, col, render(kernel, span, severity, message, notes)
    section_line = span.source.line_text(span.start)
    shift = lines[line - 1].find(section_line) if section_line.strip() else -1
    col += max(shift, 0)
    start = sum(len(x) + 1 for x in lines[: line - 1]) + col - 1
    width = max(1, span.end - span.start)
    section = "" if span.source.section == PATH else span.source.section  # a header error
    whole = SourceText(section, text.replace("\r\n", "\n"), 1)
    return line, col, render(kernel, Span(whole, start, start + width), severity, message, notes)


# -------------------------------------------------------------------------------- run


def run(
    text: str,
    backend: str = "webgpu",
    width: int = 512,
    height: int = 512,
    view=DEFAULT_VIEW,
    scalars: dict | None = None,
    types: str = "",
    fills: dict | None = None,
) -> dict:
    """Translate for `backend`'s target, run over a height × width image and read the first
    output back: {"output": {name, dtype, shape, data (base64 of the storage bytes)},
    "inputs" (what each parameter got), "timings" (ms), "adapter", "error"}. `fills` maps
    an input's name to what it holds (FILLS; "constant:2.5"), else the convention's."""
    try:
        target = for_backend(backend).name
    except ValueError:
        return {"error": _plain_error("ValueError", f"unknown backend {backend!r}")}
    if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
        return {"error": _plain_error("ValueError", "width and height must be positive integers")}
    if width * height > MAX_PIXELS:
        message = (
            f"{width} × {height} = {width * height:,} pixels is more than the "
            f"playground runs (at most {MAX_PIXELS:,}, such as 4096 × 4096): nothing "
            "was allocated"
        )
        return {"error": _plain_error("ValueError", message)}
    start = time.perf_counter()
    try:
        kdef = read_cu(PATH, text)
        options = kernel_options(kdef, types)
        # a program the device has not seen: its dispatch includes building the pipeline
        first = _key(kdef, target, options) not in _PROGRAMS
        program = _translate(kdef, target, options)
    except KernelCompileError as e:
        return {"error": format_error(e, text, target)}
    except (ValueError, InternalCompilerError) as e:
        return {"error": _plain_error(type(e).__name__, str(e), target)}
    compile_ms = 1e3 * (time.perf_counter() - start)
    try:
        device = get_device(backend)  # the process's one device of this backend
        check_size(device, backend, width * height)
        values = _scalars(program.abi, text, scalars or {})
        view = tuple(map(float, view))
        result = execute(device, program, width, height, view, values, options["ndim"], fills)
    except KeyboardInterrupt as e:  # the page's cancel
        return {"error": _plain_error("Cancelled", f"cancelled: {e or 'interrupted'}", target)}
    except (ValueError, OverflowError) as e:
        return {"error": _plain_error(type(e).__name__, _message(e), target)}
    except Exception as e:  # noqa: BLE001  (DeviceError, MemoryError, the bridge's own failure)
        return {"error": _plain_error(type(e).__name__, f"{backend}: {_message(e)}", target)}
    result["timings"].update(compile_ms=compile_ms, first_dispatch=first)
    result.update(backend=backend, target=target, adapter=adapter_name(device), error=None)
    return result


def _message(e: BaseException) -> str:
    """The exception's text, or its type when it has none (MemoryError())."""
    return str(e) or type(e).__name__


def max_elements(device) -> int | None:
    """The most elements one buffer of `device` may hold, where it says."""
    limits = getattr(device, "limits", None) or {}
    hello = limits.get("limits") if isinstance(limits.get("limits"), dict) else {}
    if hello.get("maxBufferElements"):  # the browser's WebGL2 executor
        return int(hello["maxBufferElements"])
    if hello.get("maxStorageBufferBindingSize"):  # the browser's WebGPU executor
        return int(hello["maxStorageBufferBindingSize"]) // 4
    if limits.get("max-storage-buffer-binding-size"):  # native WebGPU
        return int(limits["max-storage-buffer-binding-size"]) // 4
    side = getattr(device, "max_texture_size", None)  # native GLES
    return side * side if side else None


def check_size(device, backend: str, n: int) -> None:
    """Refuse, before anything is allocated, an image whose buffers the device cannot hold."""
    limit = max_elements(device)
    if limit is not None and n > limit:
        raise ValueError(
            f"{n:,} pixels do not fit one {backend} buffer here (at most {limit:,} "
            "elements): nothing was allocated"
        )


def _scalars(abi: Contract, text: str, given: dict) -> dict:
    defaults = {f["name"]: f["default"] for f in scalar_fields(text, params_of(abi))}
    out = {}
    for p in abi.params:
        if p.kind == "scalar":
            value = given.get(p.name, defaults[p.name])
            out[p.name] = _convert(p.dtype, value, p.name)
    return out


def _convert(dtype: str, value, name: str):
    try:
        if dtype == "bool":
            return str(value).strip().lower() not in ("0", "false", "", "0.0")
        number = _number(str(value).strip()) if isinstance(value, str) else value
        return int(number) if _is_int(dtype) else float(number)
    except (TypeError, ValueError):
        raise ValueError(f"scalar {name!r} ({dtype}): {value!r} is not a number") from None


def execute(
    device,
    program: Program,
    width: int,
    height: int,
    view: tuple,
    scalars: dict,
    ndim: int = 2,
    fills: dict | None = None,
) -> dict:
    """Upload the convention's inputs, dispatch, read the first output back; timings are
    each step up to the GPU's completion (upload and dispatch end with a synchronize).
    When something fails, the device's pending failures are collected before returning:
    they belong to this run."""
    abi, n = program.abi, width * height
    plan = input_plan(abi, fills)
    shape = (height, width) if ndim == 2 else (n,)
    t0 = time.perf_counter()
    ids = {}
    failed = True
    try:
        for p in abi.params:
            if p.kind != "scalar":
                ids[p.name] = device.alloc(n, p.storage_dtype)
                data = _contents(plan[p.name], p, width, height, view)
                if data is not None:
                    device.write(ids[p.name], 0, data)
        device.synchronize()
        t1 = time.perf_counter()
        raw_shapes = {p.name: (n,) for p in abi.params if p.kind == "raw"}
        device.dispatch(program, ids, dense_values(abi, shape, scalars, raw_shapes))
        device.synchronize()
        t2 = time.perf_counter()
        out = next(p for p in abi.params if p.role == "out")
        data = device.read(ids[out.name], 0, n)
        t3 = time.perf_counter()
        failed = False
    finally:
        for buf in ids.values():
            device.free(buf)
        if failed:
            _settle(device)
    timings = {
        "upload_ms": 1e3 * (t1 - t0),
        "dispatch_ms": 1e3 * (t2 - t1),
        "read_ms": 1e3 * (t3 - t2),
        "run_ms": 1e3 * (t3 - t0),
    }
    output = {
        "name": out.name,
        "dtype": out.storage_dtype,
        "shape": [height, width],
        "data": base64.b64encode(data).decode("ascii"),
    }
    return {"output": output, "inputs": plan, "timings": timings}


def _settle(device) -> None:
    """Wait for the device after a failed run, dropping the failures it reports (the run
    already failed with its own), so that the next run does not report them."""
    try:
        device.synchronize()
    except Exception:  # noqa: BLE001, S110  (this run's, already reported by its own error)
        pass


def input_plan(abi: Contract, fills: dict | None = None) -> dict[str, str]:
    """What each parameter gets: "x", "y" (by default the first two floating-point input
    arrays), "zeros" (by default other input arrays; outputs that are read before written),
    "index", "random", "constant:<number>" (inputs, as `fills` asks), "scalar", or
    "nothing" (outputs the kernel only writes)."""
    fills = fills or {}
    plan, coords = {}, ["x", "y"]
    for p in abi.params:
        name = p.name
        if p.kind == "scalar":
            plan[name] = "scalar"
        elif p.role == "in":
            default = coords.pop(0) if p.storage_dtype in FLOATS and coords else "zeros"
            plan[name] = check_fill(name, fills.get(name) or default)
        elif p.reads_old:
            plan[name] = "zeros"
        else:
            plan[name] = "nothing"
    unknown = set(fills) - {p.name for p in abi.params if p.role == "in"}
    if unknown:
        raise ValueError(f"fills name no input array of the kernel: {', '.join(sorted(unknown))}")
    return plan


def check_fill(name: str, fill: str) -> str:
    kind, _, value = str(fill).partition(":")
    if kind not in FILLS or (kind == "constant") != bool(value.strip()):
        raise ValueError(
            f"input {name!r}: fill {fill!r} is not one of x, y, index, random, zeros, "
            "constant:<number>"
        )
    if kind == "constant":
        _convert("float32", value, name)  # a number
    return fill


def _contents(what: str, p: Param, width: int, height: int, view: tuple) -> bytes | None:
    dtype, n = p.storage_dtype, width * height
    kind, _, value = what.partition(":")
    if kind == "nothing":
        return None
    if kind == "zeros":
        return bytes(n * ITEMSIZE[dtype])
    if kind in ("x", "y"):
        if dtype not in FLOATS:
            raise ValueError(f"input {p.name!r} ({dtype}) cannot hold {kind} coordinates")
        return coordinates(kind, dtype, width, height, view)
    if kind == "constant":
        return _pack(dtype, [_convert(p.dtype, value, p.name)]) * n
    if kind == "index":
        return _pack(dtype, range(n))
    rng = random.Random(p.name)  # the same numbers each run
    if dtype in FLOATS:
        return _pack(dtype, [rng.random() for _ in range(n)])
    top = 2 if dtype == "bool" else RANDOM_INT_RANGE
    return _pack(dtype, [rng.randrange(top) for _ in range(n)])


def _pack(dtype: str, values) -> bytes:
    """Numbers as `dtype`'s storage bytes: integers wrapped into the dtype's range (an index
    past it starts again), bool as 0/1 (odd numbers true)."""
    if dtype == "float16":
        return struct.pack(f"<{len(values)}e", *map(float, values))
    code = _ARRAY_CODES[dtype]
    if dtype == "bool":
        return array.array(code, (int(v) & 1 for v in values)).tobytes()
    if code == "f":
        return array.array(code, map(float, values)).tobytes()
    bits = 8 * ITEMSIZE[dtype]
    low = -(1 << (bits - 1)) if code.islower() else 0  # signed typecodes are lower case

    def wrap(v) -> int:
        return (int(v) - low) % (1 << bits) + low

    if isinstance(values, range) and values.stop <= (1 << (bits - 1)):
        return array.array(code, values).tobytes()  # nothing to wrap: fast
    return array.array(code, map(wrap, values)).tobytes()


def coordinates(axis: str, dtype: str, width: int, height: int, view: tuple) -> bytes:
    """Pixel centres, C order over (height, width): x grows along a row from x0 to x1,
    y falls down the rows from y1 to y0 (row 0 is the top of the image)."""
    x0, x1, y0, y1 = view
    code = FLOATS[dtype]
    if axis == "x":
        dx = (x1 - x0) / width
        row = struct.pack(f"<{width}{code}", *(x0 + (j + 0.5) * dx for j in range(width)))
        return row * height
    dy = (y1 - y0) / height
    return b"".join(struct.pack(f"<{code}", y1 - (i + 0.5) * dy) * width for i in range(height))
