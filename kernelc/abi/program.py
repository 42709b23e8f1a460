"""`Program`: a translated kernel, its shader text and its launch contract.

Rule: `abi` is a `Contract`; the JSON form (`to_json` / `from_json`) is what caches, the
browser protocol and the CLI carry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernelc.abi.contract import Contract
from kernelc.errors import Warning_


@dataclass
class Program:
    """A translated kernel: shader text, its contract, and the warnings of the translation."""

    name: str
    target: str
    code: str
    abi: Contract
    warnings: list[Warning_] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "target": self.target,
            "code": self.code,
            "abi": self.abi.to_json(),
            "warnings": [w.to_json() for w in self.warnings],
            "error": None,
        }
