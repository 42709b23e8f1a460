"""Recorded specialisations: the type bindings, ndim, scalar inputs and raw arrays a
package's kernels were really called with, added to a cache build beside the bindings the
scanner infers.

A specialisations file is JSON Lines, one call shape per line, sorted:

    {"kernel": "<kernel_id>", "kind": "elementwise", "name": "relu_bwd",
     "types": {"T": "float32"}, "ndim": 1, "scalars": [], "raw": {}}

(reductions add "reduce_ndim"). `kernel` is `kernelc.cache.kernel_id` of the kernel's
strings, so the file names kernels without holding their code; a line whose kernel the
scan did not find is reported, not compiled. The lines are written by a recording run of
the package (for Chainer: tools/chainer_cache_hits.py --record).

Rule: a bad line is an error naming file:line and the reason; bindings already present
(from the scanner or an earlier line) are not added twice.
"""

from __future__ import annotations

import json

from kernelc.cache.store import kernel_id
from kernelc.scan.scanner import KernelInstance

FIELDS = {
    "kernel": str,
    "kind": str,
    "name": str,
    "types": dict,
    "ndim": int,
    "scalars": list,
    "raw": dict,
}


class SpecialisationError(ValueError):
    """A specialisations file that cannot be read."""


def read(path: str) -> list[dict]:
    records = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                records.append(_parse(line, f"{path}:{number}"))
    return records


def _parse(line: str, where: str) -> dict:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        raise SpecialisationError(f"{where}: not JSON: {e.msg}") from None
    if not isinstance(record, dict):
        raise SpecialisationError(f"{where}: expected a JSON object")
    for field, kind in FIELDS.items():
        if not isinstance(record.get(field), kind):
            raise SpecialisationError(f"{where}: {field!r} must be a {kind.__name__}")
    if record["kind"] not in ("elementwise", "reduction"):
        raise SpecialisationError(
            f"{where}: kind {record['kind']!r} is not elementwise or reduction"
        )
    if record["kind"] == "reduction" and not isinstance(record.get("reduce_ndim"), int):
        raise SpecialisationError(f"{where}: a reduction needs an int 'reduce_ndim'")
    return record


def binding_of(record: dict) -> dict:
    """The cache-build binding (`kernelc.cache.build.translate`'s form) of a record."""
    binding = {
        "types": dict(record["types"]),
        "scalars": sorted(record["scalars"]),
        "ndim": record["ndim"],
    }
    if record["kind"] == "reduction":
        binding["reduce_ndim"] = record["reduce_ndim"]
    if record["raw"]:
        binding["raw"] = {k: [int(v[0]), bool(v[1])] for k, v in sorted(record["raw"].items())}
    return binding


def record_of(kind: str, strings: dict, spec: dict) -> dict:
    """The line for one call: `spec` as the runtime's program lookup has it (types, ndim,
    reduce_ndim, scalars, raw name -> (ndim, contiguous))."""
    record = {
        "kernel": kernel_id(kind, strings),
        "kind": kind,
        "name": strings.get("name"),
        "types": dict(sorted(spec["types"].items())),
        "ndim": spec["ndim"],
        "scalars": sorted(spec["scalars"]),
        "raw": {k: [int(v[0]), bool(v[1])] for k, v in sorted(spec["raw"].items())},
    }
    if kind == "reduction":
        record["reduce_ndim"] = spec["reduce_ndim"]
    return record


def dumps(records: list[dict]) -> str:
    """The file's text: one line per distinct record, sorted (rewriting gives the same
    bytes)."""
    lines = {json.dumps(r, sort_keys=True, separators=(", ", ": ")) for r in records}
    return "".join(line + "\n" for line in sorted(lines))


def add(instances: list[KernelInstance], records: list[dict]) -> list[dict]:
    """Append each record's binding to the first scanned instance of its kernel (after
    the scanner's bindings); returns the records whose kernel no instance has."""
    by_id: dict[str, KernelInstance] = {}
    for instance in instances:
        if instance.kind in ("elementwise", "reduction"):
            by_id.setdefault(kernel_id(instance.kind, instance.args), instance)
    unmatched = []
    for record in records:
        instance = by_id.get(record["kernel"])
        if instance is None or instance.kind != record["kind"]:
            unmatched.append(record)
            continue
        binding = binding_of(record)
        if all(_canonical(b) != _canonical(binding) for b in instance.bindings):
            instance.bindings.append(binding)
    return unmatched


def _canonical(binding: dict) -> str:
    b = {
        "types": binding.get("types") or {},
        "scalars": sorted(binding.get("scalars", ())),
        "ndim": binding.get("ndim", 1),
        "reduce_ndim": binding.get("reduce_ndim", 1),
        "raw": {k: [int(v[0]), bool(v[1])] for k, v in (binding.get("raw") or {}).items()},
    }
    return json.dumps(b, sort_keys=True)
