"""js_bridge/tables.json, the tables the browser executors import, is what
`python -m wgpy_runtime.device.js_tables` writes from kernelc.abi and the device protocol.

Rule: regenerate it with that command whenever this test fails.
"""

from __future__ import annotations

from wgpy_runtime.device import js_tables


def test_committed_tables_are_current():
    assert js_tables.PATH.read_text() == js_tables.text(), (
        "js_bridge/tables.json is stale: run python -m wgpy_runtime.device.js_tables"
    )
