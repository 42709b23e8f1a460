"""The local server serves only its mount table: path traversal in every spelling, links
out of a mount, hidden files, directory listings, foreign `Host` headers, a busy port and
the temporary wheel directory."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from wgpy_runtime import serve

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fake_pyodide(tmp_path_factory) -> Path:
    """A Pyodide directory with its entry file, a link to a file outside it and a link to
    a directory outside it."""
    directory = tmp_path_factory.mktemp("pyodide")
    (directory / "pyodide.mjs").write_text("export const loadPyodide = null;\n")
    (directory / "inside.txt").write_text("inside\n")
    (directory / "passwd-link").symlink_to("/etc/passwd")
    (directory / "etc-link").symlink_to("/etc")
    (directory / "inside-link").symlink_to(directory / "inside.txt")
    return directory


@pytest.fixture(scope="module")
def server(fake_pyodide):
    server, _ = serve.serve_in_background(pyodide=str(fake_pyodide))
    yield server
    server.shutdown()
    server.server_close()


def get(server, path: str, host: str | None = None, method: str = "GET"):
    """(status, headers, body) of a request sent with `path` exactly as given (the way
    `curl --path-as-is` sends it)."""
    port = server.server_address[1]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    connection.putheader("Host", f"127.0.0.1:{port}" if host is None else host)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, response.headers, body


@pytest.mark.parametrize(
    "path",
    [
        "/pyodide//etc/passwd",  # the reported hole: an absolute path after a mount
        "/wheels//etc/passwd",
        "/pyodide/../../../../etc/passwd",
        "/pyodide/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/pyodide/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/pyodide/%2fetc%2fpasswd",
        "/pyodide/%252e%252e/etc/passwd",
        "/js_bridge/..\\..\\etc\\passwd",
        "/js_bridge/%5c..%5c..%5cetc%5cpasswd",
        "/js_bridge/bridge.js%00.png",
        "/js_bridge/%ff%fe",
        "//etc/passwd",
        "/../../etc/passwd",
        "/pyodide/passwd-link",  # links that lead out of the mount
        "/pyodide/etc-link/passwd",
        "/.git/config",  # the repository itself is not served
        "/js_bridge/../.git/config",
        "/README.md",
        "/pyproject.toml",
        "/wgpy_runtime/serve.py",
        "/tests/browser/pages/bridge.html",  # test pages only on a test server
        "/js_bridge/",  # a directory without a page: no listing
        "/examples/",
        "/pyodide/",
        "/kernels/.hidden",
        "/nothing-here",
    ],
)
def test_only_files_of_the_mount_table_are_served(server, path):
    status, _, body = get(server, path)
    assert status == 404, (path, status, body[:80])
    assert b"root:" not in body


@pytest.mark.parametrize(
    "path",
    [
        "/js_bridge/bridge.js",
        "/js_bridge/playground/",
        "/js_bridge/playground/index.html",
        "/examples/mandelbrot.cu",
        "/pyodide/pyodide.mjs",
        "/pyodide/inside-link",  # a link that stays inside its mount
        "/wheels/index.json",
        f"/wheels/{serve.WHEEL_NAME}",
        "/kernels/chainer-7.8.1.json.gz",
        "/js_bridge/bridge.js?v=1#x",
    ],
)
def test_the_pages_pyodide_wheels_and_cache_are_served_isolated(server, path):
    status, headers, body = get(server, path)
    assert status == 200, (path, status)
    assert body
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    assert int(headers["Content-Length"]) == len(body)


def test_head_answers_without_a_body(server):
    status, headers, body = get(server, "/js_bridge/bridge.js", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0


def test_other_methods_are_refused(server):
    assert get(server, "/js_bridge/bridge.js", method="POST")[0] == 501


def test_home_redirects_to_the_playground(server):
    status, headers, _ = get(server, "/")
    assert status == 302 and headers["Location"] == serve.HOME


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "", "127.0.0.2:{port}"])
def test_foreign_host_headers_are_refused(server, host):
    """DNS rebinding: a page of another origin reaching this server through a name that
    resolves to 127.0.0.1 sends its own name as Host."""
    status, _, _ = get(
        server, "/js_bridge/bridge.js", host=host.format(port=server.server_address[1])
    )
    assert status == 421


@pytest.mark.parametrize("host", ["localhost", "localhost:{port}", "127.0.0.1", "LOCALHOST:{port}"])
def test_local_host_headers_are_answered(server, host):
    status, _, _ = get(
        server, "/js_bridge/bridge.js", host=host.format(port=server.server_address[1])
    )
    assert status == 200


def test_a_server_on_every_interface_answers_address_literals_only(fake_pyodide):
    server, _ = serve.serve_in_background(pyodide=str(fake_pyodide), host="0.0.0.0")
    try:
        port = server.server_address[1]
        assert get(server, "/js_bridge/bridge.js", host=f"10.1.2.3:{port}")[0] == 200
        assert get(server, "/js_bridge/bridge.js", host=f"rebound.example:{port}")[0] == 421
    finally:
        server.shutdown()
        server.server_close()


def test_closing_the_server_removes_its_wheel_directory(fake_pyodide):
    server = serve.make_server(port=0, pyodide=str(fake_pyodide))
    wheels = server.mounts["/wheels/"]
    assert (wheels / "index.json").is_file()
    server.server_close()
    assert not wheels.exists()


def test_a_busy_port_is_one_line_and_leaves_nothing_behind(fake_pyodide, tmp_path):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "wgpy_runtime.serve",
                "--port",
                str(port),
                "--pyodide-dist",
                str(fake_pyodide),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "TMPDIR": str(temporary)},
        )
    finally:
        holder.close()
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: already in use"
    ]
    assert list(temporary.iterdir()) == []
