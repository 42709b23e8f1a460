"""What a package teaches the scanner about itself: its own kernel constructors, stubs for
the modules its kernel generators import, and the dtypes its call sites bind.

    register(ScanPlugin("mypkg", constructors={...}, stubs={...}, dtypes={...}))

A package's plugin lives with that package's precompiled kernels (Chainer's:
`kernels_chainer/scan_plugin.py`) and registers itself when imported; `kernelc scan` and
`kernelc cache build` import the modules named by `--plugin`.

Rule: the scanner itself knows only CuPy's constructors and generic stubs; everything
particular to one package comes through a registered `ScanPlugin`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Constructor:
    """A callable that makes a kernel: the kind it makes and its positional parameters."""

    kind: str  # 'elementwise' | 'reduction' | 'raw'
    signature: tuple[str, ...]


@dataclass(frozen=True)
class ScanPlugin:
    name: str
    # "module.function" (the module may be reached under any alias or prefix) -> Constructor
    constructors: Mapping[str, Constructor] = field(default_factory=dict)
    # module name -> the source executed in the sandbox in its place
    stubs: Mapping[str, str] = field(default_factory=dict)
    # kernel name -> placeholder -> the dtypes the package really binds it to
    dtypes: Mapping[str, Mapping[str, list[str]]] = field(default_factory=dict)


_registered: dict[str, ScanPlugin] = {}


def register(plugin: ScanPlugin) -> ScanPlugin:
    """Add `plugin` to every later scan (replacing one of the same name)."""
    _registered[plugin.name] = plugin
    return plugin


def registered() -> tuple[ScanPlugin, ...]:
    return tuple(_registered.values())


def load(module: str) -> None:
    """Import `module`, whose import registers its plugin (`--plugin MODULE`)."""
    importlib.import_module(module)
