"""The study with browser workers: headless Chromium pages open the worker page, run the
example objective (examples/study/curve_fit.py: kernels through the bridge, no NumPy)
and the study completes in Optuna's storage, through a closed tab and a killed server.

Rule: the servers are `python -m wgpy_runtime.study` subprocesses (the command people
run); every check reads the storage with Optuna itself.
"""

from __future__ import annotations

import math

import pytest

optuna = pytest.importorskip("optuna")

from optuna.trial import TrialState

from tests.distributed.study_support import (
    OBJECTIVE,
    ServerProcess,
    holding_objective,
    load_objective,
    open_worker,
    wait_done,
    wait_until,
    worker_state,
)

FAST_BEATS = {"heartbeat_interval": 1, "grace_period": 2}
N_HELD = 5  # trials of the study whose trial 0 loses its tab


@pytest.fixture
def servers():
    started = []
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def pages(browser):
    opened = []
    yield opened
    for page in opened:
        if not page.is_closed():
            page.close()


def test_three_browsers_run_a_tpe_study(tmp_path, browser, servers, pages):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    server = ServerProcess(OBJECTIVE, storage, "fit", n_trials=12, sampler="tpe", seed=3)
    servers.append(server)
    pages.extend(open_worker(browser, server.url) for _ in range(3))
    states = wait_done(pages)

    study = optuna.load_study(study_name="fit", storage=storage)
    assert isinstance(study.sampler, optuna.samplers.TPESampler)
    trials = study.get_trials()
    assert len(trials) >= 12 and all(t.state == TrialState.COMPLETE for t in trials)
    fit = load_objective()
    for t in trials:  # the value is what the objective defines, computed on the device
        assert math.isclose(t.value, fit.loss(t.params["a"], t.params["b"],
                                              t.params.get("c", 0.0)), rel_tol=1e-4)  # fmt: skip
        assert ("c" in t.params) == (t.params["model"] == "parabola")  # define-by-run
    assert study.best_value == min(t.value for t in trials)
    by_page = {s["id"]: s for s in states}
    for t in trials:  # each trial names the page that ran it and that page's adapter
        page = by_page[t.user_attrs["worker"]]
        assert t.user_attrs["adapter"] == page["adapter"] and page["adapter"]
        assert t.number in [f["trial"] for f in page["finished"]]
    assert len({t.user_attrs["worker"] for t in trials}) >= 2, "the work was not shared"


def test_a_closed_tab_and_a_killed_server_do_not_stop_the_study(tmp_path, browser, servers,
                                                                pages):  # fmt: skip
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    objective = holding_objective(tmp_path, hold_trial=0)
    server = ServerProcess(objective, storage, "fit", n_trials=N_HELD, **FAST_BEATS)
    servers.append(server)
    pages.extend(open_worker(browser, server.url) for _ in range(2))

    # trial 0 is held after its value: close the tab running it, mid-trial
    holder = wait_until(lambda: next((p for p in pages if _holds(p, 0)), None), 120,
                        "a worker to hold trial 0")  # fmt: skip
    holder_id = worker_state(holder)["id"]
    holder.close()
    working = [p for p in pages if not p.is_closed()]

    # once trial 0 is retried elsewhere, kill the server and start it again on its storage
    study = optuna.load_study(study_name="fit", storage=storage)
    wait_until(lambda: any(t.system_attrs.get("failed_trial") == 0 for t in study.get_trials()),
               60, "trial 0 to be failed and queued again")  # fmt: skip
    server.kill()
    finished_before = len(study.get_trials(states=(TrialState.COMPLETE,)))
    server = ServerProcess(objective, storage, "fit", port=server.port, n_trials=N_HELD,
                           **FAST_BEATS)  # fmt: skip
    servers.append(server)
    wait_done(working)

    trials = study.get_trials()
    assert trials[0].state == TrialState.FAIL and trials[0].user_attrs["worker"] == holder_id
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == 0]
    assert len(retries) == 1 and retries[0].state == TrialState.COMPLETE
    assert retries[0].params == trials[0].params
    assert retries[0].user_attrs["worker"] != holder_id
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(complete) == N_HELD and finished_before < N_HELD
    restarted = [line for line in server.lines if line.startswith("trial ") and "finished" in line]
    assert restarted, "the restarted server finished no trial:\n" + "\n".join(server.lines)


def _holds(page, trial: int) -> bool:
    """The page runs `trial` and has reported past the objective's last chunk."""
    s = worker_state(page)
    return s["current"] == trial and s["steps"] > load_objective().CHUNKS
