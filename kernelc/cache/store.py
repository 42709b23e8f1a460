"""Precompiled programs, found by a key computed from the kernel's strings.

    cache = Cache.load("kernels_chainer/chainer-7.8.1.json.gz")
    program = cache.get("elementwise", {"in_params": "T y, T gy", ...}, target="wgsl",
                        types={"T": "float32"})      # a Program, or None on a miss

The key is a hash of (cache format, ABI version, kind, every kernel string, the type
bindings, the specialisation — ndim, scalar inputs, raw arrays' (ndim, contiguous) — the
target and the 64-bit policy); `cache_key` documents the exact form. Files are written by
`kernelc.cache.build` (`kernelc cache build`).

Rule: a lookup computes the key and reads a dict; it never parses or translates. A miss
returns None and the caller translates. Only successful translations are entries;
failures are kept beside them for reports, never returned.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from dataclasses import dataclass

from kernelc.abi import ABI_VERSION, Contract, Program

CACHE_FORMAT = 2  # 2: the 64-bit policy is part of the key
# The strings that make a kernel, in key order, with the defaults CuPy gives them.
KEY_FIELDS = {
    "elementwise": (
        ("in_params", ""),
        ("out_params", ""),
        ("operation", ""),
        ("name", "kernel"),
        ("preamble", ""),
        ("loop_prep", ""),
        ("after_loop", ""),
    ),
    "reduction": (
        ("in_params", ""),
        ("out_params", ""),
        ("map_expr", ""),
        ("reduce_expr", ""),
        ("post_map_expr", ""),
        ("identity", None),
        ("name", "reduce_kernel"),
        ("reduce_type", None),
        ("preamble", ""),
    ),
}
DEFAULT_PATH_ENV = "KERNELC_CACHE"


def cache_key(
    kind: str,
    args: dict,
    *,
    target: str,
    types: dict | None = None,
    ndim: int = 1,
    scalars=(),
    raw: dict | None = None,
    reduce_ndim: int = 1,
    exact64: bool = False,
) -> str:
    """A stable hex key: sha256 over the canonical JSON of
    [format, ABI version, kind, [strings...], sorted types, ndim, sorted scalars,
    sorted raw (name, ndim, contiguous), target, policy], with reduce_ndim after ndim for
    reductions (whose ndim counts output axes, as in `translate_reduction`); policy is
    "exact" or "fast" (the 64-bit policy the program was translated under)."""
    strings = [args.get(k, default) for k, default in KEY_FIELDS[kind]]
    raw_items = sorted((k, int(v[0]), bool(v[1])) for k, v in (raw or {}).items())
    shape = [ndim, reduce_ndim] if kind == "reduction" else ndim
    canon = [
        CACHE_FORMAT,
        ABI_VERSION,
        kind,
        strings,
        sorted((types or {}).items()),
        shape,
        sorted(scalars),
        raw_items,
        target,
        policy_name(exact64),
    ]
    text = json.dumps(canon, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def policy_name(exact64: bool) -> str:
    return "exact" if exact64 else "fast"


def kernel_id(kind: str, args: dict) -> str:
    """16 hex digits naming a kernel by its strings alone (no binding, target or ABI
    version): how a recorded specialisation finds the scanned kernel it belongs to."""
    strings = [args.get(k, default) for k, default in KEY_FIELDS[kind]]
    text = json.dumps([kind, strings], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class StoredWarning:
    """A translation warning as the cache keeps it (its rendered text, no live span)."""

    message: str
    line: int | None
    column: int | None
    text: str

    def __str__(self) -> str:
        return self.text

    def to_json(self) -> dict:
        return {
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "text": self.text,
        }


class Cache:
    """Programs by key. `entries[key]` = {'name', 'target', 'code', 'abi', 'warnings'}."""

    def __init__(
        self, entries: dict | None = None, failures: dict | None = None, meta: dict | None = None
    ):
        self.entries: dict[str, dict] = entries if entries is not None else {}
        self.failures: dict[str, dict] = failures if failures is not None else {}
        self.meta: dict = meta or {}

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def lookup(self, key: str) -> Program | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        warnings = [StoredWarning(**w) for w in entry["warnings"]] if entry["warnings"] else []
        abi = Contract.from_json(entry["abi"])
        return Program(entry["name"], entry["target"], entry["code"], abi, warnings)

    def get(
        self,
        kind: str,
        args: dict,
        *,
        target: str,
        types: dict | None = None,
        ndim: int = 1,
        scalars=(),
        raw: dict | None = None,
        reduce_ndim: int = 1,
        exact64: bool = False,
    ) -> Program | None:
        """The cached program for this kernel and call, or None (then translate)."""
        key = cache_key(
            kind,
            args,
            target=target,
            types=types,
            ndim=ndim,
            scalars=scalars,
            raw=raw,
            reduce_ndim=reduce_ndim,
            exact64=exact64,
        )
        return self.lookup(key)

    def update(self, other: Cache) -> None:
        self.entries.update(other.entries)
        self.failures.update(other.failures)

    @classmethod
    def load(cls, *paths: str) -> Cache:
        """One cache from `.json` / `.json.gz` files and directories of them."""
        cache = cls()
        for path in paths:
            for file in _cache_files(path):
                data = read_json(file)
                _check_format(data, file)
                cache.update(cls(data["entries"], data.get("failures", {}), data.get("meta")))
                cache.meta = cache.meta or data.get("meta", {})
        return cache

    def to_json(self, instances: list | None = None) -> dict:
        data = {
            "format": CACHE_FORMAT,
            "abi_version": ABI_VERSION,
            "meta": self.meta,
            "entries": dict(sorted(self.entries.items())),
            "failures": dict(sorted(self.failures.items())),
        }
        if instances is not None:
            data["instances"] = instances
        return data


def _check_format(data: dict, file: str) -> None:
    if data.get("format") != CACHE_FORMAT or data.get("abi_version") != ABI_VERSION:
        raise ValueError(
            f"{file}: cache format {data.get('format')} / ABI "
            f"{data.get('abi_version')}; this kernelc reads format "
            f"{CACHE_FORMAT} / ABI {ABI_VERSION}: regenerate it"
        )


def _cache_files(path: str) -> list[str]:
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if n.endswith((".json", ".json.gz")))
        return [os.path.join(path, n) for n in names]
    return [path]


def read_json(path: str) -> dict:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def write_json(path: str, data: dict) -> None:
    """Deterministic output: sorted keys, and a gzip header without a timestamp."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if path.endswith(".gz"):
        with open(path, "wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as f:
            f.write(text.encode())
    else:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


_default: Cache | None = None


def default_cache() -> Cache:
    """The caches named by $KERNELC_CACHE (paths separated by os.pathsep), else the
    `kernels_chainer/` directory beside the kernelc package when it is there."""
    global _default
    if _default is None:
        env = os.environ.get(DEFAULT_PATH_ENV)
        root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
        here = os.path.join(root, "kernels_chainer")
        paths = [p for p in env.split(os.pathsep) if p] if env else []
        if not paths and os.path.isdir(here):
            paths = [here]
        _default = Cache.load(*paths)
    return _default


def lookup(key: str) -> Program | None:
    """`default_cache().lookup(key)`."""
    return default_cache().lookup(key)
