"""`python -m wgpy_runtime.serve`: a local HTTP server for the browser side — the pages
(js_bridge/, the playground), Pyodide from the npm package, and the project's wheels —
with the cross-origin isolation headers SharedArrayBuffer needs.

Rule: every response carries COOP `same-origin` and COEP `require-corp`; the wheels are
built from the source tree when the server starts, so the worker installs what is here.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import tempfile
import threading
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parents[1]
HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}
HOME = "/js_bridge/playground/"


class Handler(SimpleHTTPRequestHandler):
    """Static files with the isolation headers; `/pyodide/` and `/wheels/` are mounted
    from their own directories."""

    extensions_map: ClassVar[dict[str, str]] = {**SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript",
                      ".js": "text/javascript", ".wasm": "application/wasm",
                      ".whl": "application/zip"}  # fmt: skip

    def __init__(self, *args, mounts: dict[str, Path], **kwargs) -> None:
        self.mounts = mounts
        super().__init__(*args, **kwargs)

    def end_headers(self) -> None:
        for name, value in HEADERS.items():
            if self.server.isolated or name == "Cache-Control":
                self.send_header(name, value)
        super().end_headers()

    def do_GET(self) -> None:
        if self.path in ("/", "/index.html"):
            self.send_response(302)
            self.send_header("Location", HOME)
            self.end_headers()
            return
        super().do_GET()

    def translate_path(self, path: str) -> str:
        for prefix, directory in self.mounts.items():
            if path.startswith(prefix):
                rest = path[len(prefix):].split("?", 1)[0].split("#", 1)[0]
                return str(directory / rest) if ".." not in rest else str(directory)
        return super().translate_path(path)

    def log_message(self, format: str, *args) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


PACKAGES = ("kernelc", "wgpy_runtime")
WHEEL_NAME = "wgpy_browser-0.1.0-py3-none-any.whl"


def build_wheels(out: Path, source: Path = ROOT) -> list[str]:
    """Pack the pure-Python packages of the source tree (kernelc, wgpy_runtime) into one
    wheel in `out` — a zip with its dist-info, which is all Pyodide's `loadPackage` needs —
    and write the `index.json` the worker reads; returns the wheel names. Done here, not
    with a build backend, so that serving needs nothing beyond the source tree."""
    out.mkdir(parents=True, exist_ok=True)
    info = WHEEL_NAME.split("-py3")[0] + ".dist-info"
    files = {f"{info}/METADATA": "Metadata-Version: 2.1\nName: wgpy-browser\nVersion: 0.1.0\n",
             f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: wgpy_runtime.serve\n"
                              "Root-Is-Purelib: true\nTag: py3-none-any\n"}  # fmt: skip
    for package in PACKAGES:
        for path in sorted((source / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files[path.relative_to(source).as_posix()] = path.read_bytes()
    record = [f"{name},sha256={_digest(data)},{len(_bytes(data))}" for name, data in files.items()]
    files[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
    with zipfile.ZipFile(out / WHEEL_NAME, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
    (out / "index.json").write_text(json.dumps([WHEEL_NAME]))
    return [WHEEL_NAME]


def _bytes(data: str | bytes) -> bytes:
    return data.encode() if isinstance(data, str) else data


def _digest(data: str | bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(_bytes(data)).digest()).rstrip(b"=").decode()


def pyodide_dir(given: str | None) -> Path:
    directory = Path(given) if given else ROOT / "node_modules" / "pyodide"
    if not (directory / "pyodide.mjs").is_file():
        raise SystemExit(
            f"no Pyodide at {directory}: run `npm install` in {ROOT} or pass --pyodide-dist"
        )
    return directory


def make_server(port: int = 8000, host: str = "127.0.0.1", pyodide: str | None = None,
                wheels: Path | None = None, verbose: bool = False,
                isolated: bool = True) -> ThreadingHTTPServer:
    """A server (not yet serving) for the pages, Pyodide and the wheels; `isolated=False`
    leaves out COOP/COEP (pages then use the bridge's JSPI transport)."""
    if wheels is None:
        wheels = Path(tempfile.mkdtemp(prefix="wgpy-wheels-"))
        build_wheels(wheels)
    mounts = {"/pyodide/": pyodide_dir(pyodide), "/wheels/": wheels}
    handler = partial(Handler, directory=str(ROOT), mounts=mounts)
    server = ThreadingHTTPServer((host, port), handler)
    server.verbose = verbose
    server.isolated = isolated
    server.daemon_threads = True
    return server


def serve_in_background(**kwargs) -> tuple[ThreadingHTTPServer, str]:
    """Start a server on a free port in a daemon thread; returns it and its base URL."""
    server = make_server(port=0, **kwargs)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m wgpy_runtime.serve", description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--pyodide-dist", metavar="DIR",
                        help="a Pyodide distribution (a full one brings numpy); default: "
                        "the npm package in node_modules/pyodide")  # fmt: skip
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument("--no-isolation", action="store_true",
                        help="leave out COOP/COEP: no SharedArrayBuffer, the bridge uses JSPI")
    args = parser.parse_args(argv)
    server = make_server(args.port, args.host, args.pyodide_dist, verbose=args.verbose,
                         isolated=not args.no_isolation)
    print(f"serving on http://{args.host}:{server.server_address[1]}{HOME}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
