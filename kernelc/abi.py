"""The contract between a translated program and whoever launches it.

Rule: an executor (native, browser, runtime) learns everything from `Program.abi`, a
JSON-serialisable dict described in `docs/abi.md`; it never looks at the shader text or
the IR. The uniform block has the same byte layout on both targets (4-byte scalars,
packed in order: std140 and WGSL agree on that), so one encoder serves both.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from kernelc.errors import Warning_
from kernelc.ir import dtypes
from kernelc.ir.dtypes import DType
from kernelc.ir.nodes import Kernel, Param, ParamKind

ABI_VERSION = 1
WORKGROUP_SIZE = 256
MAX_WORKGROUPS_PER_DIMENSION = 65535

# How each storage dtype (`Param.dtype`; 64-bit ones are held in 32 bits under the fast
# policy) is held in a storage buffer element (WGSL: 8/16-bit ones packed into u32 words,
# see dtypes.PACKED_PER_WORD; 64-bit ones as two u32 words, low first) and a texture format
# (GLSL; 64-bit ones one RG32UI texel, r low and g high). docs/dtypes.md has the policy.
WGSL_STORAGE = {
    dtypes.bool_: "u32",
    dtypes.int32: "i32",
    dtypes.uint32: "u32",
    dtypes.float32: "f32",
    **{d: "u32" for d in dtypes.PACKED_PER_WORD},
    **{d: "u32" for d in dtypes.WIDE},
    dtypes.words64: "vec2<u32>",  # a 64-bit reduction's partials (scratch)
}
GLSL_FORMAT = {
    dtypes.bool_: "r32ui",
    dtypes.int32: "r32i",
    dtypes.uint32: "r32ui",
    dtypes.float32: "r32f",
    dtypes.int8: "r8i",
    dtypes.uint8: "r8ui",
    dtypes.int16: "r16i",
    dtypes.uint16: "r16ui",
    dtypes.float16: "r16f",
    dtypes.int64: "rg32ui",
    dtypes.uint64: "rg32ui",
    dtypes.float64: "rg32ui",
    dtypes.words64: "rg32ui",
}
# Uniform member types, by computation type (a uint8 scalar is an int, float16 a float).
UNIFORM_TYPE = {
    dtypes.bool_: "u32",
    dtypes.int32: "i32",
    dtypes.uint32: "u32",
    dtypes.float32: "f32",
}


# A 64-bit scalar is two u32 members, its low and high word: their JSON "type" says how the
# executor encodes the value (f64lo/f64hi: the float64's bits, i64lo/i64hi: the integer's
# two's complement bits, whether int64 or uint64).
WORD_TYPES = ("f64lo", "f64hi", "i64lo", "i64hi")


@dataclass(frozen=True, slots=True)
class UniformField:
    """One 4-byte member of the uniform block; `value` says what the executor puts there,
    `encoding` (one of WORD_TYPES) which word of a 64-bit scalar it holds."""

    name: str
    dtype: DType
    value: dict
    encoding: str | None = None

    def to_json(self, offset: int) -> dict:
        return {
            "name": self.name,
            "offset": offset,
            "type": self.encoding or UNIFORM_TYPE[self.dtype],
            "value": self.value,
        }


def loop_field(what: str, axis: int = 0) -> str:
    """Uniform member for a loop fact: 'size' -> k_n, 'base' -> k_base, 'shape' -> k_shape{axis}."""
    return {"size": "k_n", "base": "k_base"}.get(what) or f"k_{what}{axis}"


def array_field(param: str, what: str, axis: int = 0) -> str:
    """Uniform member for an array fact: a_{param}_{offset|size|shape{d}|stride{d}}."""
    suffix = what if what in ("offset", "size") else f"{what}{axis}"
    return f"a_{param}_{suffix}"


def scalar_field(param: str, word: int | None = None) -> str:
    """Uniform member of a scalar: s_{param}; of a 64-bit scalar's words s_{param}_w{word}."""
    return f"s_{param}" if word is None else f"s_{param}_w{word}"


def uniform_fields(kernel: Kernel, target: str, ranged: bool = True) -> list[UniformField]:
    """The uniform block's members, in order (identical for WGSL and GLSL except GLSL's
    render-target width, WGSL's first element of a launch, and GLSL outputs being dense so
    they need no offset/strides). `ranged`: a WGSL elementwise launch may cover a part of
    the loop (matmul launches are tiles, not elements: they run whole)."""
    fields = [UniformField(loop_field("size"), dtypes.int32, {"what": "size"})]
    if ranged and target == "wgsl" and kernel.reduction is None:
        fields.append(UniformField(loop_field("base"), dtypes.int32, {"what": "base"}))
    fields += [
        UniformField(loop_field("shape", d), dtypes.int32, {"what": "shape", "axis": d})
        for d in range(kernel.ndim)
    ]
    if kernel.reduction is not None:
        fields.append(UniformField("k_red_n", dtypes.int32, {"what": "reduce_size"}))
        fields += [
            UniformField(f"k_red_shape{d}", dtypes.int32, {"what": "reduce_shape", "axis": d})
            for d in range(kernel.reduction.ndim)
        ]
    if target == "glsl":
        fields.append(UniformField("k_out_width", dtypes.int32, {"what": "out_width"}))
    for p in kernel.params:
        fields += _param_fields(p, target)
    return fields


def _param_fields(p: Param, target: str) -> list[UniformField]:
    def f(what: str, axis: int = 0) -> UniformField:
        value = {"what": what, "param": p.name}
        if what in ("shape", "stride"):
            value["axis"] = axis
        return UniformField(array_field(p.name, what, axis), dtypes.int32, value)

    if p.kind is ParamKind.SCALAR:
        value = {"what": "value", "param": p.name}
        if p.dtype in dtypes.WIDE:
            kind = "f64" if p.dtype.is_float else "i64"
            return [
                UniformField(scalar_field(p.name, w), dtypes.uint32, value, kind + half)
                for w, half in enumerate(("lo", "hi"))
            ]
        return [UniformField(scalar_field(p.name), p.value_dtype, value)]
    if p.kind is ParamKind.ARRAY:
        if target == "glsl" and p.is_output:
            return []  # dense render target; its old contents come dense too
        return [f("offset")] + [f("stride", d) for d in range(p.ndim)]
    return (
        [f("offset"), f("size")]
        + [f("shape", d) for d in range(p.ndim)]
        + [f("stride", d) for d in range(p.ndim)]
    )


def uniform_layout(fields: list[UniformField]) -> tuple[list[dict], int]:
    """JSON members with byte offsets, and the block size (a multiple of 16 bytes)."""
    members = [fd.to_json(4 * k) for k, fd in enumerate(fields)]
    return members, max(16, -(-4 * len(fields) // 16) * 16)


def params_json(kernel: Kernel) -> list[dict]:
    out = []
    for p in kernel.params:
        d = {
            "name": p.name,
            "role": "out" if p.is_output else "in",
            "kind": p.kind.value,
            "dtype": p.c_dtype.name,
            "storage_dtype": p.dtype.name,
        }
        if p.kind is not ParamKind.SCALAR:
            d["ndim"] = p.ndim
        if p.kind is ParamKind.RAW:
            d["contiguous"] = p.contiguous
        if p.is_output:
            d["reads_old"] = p.reads_old
        out.append(d)
    return out


@dataclass
class Program:
    """A translated kernel: shader text, its ABI, and the warnings of the translation."""

    name: str
    target: str
    code: str
    abi: dict
    warnings: list[Warning_] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "target": self.target,
            "code": self.code,
            "abi": self.abi,
            "warnings": [w.to_json() for w in self.warnings],
            "error": None,
        }


# ---------------------------------------------------------------------------- executor side


def packed_layout(dtype: DType) -> dict | None:
    """WGSL: how a packed dtype lies in its u32 words (None: one element per word)."""
    per_word = dtypes.PACKED_PER_WORD.get(dtype)
    return None if per_word is None else {"dtype": dtype.name, "per_word": per_word}


def wgsl_dispatch(n: int, workgroup_size: int = WORKGROUP_SIZE) -> tuple[int, int, int]:
    """Workgroup counts covering `n` invocations, spilling into y past 65535 groups."""
    groups = max(1, -(-n // workgroup_size))
    x = min(groups, MAX_WORKGROUPS_PER_DIMENSION)
    return x, -(-groups // x), 1


def glsl_grid(n: int, max_width: int = 4096) -> tuple[int, int]:
    """Render-target size for `n` outputs: row-major, `width` texels a row."""
    width = max(1, min(n, max_width))
    return width, max(1, -(-n // width))


def glsl_output_groups(program: Program) -> list[dict]:
    """The draws of a GLSL elementwise program, each `{"code", "textures", "outputs"}`:
    `abi["launch"]["output_groups"]` when its outputs are split over several shaders
    (docs/abi.md, "Output groups"), else the one shader `code` itself."""
    groups = program.abi["launch"].get("output_groups")
    if groups is not None:
        return groups
    abi = program.abi
    return [{"code": program.code, "textures": abi["textures"], "outputs": abi["outputs"]}]


def encode_uniforms(abi: dict, values: dict) -> bytes:
    """Pack the uniform block. `values` maps a member's `value` description, written as a
    key tuple (what, param, axis) with absent parts None, to its number."""
    out = bytearray(abi["uniform_size"])
    for key, offset, kind, name in uniform_members(abi):
        x = uniform_number(kind, name, values[key] if key in values else OPTIONAL_VALUES[key])
        struct.pack_into(_UNIFORM_FORMAT[kind], out, offset, x)
    return bytes(out)


# Values an executor may leave out of a dispatch's values: the first element of a launch
# is 0 unless the executor splits the loop into several launches (docs/abi.md).
OPTIONAL_VALUES = {("base", None, None): 0}
_UNIFORM_FORMAT = {"i32": "<i", "u32": "<I", "f32": "<f", **{t: "<I" for t in WORD_TYPES}}
_MEMBERS: dict[int, tuple[dict, list]] = {}


def uniform_number(kind: str, name: str, x):
    """`x` as the uniform member `name` of type `kind` holds it: f32 a float, u32 wrapped
    to 32 bits, i32 an int that must fit (OverflowError otherwise)."""
    if kind == "f32":
        return float(x)
    if kind in WORD_TYPES:
        bits = struct.unpack("<Q", struct.pack("<d", float(x)))[0] if kind[0] == "f" else int(x)
        return (bits >> 32 if kind.endswith("hi") else bits) & 0xFFFFFFFF
    if kind == "u32":
        return int(x) & 0xFFFFFFFF
    x = int(x)
    if not -(2**31) <= x < 2**31:
        raise OverflowError(f"uniform {name} = {x} does not fit in int32")
    return x


def uniform_members(abi: dict) -> list[tuple[tuple, int, str, str]]:
    """(values key, byte offset, type, name) of each uniform member, in order; computed
    once per ABI dict (looked up by identity; the entry keeps the dict alive)."""
    seen = _MEMBERS.get(id(abi))
    if seen is not None and seen[0] is abi:
        return seen[1]
    members = []
    for m in abi["uniforms"]:
        v = m["value"]
        members.append(
            ((v["what"], v.get("param"), v.get("axis")), m["offset"], m["type"], m["name"])
        )
    if len(_MEMBERS) > 4096:
        _MEMBERS.clear()
    _MEMBERS[id(abi)] = (abi, members)
    return members
