"""Options of the compiler tests: `--update-goldens` rewrites tests/golden/ from the
current compiler output (then review the diff and commit it)."""

from __future__ import annotations


def pytest_addoption(parser):
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite tests/golden/* from the current compiler output",
    )
