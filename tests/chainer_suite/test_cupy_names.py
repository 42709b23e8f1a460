"""docs/chainer-cupy-names.md, the CuPy names Chainer 7.8.1 references (found with `ast`
in its sdist) and whether the shim has them, is current; and the scan finds what it must.

Rule: without the sdist (tools/chainer_sdist.py fetches it) the table check skips; the
scanner's own cases run everywhere.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import chainer_suite_cupy_names as names
from chainer_sdist import sdist_path

SOURCE = """
from chainer.backends import cuda
from cupy.cuda import cublas
import cupyx.scipy.special

def f(x, xp):
    y = cuda.cupy.asfortranarray(x)
    cuda.cupyx.scatter_add(y, (slice(1, 3),), 1)
    cuda.cublas.sgemm(1)
    cublas.sgetrfBatched(2)
    cuda.cupy.testing.random.do_setup()
    return xp.pad(y, 1), self.xp.modf(x)[0], cuda.cupy.random.rand(3).shape
"""


def test_the_scan_finds_references_through_every_alias():
    found = names.scan_source(SOURCE, "m.py", {"cublas": "cupy.cuda.cublas"})
    assert found["cupy.asfortranarray"] == ("cupy", "m.py:7")
    assert found["cupy.pad"][0] == found["cupy.modf"][0] == "xp"
    for name in (
        "cupyx.scatter_add",
        "cupy.cuda.cublas.sgemm",
        "cupy.cuda.cublas.sgetrfBatched",
        "cupy.testing.random.do_setup",
        "cupy.random.rand",
        "cupyx.scipy.special",
        "cupy.cuda.cublas",
    ):
        assert name in found, name
    assert "cupy.random.rand.shape" not in found  # a chain stops at a call


def test_the_shim_resolves_what_chainer_needs():
    for name in (
        "cupy.asfortranarray",
        "cupy.testing.random.do_setup",
        "cupy.pad",
        "cupy.lib.stride_tricks.as_strided",
        "cupy.cuda.memory.MemoryPointer",
        "cupy.linalg.svd",
        "cupy.linalg.eigh",
    ):
        assert names.resolve(name), name
    assert not names.resolve("cupy.linalg.lstsq")


def _untested(table: str) -> list[str]:
    """The table without its *tested* column (which other tests' text changes)."""
    out = []
    for line in table.splitlines():
        cells = line.split(" | ")
        if line.startswith("| `") and len(cells) == 5:
            del cells[3]
        out.append(" | ".join(cells).split("; ")[0] if "names;" in line else " | ".join(cells))
    return out


def test_the_names_table_is_current():
    sdist = os.environ.get("KERNELC_CHAINER_SDIST") or sdist_path("7.8.1")
    if not os.path.isfile(sdist):
        pytest.skip(f"Chainer's sdist is not at {sdist} (python3 tools/chainer_sdist.py 7.8.1)")
    table = names.markdown(names.rows(names.scan(Path(sdist))))
    doc = ROOT / "docs" / "chainer-cupy-names.md"
    assert _untested(doc.read_text()) == _untested(table), (
        "docs/chainer-cupy-names.md is out of date: "
        "python3 tools/chainer_suite_cupy_names.py "
        f"{sdist} --write {doc}"
    )
