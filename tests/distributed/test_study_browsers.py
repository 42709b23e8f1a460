"""The study with browser workers: three headless Chromium pages (two on WebGPU, one on
WebGL2) open the worker page and run the example objective (examples/study/curve_fit.py:
kernels through the bridge, no NumPy). A 30-trial TPE study completes in Optuna's storage, through a tab closed in the
middle of its trial and a server killed and started again.

Rule: one study goes through all of it, because starting Pyodide in three pages is
most of the time on two cores. The servers are `python -m wgpy_runtime.study`
subprocesses (the command people run), and every check reads the storage with Optuna.
"""

from __future__ import annotations

import math

import pytest

optuna = pytest.importorskip("optuna")

from optuna.trial import TrialState

from tests.distributed.study_support import (
    ServerProcess,
    holding_objective,
    load_objective,
    open_worker,
    wait_done,
    wait_until,
    worker_state,
)

# Enough trials that the two other workers cannot finish the study while the lost tab's
# trial waits out its grace period (two workers run about two trials a second here), and
# the server is killed while most of them are still to run.
N_TRIALS = 30
BACKENDS = ("", "", "webgl")  # the browser's choice (WebGPU here) twice, and WebGL2
# A short grace period, so that the lost tab's trial is failed and retried while the
# study still has trials to run.
OPTIONS = {"n_trials": N_TRIALS, "sampler": "tpe", "heartbeat_interval": 1, "grace_period": 5}


@pytest.fixture
def servers():
    started = []
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def pages(worker_browser):
    opened = []
    yield opened
    for page in opened:
        if not page.is_closed():
            page.close()


def test_three_browsers_run_a_study_through_a_lost_tab_and_a_restart(
    tmp_path, worker_browser, servers, pages
):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    objective = holding_objective(tmp_path, hold_trial=0)  # trial 0 never ends by itself
    server = ServerProcess(objective, storage, "fit", seed=3, **OPTIONS)
    servers.append(server)
    pages.extend(open_worker(worker_browser, server.url, backend) for backend in BACKENDS)

    # close the tab that runs trial 0, in the middle of the trial
    holder = wait_until(
        lambda: next((p for p in pages if _holds(p, 0)), None), 240, "a worker to hold trial 0"
    )
    holder_id = worker_state(holder)["id"]
    holder.close()
    working = [p for p in pages if not p.is_closed()]

    # kill the server at once (while most of the study is still to run) and start it
    # again on its storage: the new server fails the lost tab's trial, whose heartbeats
    # stopped under the old one, and queues it again
    server.kill()
    study = optuna.load_study(study_name="fit", storage=storage)
    finished_before = len(study.get_trials(states=(TrialState.COMPLETE,)))
    server = ServerProcess(objective, storage, "fit", port=server.port, **OPTIONS)
    servers.append(server)
    wait_until(
        lambda: any(t.system_attrs.get("failed_trial") == 0 for t in study.get_trials()),
        60,
        "trial 0 to be failed and queued again",
    )
    states = wait_done(working)

    trials = study.get_trials()
    assert isinstance(study.sampler, optuna.samplers.TPESampler)
    lost, others = trials[0], trials[1:]
    assert lost.state == TrialState.FAIL and lost.user_attrs["worker"] == holder_id
    rest = [t for t in others if t.state == TrialState.COMPLETE]
    assert len(rest) == N_TRIALS
    # A trial running through the restart loses its heartbeats while the new server starts
    # (seconds on a loaded machine) and may outlive the grace period: like the lost tab's,
    # it then fails and is run again with its parameters. Nothing else may fail.
    for t in others:
        if t.state != TrialState.COMPLETE:
            origin = t.system_attrs.get("failed_trial", t.number)
            assert t.state == TrialState.FAIL, t
            assert any(
                r.system_attrs.get("failed_trial") == origin and r.params == t.params for r in rest
            ), t
    retries = [t for t in rest if t.system_attrs.get("failed_trial") == 0]
    assert len(retries) == 1 and retries[0].params == lost.params
    assert retries[0].user_attrs["worker"] != holder_id

    fit = load_objective()
    for t in rest:  # the value is what the objective defines, computed on the device
        c = t.params.get("c", 0.0)
        assert math.isclose(t.value, fit.loss(t.params["a"], t.params["b"], c), rel_tol=1e-4)
        assert ("c" in t.params) == (t.params["model"] == "parabola")  # define-by-run
    assert study.best_value == min(t.value for t in rest)

    by_page = {s["id"]: s for s in states}
    for t in rest:  # each trial names the page that ran it and that page's adapter
        page = by_page[t.user_attrs["worker"]]
        assert t.user_attrs["adapter"] == page["adapter"] and page["adapter"]
        assert t.user_attrs["backend"] == page["backend"]
        assert t.number in [f["trial"] for f in page["finished"]]
    assert len({t.user_attrs["worker"] for t in rest}) == 2, "the work was not shared"
    assert {s["backend"] for s in states} <= {"webgpu", "webgl"}
    for s in states:  # what the page shows: its device, its trials, the study's progress
        assert s["shown"]["adapter"] == s["adapter"]
        assert s["shown"]["rows"] == len(s["finished"])
        assert s["shown"]["progress"] == 1 and s["shown"]["finished"] == str(N_TRIALS)

    assert finished_before < N_TRIALS
    restarted = [line for line in server.lines if line.startswith("trial ") and "finished" in line]
    assert restarted, "the restarted server finished no trial:\n" + "\n".join(server.lines)


def _holds(page, trial: int) -> bool:
    """The page runs `trial` and has reported past the objective's last chunk."""
    s = worker_state(page)
    return s["current"] == trial and s["steps"] > load_objective().CHUNKS
