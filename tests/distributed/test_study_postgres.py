"""Two study servers on one PostgreSQL study (Debian's PostgreSQL, a cluster started and
stopped by the test; skipped with the reason when it cannot start): browser workers on
both share the trials, and no trial is run twice.

Rule: the study is checked in the storage with Optuna, and each server's own progress
lines say which trials it handed out.
"""

from __future__ import annotations

from collections import Counter

import pytest

optuna = pytest.importorskip("optuna")
pytest.importorskip("psycopg")

from optuna.trial import TrialState

from tests.distributed.study_support import OBJECTIVE, ServerProcess, open_worker, wait_done


def test_two_servers_share_one_postgres_study(postgres, worker_browser):
    servers, pages = [], []
    try:
        for _ in range(2):  # the second one loads the study the first created
            servers.append(ServerProcess(OBJECTIVE, postgres.url, "shared", n_trials=6))
        for server in servers:
            pages.append(open_worker(worker_browser, server.url))
        states = wait_done(pages)
    finally:
        for page in pages:
            page.close()
        for server in servers:
            server.stop()

    study = optuna.load_study(study_name="shared", storage=postgres.url)
    trials = study.get_trials()
    assert len(trials) >= 6 and all(t.state == TrialState.COMPLETE for t in trials)
    claims = Counter(n for server in servers for n in server.claims())
    assert sorted(claims) == [t.number for t in trials]
    assert max(claims.values()) == 1, f"a trial was handed out twice: {claims}"
    assert all(server.claims() for server in servers), "one server handed out no trial"
    ran = Counter(f["trial"] for s in states for f in s["finished"])
    assert sorted(ran) == [t.number for t in trials] and max(ran.values()) == 1
