"""A study worker: fetch the objective from the study server, then claim, run and finish
trials one after another. In a browser the worker page drives it (`start`, then
`run_next` per trial, with the page sending heartbeats from the main thread); natively
`Worker.run` loops with a heartbeat thread of its own.

Rule: NumPy- and optuna-free (it runs in a bare Pyodide). The objective's exception
fails its trial with the traceback as the reason; a trial the server no longer runs
(its heartbeat stopped and it was failed) is dropped, never finished twice.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
import traceback
import uuid

from ..device import adapter_name, get_device, set_device
from .client import StudyApiError, StudyClient, study_summary
from .proxy import TrialProxy, install_optuna_standin, pruned_exceptions


class Worker:
    def __init__(
        self, client: StudyClient, backend: str, worker_id: str = "", on_event=None
    ) -> None:
        self.client = client
        self.backend = backend
        self.id = worker_id or uuid.uuid4().hex
        self.on_event = on_event or (lambda event: None)
        self.adapter = ""
        self.objective = None
        self.finished: list[dict] = []

    def start(self) -> dict:
        """Create the device, load the objective; returns what the page shows."""
        os.environ["WGPY_BACKEND"] = self.backend  # the cupy shim's device 0, for Chainer
        set_device(self.backend)  # the objective's get_device() is this backend's
        self.adapter = adapter_name(get_device()) or self.backend
        install_optuna_standin()
        source = self.client.objective_source()
        namespace = {"__name__": "study_objective"}
        # the study server's own file (workers never send one)
        exec(compile(source, "objective.py", "exec"), namespace)  # noqa: S102
        self.objective = namespace.get("objective")
        if not callable(self.objective):
            raise TypeError("the study's objective file defines no objective(trial) function")
        return {"worker": self.id, "adapter": self.adapter, "backend": self.backend}

    def run_next(self) -> dict:
        """Claim one trial and run it: {"status": "done"|"wait"} from the server, or
        {"status": "finished", trial, state, value, params, seconds, calls, call_ms}."""
        claim = self.client.claim(
            {"worker": self.id, "adapter": self.adapter, "backend": self.backend}
        )
        if claim["status"] != "run":
            return claim
        number, token = claim["trial"], claim["token"]
        self.on_event(
            {"type": "trial", "trial": number, "token": token, "retry_of": claim.get("retry_of")}
        )
        proxy = TrialProxy(self.client, number, token, self._on_call(number))
        start = time.perf_counter()
        state, value, reason = self._run(proxy)
        seconds = time.perf_counter() - start
        if state != "lost":
            try:
                state = self.client.finish(number, token, state, value, reason)
            except StudyApiError as e:
                if e.status != 409:
                    raise
                state, reason = "lost", e.reason
        result = {
            "status": "finished",
            "trial": number,
            "state": state,
            "value": value,
            "params": proxy.params,
            "seconds": seconds,
            "calls": proxy.calls,
            "call_ms": 1e3 * proxy.call_seconds,
            "reason": reason,
        }
        self.finished.append(result)
        self.on_event({"type": "finished", **result})
        return result

    def _run(self, proxy: TrialProxy) -> tuple[str, float | None, str]:
        try:
            value = self.objective(proxy)
        except pruned_exceptions():
            return "pruned", None, ""
        except StudyApiError as e:
            if e.status == 409:
                return "lost", None, e.reason
            return "fail", None, _reason()
        except Exception:  # noqa: BLE001  (the objective's failure is its trial's)
            return "fail", None, _reason()
        try:
            return "complete", float(value), ""
        except (TypeError, ValueError):
            return "fail", None, f"the objective returned {value!r}, not a number"

    def _on_call(self, number: int):
        def seen(method: str, args: dict, value) -> None:
            self.on_event(
                {"type": "call", "trial": number, "method": method, "args": args, "value": value}
            )

        return seen

    def run(self, heartbeat_interval: float = 5.0) -> list[dict]:
        """Run trials until the study is done (native workers): a thread beats for the
        running trial every `heartbeat_interval` seconds."""
        current: dict = {}
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(heartbeat_interval):
                trial = dict(current)
                if trial:
                    try:
                        self.client.heartbeat(trial["trial"], trial["token"])
                    except Exception:  # noqa: BLE001, S110  (the trial ended meanwhile)
                        pass

        events = self.on_event

        def track(event: dict) -> None:
            if event["type"] == "trial":
                current.update(trial=event["trial"], token=event["token"])
            elif event["type"] == "finished":
                current.clear()
            events(event)

        self.on_event = track
        thread = threading.Thread(target=beat, daemon=True)
        thread.start()
        try:
            while True:
                answer = self.run_next()
                if answer["status"] == "done":
                    return self.finished
                if answer["status"] == "wait":
                    time.sleep(answer.get("retry_after", 1))
        finally:
            stop.set()
            self.on_event = events


def _reason() -> str:
    return traceback.format_exc(limit=8)[-2000:]


# ------------------------------------------------------------------ the browser's entry

_WORKER: Worker | None = None


def start(study: str, backend: str, worker_id: str) -> dict:
    """The worker page's first call: one Worker for this Pyodide, its events posted to
    the page as {"type": "study", "event": ...} messages."""
    global _WORKER
    _WORKER = Worker(StudyClient("", study), backend, worker_id, _post_to_page)
    return _WORKER.start()


def run_next() -> dict:
    if _WORKER is None:
        raise RuntimeError("start() the worker first")
    return _WORKER.run_next()


def _post_to_page(event: dict) -> None:
    import js  # the worker's global scope: its postMessage reaches the page

    js.postMessage(js.JSON.parse(json.dumps({"type": "event", "event": event})))


# -------------------------------------------------------------------- a native worker


def main(argv: list[str] | None = None) -> None:
    """`python -m wgpy_runtime.study.worker URL`: this machine's GPU joins the study."""
    parser = argparse.ArgumentParser(
        prog="python -m wgpy_runtime.study.worker", description=main.__doc__
    )
    parser.add_argument("url", help="the study server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--backend", choices=("webgpu", "webgl"), default="webgpu")
    args = parser.parse_args(argv)
    summary = study_summary(args.url)
    worker = Worker(StudyClient(args.url, summary["study"]), args.backend, on_event=_print_event)
    print(f"worker {worker.start()['worker'][:8]} on {worker.adapter}", flush=True)
    done = worker.run(summary["heartbeat_interval"])
    print(f"the study is done: {len(done)} trials ran here", flush=True)


def _print_event(event: dict) -> None:
    if event["type"] == "finished":
        value = f" {event['value']:.6g}" if event["value"] is not None else ""
        print(
            f"trial {event['trial']} {event['state']}{value} in {event['seconds']:.2f} s "
            f"{event['params']}",
            flush=True,
        )


if __name__ == "__main__":
    main()
