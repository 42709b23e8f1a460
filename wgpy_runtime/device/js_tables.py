"""`python -m wgpy_runtime.device.js_tables`: js_bridge/tables.json, the facts the browser
executors share with Python — the ABI version they read, how a 64-bit scalar's words are
typed in the uniform block, bytes per element as the device protocol carries them, and
the u32 words of a wide WGSL storage element (a scratch buffer's size).

Rule: the JSON file is generated from `kernelc.abi` and `protocol.ITEMSIZE` and committed;
js_bridge/abi.js imports it as a JSON module and keeps no copy of these tables.
tests/compiler/test_js_tables.py checks that the committed file is current.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kernelc.abi import ABI_VERSION, WORD_TYPES
from kernelc.abi.layout import WGSL_ELEMENT_WORDS

from .protocol import ITEMSIZE

PATH = Path(__file__).resolve().parents[2] / "js_bridge" / "tables.json"


def tables() -> dict:
    return {
        "abi_version": ABI_VERSION,
        "word_types": list(WORD_TYPES),
        "itemsize": ITEMSIZE,
        "element_words": WGSL_ELEMENT_WORDS,
    }


def text() -> str:
    return json.dumps(tables(), indent=2) + "\n"


def main() -> None:
    PATH.write_text(text())
    print(f"wrote {PATH}", file=sys.stderr)


if __name__ == "__main__":
    main()
