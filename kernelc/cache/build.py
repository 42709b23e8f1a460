"""Building a cache: every scanned kernel instance x type binding x target x 64-bit policy,
translated once, with a progress bar.

Rule: building never stops at a kernel's failure; every instance x binding x target x policy gets
an `Outcome` (ok, error with its first line, pending while the compiler lacks reductions,
out of scope for RawKernels), and only the successes become cache entries.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import kernelc
from kernelc.cache.store import KEY_FIELDS, Cache, cache_key, policy_name
from kernelc.errors import InternalCompilerError, KernelCompileError
from kernelc.scan.bindings import bind
from kernelc.scan.scanner import KernelInstance, ScanResult
from kernelc.targets import TARGETS


@dataclass
class Outcome:
    """What one instance x binding x target came to."""

    instance: str  # KernelInstance.id
    kind: str
    name: str
    target: str
    binding: dict
    key: str | None
    status: str  # 'ok' | 'error' | 'internal' | 'pending' | 'out of scope'
    error_kind: str = ""
    error: str = ""  # the first line of the message
    error_text: str = ""  # the whole rendered diagnostic
    warnings: int = 0
    policy: str = "fast"  # the 64-bit policy ("exact" or "fast")


# Both 64-bit policies (wgpy_runtime's set_64bit_policy): exact first, the default.
POLICIES = (True, False)


def translate(kind: str, args: dict, binding: dict, target: str, exact64: bool = False):
    """Translate one instance for one binding, target and policy (raises on failure)."""
    strings = {k: args.get(k, default) for k, default in KEY_FIELDS[kind]}
    types = binding.get("types") or None
    raw = {k: tuple(v) for k, v in (binding.get("raw") or {}).items()}
    if kind == "elementwise":
        return kernelc.translate_elementwise(
            **strings,
            target=target,
            types=types,
            ndim=binding.get("ndim", 1),
            scalars=tuple(binding.get("scalars", ())),
            raw=raw or None,
            exact64=exact64,
        )
    translate_reduction = getattr(kernelc, "translate_reduction", None)
    if translate_reduction is None:
        raise NotImplementedError("kernelc.translate_reduction is not available yet")
    return translate_reduction(
        **strings,
        target=target,
        types=types,
        ndim=binding.get("ndim", 0),
        reduce_ndim=binding.get("reduce_ndim", 1),
        scalars=tuple(binding.get("scalars", ())),
        raw=raw or None,
        exact64=exact64,
    )


def key_of(instance: KernelInstance, binding: dict, target: str, exact64: bool = False) -> str:
    return cache_key(
        instance.kind,
        instance.args,
        target=target,
        types=binding.get("types"),
        ndim=binding.get("ndim", 1),
        scalars=binding.get("scalars", ()),
        raw=binding.get("raw"),
        reduce_ndim=binding.get("reduce_ndim", 1),
        exact64=exact64,
    )


def translate_outcome(
    instance: KernelInstance, binding: dict, target: str, cache: Cache, exact64: bool = False
):
    key = key_of(instance, binding, target, exact64)
    out = Outcome(instance.id, instance.kind, instance.name, target, binding, key, "ok")
    out.policy = policy_name(exact64)
    if key in cache.entries:
        out.warnings = len(cache.entries[key]["warnings"])
        return out
    try:
        program = translate(instance.kind, instance.args, binding, target, exact64)
    except NotImplementedError as e:
        out.status, out.error = "pending", str(e)
        return out
    except KernelCompileError as e:
        _failed(out, "error", type(e).__name__, e.message, str(e))
    except InternalCompilerError as e:
        _failed(out, "internal", "InternalCompilerError", str(e), str(e))
    except Exception as e:  # noqa: BLE001 - a compiler bug must not stop the build
        _failed(out, "internal", type(e).__name__, str(e), repr(e))
    else:
        warnings = [w.to_json() for w in program.warnings]
        cache.entries[key] = {
            "name": program.name,
            "target": target,
            "code": program.code,
            "abi": program.abi.to_json(),
            "warnings": warnings,
        }
        out.warnings = len(warnings)
        return out
    cache.failures[key] = {
        "instance": out.instance,
        "target": target,
        "policy": out.policy,
        "kind": out.error_kind,
        "message": out.error,
    }
    return out


def _failed(out: Outcome, status: str, kind: str, message: str, text: str) -> None:
    out.status, out.error_kind = status, kind
    out.error = (message.strip().splitlines() or [""])[0]
    out.error_text = text


def build(result: ScanResult, targets=TARGETS, *, progress: bool = True, policies=POLICIES):
    """(Cache, outcomes) for every instance of a scan under each 64-bit policy (exact64
    flags); bindings are decided here when the scan has not done it."""
    source = os.path.basename(result.source.rstrip("/"))  # not the (temporary) directory
    meta = {"source": source, "version": result.version, "targets": list(targets)}
    cache = Cache(meta={**meta, "policies": [policy_name(p) for p in policies]})
    for instance in result.instances:
        if not instance.bindings:
            bind(instance)
    work = [
        (k, b, t, p)
        for k in result.instances
        for b in (k.bindings or [{}])
        for t in targets
        for p in policies
    ]
    bar = Progress(len(work), enabled=progress)
    outcomes = []
    for instance, binding, target, exact64 in work:
        bar.step(f"{instance.name} ({target}, {policy_name(exact64)})")
        if instance.kind == "raw":
            outcomes.append(
                Outcome(
                    instance.id,
                    "raw",
                    instance.name,
                    target,
                    {},
                    None,
                    "out of scope",
                    error="RawKernel: not translated",
                    policy=policy_name(exact64),
                )
            )
            continue
        outcomes.append(translate_outcome(instance, binding, target, cache, exact64))
    bar.close()
    return cache, outcomes


def instance_records(result: ScanResult, outcomes: list[Outcome]) -> list[dict]:
    """The instances as the cache file lists them: the scan record plus, per binding and
    target, the key and the outcome."""
    by_id: dict[str, list[dict]] = {}
    for o in outcomes:
        row = {"target": o.target, "policy": o.policy, "key": o.key, "status": o.status}
        row["binding"] = o.binding
        if o.error:
            row["error"] = f"{o.error_kind}: {o.error}" if o.error_kind else o.error
        by_id.setdefault(o.instance, []).append(row)
    return [{**k.to_json(), "results": by_id.get(k.id, [])} for k in result.instances]


class Progress:
    """`tqdm` when it is installed, else one self-rewriting stderr line."""

    def __init__(self, total: int, enabled: bool = True):
        self.total, self.done, self.enabled = total, 0, enabled
        self.start = self.drawn = time.perf_counter()
        self.live = enabled and sys.stderr.isatty()  # a pipe gets only the final line
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, unit="kernel", file=sys.stderr)
            except ImportError:
                pass

    def step(self, label: str) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.set_postfix_str(label[:40], refresh=False)
            self.bar.update(1)
            return
        now = time.perf_counter()
        if not self.live or (now - self.drawn < 0.05 and self.done < self.total):
            return
        self.drawn = now
        width = 30
        filled = width * self.done // max(1, self.total)
        line = f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {label[:40]}"
        sys.stderr.write("\r" + line.ljust(90))
        sys.stderr.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.enabled:
            seconds = time.perf_counter() - self.start
            line = f"{self.done}/{self.total} translated in {seconds:.2f} s"
            sys.stderr.write(("\r" + line.ljust(90) if self.live else line) + "\n")
