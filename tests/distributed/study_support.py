"""What the study tests share: the example objective, study servers (in this process or
as `python -m wgpy_runtime.study` subprocesses), worker pages in headless Chromium, and
a throwaway PostgreSQL cluster.

Rule: every server binds 127.0.0.1 on a free port, and everything a helper starts is
stopped by the fixture that asked for it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OBJECTIVE = ROOT / "examples" / "study" / "curve_fit.py"
PAGE_TIMEOUT_MS = 180_000  # Pyodide in three pages on two loaded cores
DONE_TIMEOUT_S = 300


def load_objective():
    """examples/study/curve_fit.py as a module (its `loss` is the objective's definition)."""
    spec = importlib.util.spec_from_file_location("curve_fit", OBJECTIVE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def holding_objective(tmp: Path, hold_trial: int = 0) -> Path:
    """The example objective, except that trial `hold_trial` never ends by itself: after
    its value it keeps reporting, so a test can close its page mid-trial."""
    text = (
        OBJECTIVE.read_text()
        + f"""

import time as _time

_fit = objective


def objective(trial):
    value = _fit(trial)
    step = CHUNKS
    while trial.number == {hold_trial}:  # held until its worker is gone
        trial.report(value, step)
        step += 1
        _time.sleep(0.2)
    return value
"""
    )
    path = tmp / "holding_objective.py"
    path.write_text(text)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"gave up after {timeout:g} s waiting for {what}")


class ServerProcess:
    """`python -m wgpy_runtime.study` in a subprocess; its output is collected in `lines`."""

    def __init__(
        self, objective: Path, storage: str, study: str, port: int | None = None, **options
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            sys.executable,
            "-m",
            "wgpy_runtime.study",
            str(objective),
            "--storage",
            storage,
            "--study",
            study,
            "--port",
            str(self.port),
        ]
        for key, value in options.items():
            args += [f"--{key.replace('_', '-')}", str(value)]
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        threading.Thread(target=self._read, daemon=True).start()
        wait_until(
            lambda: (
                any("workers open" in line for line in self.lines)
                or self.process.poll() is not None
            ),
            60,
            "the study server to start",
        )
        if self.process.poll() is not None:
            raise AssertionError("the study server did not start:\n" + "\n".join(self.lines))

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def claims(self) -> list[int]:
        """The trial numbers this server handed out, from its progress lines."""
        return [
            int(line.split()[1])
            for line in self.lines
            if line.startswith("trial ") and " -> worker " in line
        ]

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; what is in the storage is all that is left."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def open_worker(browser, url: str, backend: str = ""):
    """A page of `url`'s worker page (it starts working as it loads); `backend` makes it
    use that one instead of the browser's best."""
    page = browser.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(f"{url}/" + (f"?backend={backend}" if backend else ""))
    return page


def worker_state(page) -> dict:
    """What the page's worker holds, and (`shown`) what the page shows of it."""
    return page.evaluate("""() => { const w = window.studyWorker;
        const text = (id) => document.getElementById(id).textContent;
        return {state: w.state, error: w.error, id: w.id, adapter: w.info?.adapter ?? null,
                backend: w.info?.backend ?? null,
                current: w.current?.trial ?? null, steps: w.current?.steps ?? 0,
                finished: w.finished.map((f) => ({trial: f.trial, state: f.state,
                                                   value: f.value ?? null})),
                shown: {adapter: text("adapter"), finished: text("finished"),
                        rows: document.querySelectorAll("#done tbody tr").length,
                        progress: document.getElementById("study-progress").value}}; }""")


def wait_done(pages, timeout: float = DONE_TIMEOUT_S) -> list[dict]:
    """Wait until every page says the study is done (or a page stopped); their final
    states. On a timeout the pages' states are in the message."""
    states: list[dict] = []

    def settled() -> bool:
        states[:] = [worker_state(page) for page in pages]
        return all(s["state"] in ("done", "failed") for s in states)

    try:
        wait_until(settled, timeout, "the workers to finish the study", every=0.5)
    except AssertionError as e:
        raise AssertionError(f"{e}; the workers: {states}") from None
    for s in states:
        assert s["state"] == "done", f"a worker stopped: {s['error']}"
    return states


# ---------------------------------------------------------------------------- PostgreSQL


class PostgresCluster:
    """A PostgreSQL cluster of its own (initdb, pg_ctl) in a temporary directory, trust
    authentication on 127.0.0.1; run as the `postgres` user when this process is root
    (PostgreSQL refuses root)."""

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="wgpy-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
            "start",
        )

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode:
            log = self.dir / "log"
            tail = log.read_text()[-1000:] if log.exists() else ""
            raise RuntimeError(f"{tool} failed: {done.stderr.strip()[-1000:]}\n{tail}")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def _postgres_bin() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not versions:
        raise RuntimeError(
            "no PostgreSQL server here (initdb not found; apt-get install postgresql)"
        )
    return versions[-1].parent
