"""Checks of the arguments a caller passes to the translation API.

Rule: a caller's mistake in the call itself (a kernel string that is `bytes` or `None`, an
option of the wrong type) is a `TypeError` or `ValueError` naming the argument, raised
before any stage runs: it is neither a kernel error nor the compiler's bug.
"""

from __future__ import annotations

from collections.abc import Mapping


class ArgumentTypeError(TypeError):
    """An API argument of the wrong type (passes through the pipeline's error handling)."""


def check_strings(**strings) -> None:
    """Kernel text arguments: each must be a `str` (`None` only where documented)."""
    for name, value in strings.items():
        if not isinstance(value, str):
            hint = " (decode it first)" if isinstance(value, bytes | bytearray) else ""
            raise ArgumentTypeError(f"{name} must be a str, not {type(value).__name__}{hint}")


def check_options(*, types=None, scalars=(), raw=None, line_bases=None, **counts) -> None:
    """`types` and `raw` are mappings, `scalars` a collection of names, axis counts ints."""
    for name, value in (("types", types), ("raw", raw), ("line_bases", line_bases)):
        if value is not None and not isinstance(value, Mapping):
            raise ArgumentTypeError(f"{name} must be a dict, not {type(value).__name__}")
    if isinstance(scalars, str | bytes) or not all(isinstance(s, str) for s in scalars):
        raise ArgumentTypeError(f"scalars must be a collection of parameter names, not {scalars!r}")
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise ArgumentTypeError(f"{name} must be an int, not {type(value).__name__}")


def check_unroll(unroll) -> None:
    if unroll is not None and not isinstance(unroll, bool):
        raise ArgumentTypeError(f"unroll must be a bool or None, not {type(unroll).__name__}")
