"""wgpy_runtime: a NumPy/CuPy-compatible array library whose every GPU operation is a
kernel compiled by kernelc and launched through the device protocol.

    import wgpy_runtime as wp
    x = wp.arange(6, dtype=wp.float32).reshape(2, 3)
    (x * 2 + 1).sum(axis=0).get()

Rule: the array library needs NumPy and is re-exported from `_api`; without NumPy (a
Pyodide that has none) only the device layer loads — `wgpy_runtime.device`, whose
BrowserDevice runs kernelc programs through the browser bridge — and every array name
raises NumPyMissing (an AttributeError) that says so.
"""

try:
    import numpy as _numpy  # noqa: F401
except ModuleNotFoundError:
    _numpy = None

if _numpy is not None:
    from ._api import *  # noqa: F403
    from ._api import __all__  # noqa: F401
else:

    class NumPyMissing(AttributeError):
        """An array name asked for without NumPy. An AttributeError (not ImportError),
        so that `from wgpy_runtime import playground` still finds the submodule."""

    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise NumPyMissing(
            f"wgpy_runtime.{name} needs NumPy, which this Python lacks; without it only "
            "the device layer (wgpy_runtime.device) is available"
        )
