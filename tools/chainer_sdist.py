"""Chainer's source distributions, fetched the one way that works here when absent.

    python tools/chainer_sdist.py 7.8.1 [DIR]    # prints the sdist's path

Chainer's sdist needs `setuptools<81` (its setup.py imports pkg_resources) and `wheel`
for pip to read its metadata, so a throwaway venv gets those first and then downloads the
sdist without building it. Chainer's code is never committed: DIR defaults to $CHAINER_SDIST_DIR, else
/tmp/chk.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

DEFAULT_DIR = os.environ.get("CHAINER_SDIST_DIR", "/tmp/chk")


def sdist_path(version: str, directory: str = DEFAULT_DIR) -> str:
    return os.path.join(directory, f"chainer-{version}.tar.gz")


def fetch(version: str, directory: str = DEFAULT_DIR) -> str:
    """The sdist of chainer==version in `directory`, downloaded if it is not there."""
    path = sdist_path(version, directory)
    if os.path.isfile(path):
        return path
    os.makedirs(directory, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        venv = os.path.join(tmp, "v")
        pip = os.path.join(venv, "bin", "pip")
        steps = [
            [sys.executable, "-m", "venv", venv],
            [pip, "install", "-q", "setuptools<81", "wheel"],  # pip builds its metadata
            [
                pip,
                "download",
                "-q",
                "--no-deps",
                "--no-build-isolation",
                "-d",
                directory,
                f"chainer=={version}",
            ],
        ]
        for cmd in steps:
            subprocess.run(cmd, check=True, stdout=sys.stderr)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"pip did not produce {path}")
    return path


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.split("\n\n")[0])
    print(fetch(sys.argv[1], *sys.argv[2:]))
