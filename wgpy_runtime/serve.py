"""`python -m wgpy_runtime.serve`: a local HTTP server for the browser side — the pages
(js_bridge/, the playground), Pyodide from the npm package, the project's wheels and the
precompiled kernel cache — with the cross-origin isolation headers SharedArrayBuffer needs.

Rule: only what an explicit mount table names is served. A request path is decoded once,
must stay inside its mount's directory after every link is resolved (no absolute parts, no
`..`, no hidden names), and must name a file: everything else is a 404, with no directory
listings. The `Host` header must name the bound address or localhost (DNS rebinding). Every
response carries COOP `same-origin` and COEP `require-corp`; the wheels are built from the
source tree into a temporary directory that the server removes when it closes.
"""

from __future__ import annotations

import argparse
import base64
import email.utils
import errno
import hashlib
import ipaddress
import json
import mimetypes
import shutil
import tempfile
import threading
import zipfile
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[1]
HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}
HOME = "/js_bridge/playground/"
CONTENT_TYPES = {
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".whl": "application/zip",
    ".json": "application/json",
    ".cu": "text/plain; charset=utf-8",
    ".py": "text/plain; charset=utf-8",
    ".gz": "application/gzip",
}
# What the pages need, and nothing else (the Pyodide and wheel mounts are added per server).
PAGE_MOUNTS = {
    "/js_bridge/": ROOT / "js_bridge",
    "/examples/": ROOT / "examples",
    "/kernels/": ROOT / "kernels_chainer",
    "/kernelc/lib/shaders/": ROOT / "kernelc" / "lib" / "shaders",  # device-internal shaders
}
# Added by the browser tests: their pages, the runtime tests they load into Pyodide, and
# the recorded command streams.
TEST_MOUNTS = {
    "/tests/": ROOT / "tests",
    "/build/streams/": ROOT / "build" / "streams",
}


def resolve_request(path: str, mounts: dict[str, Path]) -> Path | None:
    """The file a request path names inside one of `mounts`, or None (the caller answers
    404). Percent-decoding happens once, before any check, so encoded `..` or `/` cannot
    slip through; a link that leads out of its mount is refused like a `..`."""
    decoded = unquote(_path_part(path), errors="strict")
    if "\\" in decoded or "\0" in decoded:
        return None
    for prefix, directory in mounts.items():
        if not decoded.startswith(prefix):
            continue
        rest = decoded[len(prefix) :]
        parts = rest.split("/")
        if rest.endswith("/") or rest == "":
            parts = [*parts[:-1], "index.html"]
        if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
            return None
        root = directory.resolve()
        target = root.joinpath(*parts).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return None
        return target
    return None


def _path_part(target: str) -> str:
    """The path of a request target, without query or fragment (not `urlsplit`, which
    would read `//name/...` as a network location)."""
    return target.split("?", 1)[0].split("#", 1)[0]


def allowed_hosts(host: str, port: int, extra: tuple[str, ...] = ()) -> set[str]:
    """`Host` header values this server answers: the bound address and localhost, with or
    without the port, plus `extra` names the user allowed."""
    names = {host, "localhost", "127.0.0.1", "[::1]", *extra}
    if ":" in host and not host.startswith("["):
        names.add(f"[{host}]")
    return names | {f"{name}:{port}" for name in names}


def _is_ip_literal(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


class Handler(BaseHTTPRequestHandler):
    """GET and HEAD of the files the server's mount table names; nothing else."""

    server: Server

    def end_headers(self) -> None:
        for name, value in HEADERS.items():
            if self.server.isolated or name == "Cache-Control":
                self.send_header(name, value)
        super().end_headers()

    def do_GET(self) -> None:
        body = self._head()
        if body is not None:
            with body:
                shutil.copyfileobj(body, self.wfile)

    def do_HEAD(self) -> None:
        body = self._head()
        if body is not None:
            body.close()

    def _head(self):
        if not self._host_allowed():
            self.send_error(HTTPStatus.MISDIRECTED_REQUEST, "Host not served here")
            return None
        if _path_part(self.path) in ("/", "/index.html"):
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", HOME)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        try:
            target = resolve_request(self.path, self.server.mounts)
        except UnicodeDecodeError:
            target = None
        if target is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return None
        body = target.open("rb")
        stat = target.stat()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", _content_type(target))
        self.send_header("Content-Length", str(stat.st_size))
        self.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
        self.end_headers()
        return body

    def _host_allowed(self) -> bool:
        host = (self.headers.get("Host") or "").lower()
        if host in self.server.hosts:
            return True
        # Bound to every interface: any address literal is fine (rebinding needs a name).
        return self.server.any_interface and _is_ip_literal(host)

    def log_message(self, format: str, *args) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


def _content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


class Server(ThreadingHTTPServer):
    """The HTTP server with its mount table; removes its temporary wheel directory when
    closed."""

    daemon_threads = True

    def __init__(
        self,
        address,
        mounts: dict[str, Path],
        *,
        verbose: bool = False,
        isolated: bool = True,
        extra_hosts: tuple[str, ...] = (),
        temporary: Path | None = None,
    ) -> None:
        self.mounts = dict(sorted(mounts.items(), key=lambda item: -len(item[0])))
        self.verbose, self.isolated, self.temporary = verbose, isolated, temporary
        try:
            super().__init__(address, Handler)
        except OSError:
            self._remove_temporary()
            raise
        host, port = self.server_address[:2]
        self.hosts = allowed_hosts(str(host).lower(), port, extra_hosts)
        self.any_interface = host in ("0.0.0.0", "::")

    def server_close(self) -> None:
        super().server_close()
        self._remove_temporary()

    def _remove_temporary(self) -> None:
        if self.temporary is not None:
            shutil.rmtree(self.temporary, ignore_errors=True)
            self.temporary = None


PACKAGES = ("kernelc", "wgpy_runtime", "kernels_chainer")
WHEEL_NAME = "wgpy_browser-0.1.0-py3-none-any.whl"


def build_wheels(out: Path, source: Path = ROOT) -> list[str]:
    """Pack the pure-Python packages of the source tree (kernelc, wgpy_runtime and the
    precompiled kernel cache) into one
    wheel in `out` — a zip with its dist-info, which is all Pyodide's `loadPackage` needs —
    and write the `index.json` the worker reads; returns the wheel names. Done here, not
    with a build backend, so that serving needs nothing beyond the source tree."""
    out.mkdir(parents=True, exist_ok=True)
    info = WHEEL_NAME.split("-py3")[0] + ".dist-info"
    files = {
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: wgpy-browser\nVersion: 0.1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: wgpy_runtime.serve\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
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


def make_server(
    port: int = 8000,
    host: str = "127.0.0.1",
    pyodide: str | None = None,
    wheels: Path | None = None,
    verbose: bool = False,
    isolated: bool = True,
    extra_mounts: dict[str, Path] | None = None,
    extra_hosts: tuple[str, ...] = (),
) -> Server:
    """A server (not yet serving) for the pages, Pyodide, the wheels and the kernel cache;
    `isolated=False` leaves out COOP/COEP (pages then use the bridge's JSPI transport),
    `extra_mounts` adds URL prefixes (the browser tests add `TEST_MOUNTS`)."""
    pyodide_root = pyodide_dir(pyodide)
    temporary = None
    if wheels is None:
        wheels = temporary = Path(tempfile.mkdtemp(prefix="wgpy-wheels-"))
        build_wheels(wheels)
    mounts = {**PAGE_MOUNTS, "/pyodide/": pyodide_root, "/wheels/": wheels, **(extra_mounts or {})}
    return Server(
        (host, port),
        mounts,
        verbose=verbose,
        isolated=isolated,
        extra_hosts=extra_hosts,
        temporary=temporary,
    )


def serve_in_background(**kwargs) -> tuple[Server, str]:
    """Start a server on a free port in a daemon thread; returns it and its base URL."""
    server = make_server(port=0, **kwargs)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m wgpy_runtime.serve", description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another Host header name to answer (e.g. this machine's DNS name)",
    )
    parser.add_argument(
        "--pyodide-dist",
        metavar="DIR",
        help="a Pyodide distribution (a full one brings numpy); default: "
        "the npm package in node_modules/pyodide",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument(
        "--no-isolation",
        action="store_true",
        help="leave out COOP/COEP: no SharedArrayBuffer, the bridge uses JSPI",
    )
    args = parser.parse_args(argv)
    try:
        server = make_server(
            args.port,
            args.host,
            args.pyodide_dist,
            verbose=args.verbose,
            isolated=not args.no_isolation,
            extra_hosts=tuple(h.lower() for h in args.allow_host),
        )
    except OSError as error:
        reason = "already in use" if error.errno == errno.EADDRINUSE else error.strerror
        parser.exit(1, f"error: cannot listen on {args.host}:{args.port}: {reason}\n")
    print(f"serving on http://{args.host}:{server.server_address[1]}{HOME}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
