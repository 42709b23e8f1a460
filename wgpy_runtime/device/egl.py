"""Which EGL context is current on this thread, and switching to another.

Rule: GL objects live in the context that made them, and several moderngl contexts can
share a process (the WebGL device, test executors, a user's own): whoever issues GL
commands first makes its own context current. Only libEGL's own calls are used.
"""

from __future__ import annotations

import ctypes
import functools
from contextlib import contextmanager

_EGL_DRAW, _EGL_READ = 0x3059, 0x305A


@functools.cache
def _libegl():
    """libEGL, the one moderngl's EGL backend uses: eglMakeCurrent and its queries."""
    egl = ctypes.CDLL("libEGL.so.1")
    for name in ("eglGetCurrentDisplay", "eglGetCurrentContext", "eglGetCurrentSurface"):
        getattr(egl, name).restype = ctypes.c_void_p
    egl.eglGetCurrentSurface.argtypes = [ctypes.c_int]
    egl.eglMakeCurrent.argtypes = [ctypes.c_void_p] * 4
    egl.eglMakeCurrent.restype = ctypes.c_uint
    return egl


def current() -> tuple:
    """(display, draw surface, read surface, context) current on this thread."""
    egl = _libegl()
    return (
        egl.eglGetCurrentDisplay(),
        egl.eglGetCurrentSurface(_EGL_DRAW),
        egl.eglGetCurrentSurface(_EGL_READ),
        egl.eglGetCurrentContext(),
    )


def make_current(state: tuple) -> None:
    if state != current() and not _libegl().eglMakeCurrent(*state):
        raise RuntimeError(f"eglMakeCurrent{state} failed")


@contextmanager
def keep_current():
    """Restore the thread's current EGL context (if any) on leaving."""
    previous = current()
    try:
        yield
    finally:
        if previous[3] is not None:
            make_current(previous)
