"""The worker's side of the study API: synchronous JSON calls to the study server, by
XMLHttpRequest in a browser's Web Worker (Pyodide) and by urllib elsewhere.

Rule: no optuna, no NumPy (this loads in a bare Pyodide). A call that cannot reach the
server is tried again for `patience` seconds (a restarted server picks the study up from
its storage); a refusal from the server raises StudyApiError with the server's reason.
"""

from __future__ import annotations

import json
import sys
import time
from urllib.parse import quote

PATIENCE_S = 60.0  # how long a worker waits for an unreachable server
RETRY_EVERY_S = 1.0


class StudyApiError(Exception):
    """The server refused a call; `status` is its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.reason = message


class ServerUnreachable(ConnectionError):
    """No answer from the study server (down, restarting, or the network)."""


def _browser_request(method: str, url: str, body: str | None) -> tuple[int, str]:
    from js import XMLHttpRequest  # a Web Worker may block on a synchronous request

    xhr = XMLHttpRequest.new()
    xhr.open(method, url, False)
    if body is not None:
        xhr.setRequestHeader("Content-Type", "application/json")
    try:
        xhr.send(body)
    except Exception as e:  # noqa: BLE001  (pyodide's JsException: a network error)
        raise ServerUnreachable(str(e)) from None
    if xhr.status == 0:
        raise ServerUnreachable(f"no answer from {url}")
    return int(xhr.status), str(xhr.responseText)


def _urllib_request(method: str, url: str, body: str | None) -> tuple[int, str]:
    import urllib.error  # natively only: http.client stays out of Pyodide's start
    import urllib.request

    headers = {"Content-Type": "application/json"} if body is not None else {}
    data = body.encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, ConnectionError) as e:
        raise ServerUnreachable(str(e)) from None


REQUEST = _browser_request if sys.platform == "emscripten" else _urllib_request


def study_summary(base: str, request=None) -> dict:
    """`GET /api/study`: the study's name, counts, best trial and heartbeat interval."""
    status, answer = (request or REQUEST)("GET", f"{base.rstrip('/')}/api/study", None)
    if status != 200:
        raise StudyApiError(status, answer[:500])
    return json.loads(answer)


class StudyClient:
    """The API of study `study` on the server at `base` ("" in a browser: same origin)."""

    def __init__(self, base: str, study: str, patience: float = PATIENCE_S, request=None):
        self.base = base.rstrip("/")
        self.prefix = f"{self.base}/api/studies/{quote(study, safe='')}"
        self.patience = patience
        self._request = request or REQUEST

    def objective_source(self) -> str:
        return self._send("GET", f"{self.prefix}/objective", None, text=True)

    def claim(self, worker: dict) -> dict:
        return self._send("POST", f"{self.prefix}/trials", {"worker": worker})

    def call(self, number: int, token: str, method: str, args: dict):
        body = {"token": token, "method": method, "args": args}
        return self._send("POST", f"{self.prefix}/trials/{number}/call", body)["value"]

    def heartbeat(self, number: int, token: str) -> None:
        self._send("POST", f"{self.prefix}/trials/{number}/heartbeat", {"token": token})

    def finish(self, number: int, token: str, state: str, value=None, reason: str = "") -> str:
        body = {"token": token, "state": state, "value": value, "reason": reason}
        return self._send("POST", f"{self.prefix}/trials/{number}/finish", body)["state"]

    def _send(self, method: str, url: str, body, text: bool = False):
        payload = None if body is None else json.dumps(body, allow_nan=False)
        deadline = time.monotonic() + self.patience
        while True:
            try:
                status, answer = self._request(method, url, payload)
                break
            except ServerUnreachable:
                if time.monotonic() >= deadline:
                    raise ServerUnreachable(
                        f"the study server at {self.base or 'this origin'} did not answer "
                        f"for {self.patience:g} s"
                    ) from None
                time.sleep(RETRY_EVERY_S)
        if status != 200:
            try:
                reason = json.loads(answer)["error"]
            except (ValueError, KeyError, TypeError):
                reason = answer[:500]
            raise StudyApiError(status, reason)
        return answer if text else json.loads(answer)
