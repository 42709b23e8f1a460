"""The study API without a browser: what it refuses (other studies, bad trial numbers,
wrong tokens, oversize or non-JSON bodies, unknown routes and methods), what it serves
(the objective, read-only), and Optuna's reliability rules as the service applies them:
a trial whose heartbeat stops fails and is run again with the same parameters.

Rule: requests go over real HTTP to a server in this process, on SQLite in tmp_path.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request

import pytest

pytest.importorskip("optuna")
pytest.importorskip("sqlalchemy")

from optuna.trial import TrialState

from tests.distributed.study_support import OBJECTIVE
from wgpy_runtime.study.client import StudyApiError, StudyClient
from wgpy_runtime.study.server import MAX_BODY, serve_study_in_background, stop
from wgpy_runtime.study.service import StudyConfig, StudyService

WORKER = {"worker": "w1", "adapter": "test adapter", "backend": "webgpu"}


@pytest.fixture
def study_with_grace(tmp_path):
    """`study_with_grace(seconds)`: (service, base URL) of a study "s" of 3 trials whose
    running trials fail after that many seconds without a heartbeat."""
    servers = []

    def start(grace_period: int):
        config = StudyConfig(
            storage=f"sqlite:///{tmp_path / 's.db'}",
            study_name="s",
            n_trials=3,
            seed=0,
            heartbeat_interval=1,
            grace_period=grace_period,
        )
        service = StudyService(config)
        server, url = serve_study_in_background(service, OBJECTIVE, log=lambda line: None)
        servers.append(server)
        return service, url

    yield start
    for server in servers:
        stop(server)


@pytest.fixture
def study(study_with_grace):
    """A study whose trials do not go stale during a test, however loaded the machine."""
    return study_with_grace(600)


def send(
    url: str, method: str = "GET", body: bytes | None = None, content_type: str = "application/json"
) -> tuple[int, dict | str]:
    request = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def post(url: str, body) -> tuple[int, dict]:
    return send(url, "POST", json.dumps(body).encode())


def test_serves_the_study_and_its_objective(study):
    _, url = study
    status, summary = send(f"{url}/api/study")
    assert status == 200
    assert summary["study"] == "s" and summary["n_trials"] == 3 and summary["finished"] == 0
    status, text = send(f"{url}/api/studies/s/objective")
    assert status == 200 and text == OBJECTIVE.read_text()


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "says"),
    [
        ("GET", "/api/studies/other/objective", None, 404, "not 'other'"),
        ("POST", "/api/studies/other/trials", {"worker": WORKER}, 404, "not 'other'"),
        ("POST", "/api/studies/s/trials/-1/call", {}, 404, "bad trial number"),
        ("POST", "/api/studies/s/trials/x/heartbeat", {}, 404, "bad trial number"),
        (
            "POST",
            "/api/studies/s/trials/99/call",
            {"token": "t", "method": "should_prune"},
            404,
            "no trial 99",
        ),
        ("POST", "/api/studies/s/objective", {"source": "print(1)"}, 404, "no API route"),
        ("POST", "/api/studies/s/trials/0/delete", {}, 404, "no API route"),
        ("GET", "/api/studies/s/trials", None, 404, "no API route"),
        ("GET", "/api/", None, 404, "no API route"),
        ("POST", "/api/studies/s/trials", [1, 2], 400, "JSON object"),
        ("POST", "/api/studies/s/trials", {"worker": "me"}, 400, "worker must be an object"),
        ("POST", "/js_bridge/study/index.html", {}, 405, "POST is for the API"),
    ],
)
def test_refuses_what_is_not_its_route_or_study(study, method, path, body, status, says):
    _, url = study
    data = None if body is None else json.dumps(body).encode()
    got, answer = send(url + path, method, data)
    assert got == status, answer
    assert says in answer["error"]


def test_refuses_oversize_and_non_json_bodies(study):
    _, url = study
    status, answer = send(f"{url}/api/studies/s/trials", "POST", b"x" * (MAX_BODY + 1))
    assert status == 413 and f"over the API's {MAX_BODY}" in answer["error"]
    status, answer = send(
        f"{url}/api/studies/s/trials", "POST", b"worker=1", "application/x-www-form-urlencoded"
    )
    assert status == 415 and "application/json" in answer["error"]
    status, answer = send(f"{url}/api/studies/s/trials", "POST", b"{nope")
    assert status == 400 and "not JSON" in answer["error"]


def test_refuses_a_foreign_host_header(study):
    _, url = study
    request = urllib.request.Request(f"{url}/api/study", headers={"Host": "evil.example"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(request, timeout=30)
    assert e.value.code == 421 and "Host not served here" in e.value.read().decode()


def test_a_trial_answers_only_its_token_and_its_methods(study):
    _, url = study
    client = StudyClient(url, "s", patience=0)
    claim = client.claim(WORKER)
    number, token = claim["trial"], claim["token"]
    assert client.call(number, token, "suggest_int", {"name": "k", "low": 1, "high": 1}) == 1
    refusals = [
        ((number, "not the token", "should_prune", {}), 403, "token does not match"),
        ((number, token, "delete", {}), 400, "unknown trial method 'delete'"),
        (
            (number, token, "suggest_float", {"name": "x", "low": 0, "high": 1, "seed": 1}),
            400,
            "unexpected arguments ['seed']",
        ),
        (
            (number, token, "suggest_float", {"name": "x", "low": 2, "high": 1}),
            400,
            "suggest_float:",
        ),
    ]
    for args, status, says in refusals:
        with pytest.raises(StudyApiError) as e:
            client.call(*args)
        assert e.value.status == status and says in e.value.reason
    with pytest.raises(StudyApiError, match="finite number"):
        client.finish(number, token, "complete", "1.0")
    assert client.finish(number, token, "complete", 1.5) == "complete"
    with pytest.raises(StudyApiError) as e:
        client.call(number, token, "should_prune", {})
    assert e.value.status == 409 and "is complete, not running" in e.value.reason


def test_the_study_is_done_after_n_trials_and_waits_on_running_ones(study):
    service, url = study
    client = StudyClient(url, "s", patience=0)
    claims = [client.claim(WORKER) for _ in range(3)]
    assert [c["status"] for c in claims] == ["run"] * 3
    assert client.claim(WORKER)["status"] == "wait"  # three running trials may finish it
    for c in claims:
        client.finish(c["trial"], c["token"], "complete", 0.0)
    assert client.claim(WORKER) == {"status": "done"}
    trials = service.study.get_trials()
    assert all(t.user_attrs["adapter"] == "test adapter" for t in trials)


def test_a_trial_without_heartbeats_fails_and_runs_again_with_its_parameters(study_with_grace):
    service, url = study_with_grace(1)
    client = StudyClient(url, "s", patience=0)
    lost = client.claim({**WORKER, "worker": "gone"})
    x = client.call(
        lost["trial"], lost["token"], "suggest_float", {"name": "x", "low": 0.0, "high": 1.0}
    )
    time.sleep(2.5)  # past the grace period: no heartbeat came
    retry = client.claim(WORKER)
    assert retry["status"] == "run" and retry["retry_of"] == lost["trial"]
    assert retry["params"] == {"x": x}
    assert (
        client.call(
            retry["trial"], retry["token"], "suggest_float", {"name": "x", "low": 0.0, "high": 1.0}
        )
        == x
    )
    with pytest.raises(StudyApiError) as e:  # the lost worker comes back: too late
        client.finish(lost["trial"], lost["token"], "complete", 1.0)
    assert e.value.status == 409
    states = {t.number: t.state for t in service.study.get_trials()}
    assert states[lost["trial"]] == TrialState.FAIL
    assert service.study.get_trials()[retry["trial"]].user_attrs["worker"] == "w1"


def test_heartbeats_keep_a_slow_trial(study_with_grace):
    service, url = study_with_grace(2)
    client = StudyClient(url, "s", patience=0)
    claim = client.claim(WORKER)
    for _ in range(8):  # 4 s, twice the grace period
        time.sleep(0.5)
        client.heartbeat(claim["trial"], claim["token"])
    assert service.fail_stale() == []
    assert client.finish(claim["trial"], claim["token"], "complete", 2.0) == "complete"


def test_the_server_refuses_an_objective_file_without_objective(tmp_path):
    from wgpy_runtime.study.__main__ import check_objective

    bad = tmp_path / "bad.py"
    bad.write_text("def fit(trial):\n    return 1\n")
    with pytest.raises(SystemExit, match="defines no top-level `def objective"):
        check_objective(bad)
    bad.write_text("def objective(trial:\n")
    with pytest.raises(SystemExit, match=r"bad.py:1:\d+: syntax error"):
        check_objective(bad)


OUTCOMES = """
import optuna


def objective(trial):
    x = trial.suggest_int("x", 0, 2)
    trial.report(float(x), 0)
    if trial.number == 1:
        raise optuna.TrialPruned()
    if trial.number == 2:
        raise RuntimeError("the objective broke")
    trial.set_user_attr("seen", x)
    return x * 0.5
"""


@pytest.fixture
def device_restored(monkeypatch):
    """A worker makes its backend the process's device and WGPY_BACKEND (as a worker
    process should); the tests after this one get theirs back."""
    from wgpy_runtime import device as devices

    monkeypatch.setitem(os.environ, "WGPY_BACKEND", os.environ.get("WGPY_BACKEND", "webgpu"))
    current = devices.set_device(None)  # (set_device answers the device it replaces)
    devices.set_device(current)
    yield
    devices.set_device(current)


def test_a_native_worker_completes_prunes_and_fails_trials(tmp_path, device_restored):
    """The worker's loop (as a browser runs it, here on the native device): a pruned
    trial ends pruned, an objective's exception fails its trial with the traceback."""
    pytest.importorskip("wgpu")
    from wgpy_runtime.study.worker import Worker

    objective = tmp_path / "outcomes.py"
    objective.write_text(OUTCOMES)
    config = StudyConfig(storage=f"sqlite:///{tmp_path / 'o.db'}", study_name="o", n_trials=3)
    service = StudyService(config)
    server, url = serve_study_in_background(service, objective, log=lambda line: None)
    try:
        worker = Worker(StudyClient(url, "o"), "webgpu")
        worker.start()
        ran = worker.run(heartbeat_interval=1)
    finally:
        stop(server)
    assert [r["state"] for r in ran] == ["complete", "pruned", "fail", "complete"]
    trials = service.study.get_trials()
    assert "RuntimeError: the objective broke" in trials[2].system_attrs["fail_reason"]
    assert trials[0].user_attrs["seen"] == trials[0].params["x"]
    assert trials[0].value == trials[0].params["x"] * 0.5
    assert trials[1].intermediate_values == {0: float(trials[1].params["x"])}
