"""The study server's HTTP side: the API over one study (wgpy_runtime/study/service.py)
and, for everything else, the static files of `wgpy_runtime.serve` (the worker page,
js_bridge/, Pyodide, the project's wheels).

Rule: the API answers only its own routes, under its own study's name, with JSON bodies
of at most MAX_BODY bytes; anything else is refused with a status and a JSON `error`
saying why. The objective is read from the file the server was started with and served;
no route writes a file.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from urllib.parse import unquote

from .. import serve
from .service import ApiError, StudyService

MAX_BODY = 64 * 1024  # bytes: a call's arguments, a reason; never a file
PAGE = "/js_bridge/study/"
_TRIAL = re.compile(r"^trials/(?P<number>[^/]+)/(?P<action>call|heartbeat|finish)$")


class StudyHandler(serve.Handler):
    """`/api/...` is the study's; every other path is the static server's (its mount
    table, its Host check). `/` is the worker page."""

    protocol_version = "HTTP/1.1"  # keep-alive: a worker's calls reuse one connection
    disable_nagle_algorithm = True  # else each answer's body waits for the headers' ACK

    def do_GET(self) -> None:
        self._no_body()
        path = _path_of(self.path)
        if _is_api(path):
            self._api("GET", path)
        elif path == "/" and self._host_allowed():
            self._redirect(PAGE)
        else:
            super().do_GET()

    def do_HEAD(self) -> None:
        self._no_body()
        if _is_api(_path_of(self.path)):
            self._json(405, {"error": "HEAD is not part of the API"})
        else:
            super().do_HEAD()

    def do_POST(self) -> None:
        path = _path_of(self.path)
        if _is_api(path):
            self._api("POST", path)
        else:
            self.close_connection = True  # a body may follow, unread
            self._json(405, {"error": f"POST is for the API (/api/...), not {path}"})

    def _no_body(self) -> None:
        """A GET or HEAD with a body: the body is never read, so the connection cannot
        carry another request."""
        if self.headers.get("Content-Length", "0").strip() != "0":
            self.close_connection = True

    def _redirect(self, where: str) -> None:
        self.send_response(302)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()

    # ------------------------------------------------------------------------ the API

    def _api(self, method: str, path: str) -> None:
        if not self._host_allowed():  # the static server's rule: DNS rebinding
            self.close_connection = True
            self._json(421, {"error": "Host not served here"})
            return
        try:
            body = self._body() if method == "POST" else None
            status, answer = self.server.api.route(method, unquote(path), body)
        except ApiError as e:
            status, answer = e.status, {"error": str(e)}
        if isinstance(answer, str):
            self._text(status, answer, "text/x-python; charset=utf-8")
        else:
            self._json(status, answer)

    def _body(self):
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            raise ApiError(411, "a POST needs a Content-Length")
        if int(length) > MAX_BODY:
            self.close_connection = True  # the body is not read: the connection is spent
            raise ApiError(413, f"a body of {length} bytes is over the API's {MAX_BODY}")
        kind = self.headers.get("Content-Type", "").split(";")[0].strip()
        if kind != "application/json":
            self.close_connection = True
            raise ApiError(415, f"the API takes application/json, not {kind or 'nothing'}")
        try:
            return json.loads(self.rfile.read(int(length)))
        except (ValueError, UnicodeDecodeError) as e:
            raise ApiError(400, f"the body is not JSON: {e}") from None

    def _json(self, status: int, answer) -> None:
        self._text(status, json.dumps(answer, allow_nan=False), "application/json")

    def _text(self, status: int, text: str, kind: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)


class StudyApi:
    """The routes: `GET /api/study` (the study, its counts and best trial), and under
    `/api/studies/<name>/`: `GET objective`, `POST trials` (claim one), `POST trials/<n>/
    call|heartbeat|finish`."""

    def __init__(self, service: StudyService, objective: Path, log=print) -> None:
        self.service = service
        self.name = service.config.study_name
        self.objective = objective
        self.log = log
        self._last_finished = -1

    def route(self, method: str, path: str, body) -> tuple[int, object]:
        if path == "/api/study" and method == "GET":
            return 200, self.service.summary()
        prefix = "/api/studies/"
        if not path.startswith(prefix):
            raise ApiError(404, f"no API route {path}")
        name, _, rest = path[len(prefix) :].partition("/")
        if name != self.name:
            raise ApiError(404, f"this server runs study {self.name!r}, not {name!r}")
        if rest == "objective" and method == "GET":
            return 200, self.objective.read_text()
        if rest == "trials" and method == "POST":
            return 200, self._claim(_object(body))
        match = _TRIAL.match(rest)
        if match and method == "POST":
            return 200, self._trial(_number(match["number"]), match["action"], _object(body))
        raise ApiError(404 if method in ("GET", "POST") else 405, f"no API route {method} {path}")

    def _claim(self, body: dict) -> dict:
        answer = self.service.claim(body.get("worker"))
        if answer["status"] == "run":
            retry = answer["retry_of"]
            again = f" (again: trial {retry} lost its worker)" if retry is not None else ""
            self.log(f"trial {answer['trial']} -> {_who(body.get('worker'))}{again}")
        return answer

    def _trial(self, number: int, action: str, body: dict) -> dict:
        token = body.get("token")
        if action == "heartbeat":
            self.service.heartbeat(number, token)
            return {}
        if action == "call":
            return {
                "value": self.service.call(number, token, body.get("method"), body.get("args", {}))
            }
        state = self.service.finish(
            number, token, body.get("state"), body.get("value"), body.get("reason", "")
        )
        self._progress(number, state, body)
        return {"state": state}

    def _progress(self, number: int, state: str, body: dict) -> None:
        s = self.service.summary()
        best = s["best"]
        what = f"value {body.get('value')!r}" if state == "complete" else state
        if state == "fail":
            what += f": {str(body.get('reason', '')).strip().splitlines()[-1:] or ''}"
        best_text = f", best {best['value']:.6g} (trial {best['number']})" if best else ""
        self.log(f"trial {number} {what}; {s['finished']}/{s['n_trials']} finished{best_text}")

    def watch(self, stop: threading.Event) -> None:
        """Fail stale trials every heartbeat interval until `stop` is set (their retries
        are queued by the storage)."""
        while not stop.wait(self.service.config.heartbeat_interval):
            try:
                for number in self.service.fail_stale():
                    self.log(
                        f"trial {number} failed: no heartbeat for "
                        f"{self.service.config.grace_period} s; queued again"
                    )
            except Exception as e:  # noqa: BLE001  (a lost database connection: keep watching)
                self.log(f"checking heartbeats failed: {e}")


def _path_of(target: str) -> str:
    return target.split("?", 1)[0].split("#", 1)[0]


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def _object(body) -> dict:
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    return body


def _number(text: str) -> int:
    if not text.isdigit() or len(text) > 12:
        raise ApiError(404, f"bad trial number {text!r}: trials are numbered 0, 1, 2, ...")
    return int(text)


def _who(worker) -> str:
    if not isinstance(worker, dict):
        return "?"
    return f"worker {str(worker.get('worker', '?'))[:8]} on {worker.get('adapter') or '?'}"


def make_study_server(
    service: StudyService,
    objective: Path,
    port: int = 8000,
    host: str = "127.0.0.1",
    pyodide: str | None = None,
    verbose: bool = False,
    log=print,
    extra_hosts: tuple[str, ...] = (),
) -> serve.Server:
    """A server (not yet serving) of the study's API, its worker page and what the page
    loads; `server.watcher` is the thread that fails stale trials (start it with it)."""
    server = serve.make_server(port, host, pyodide, verbose=verbose, extra_hosts=extra_hosts)
    server.RequestHandlerClass = StudyHandler
    server.api = StudyApi(service, objective, log)
    stop = threading.Event()
    server.watcher = threading.Thread(target=server.api.watch, args=(stop,), daemon=True)
    server.stop_watching = stop.set
    return server


def serve_study_in_background(service: StudyService, objective: Path, **kwargs):
    """Start a study server on a free port in daemon threads; returns it and its URL."""
    server = make_study_server(service, objective, port=0, **kwargs)
    server.watcher.start()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}"


def stop(server) -> None:
    server.stop_watching()
    server.shutdown()
    server.server_close()
