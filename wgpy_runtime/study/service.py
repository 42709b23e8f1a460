"""The study's side of the API: an Optuna study in relational storage, handed out one
trial at a time to workers that run the objective elsewhere (a browser), with the trial's
own methods (`suggest_*`, `report`, `should_prune`, `set_user_attr`) run here for them.

Rule: the storage is the only state that matters. A trial is named by its number and
proved by a token whose hash lives in the trial's system attributes, so a restarted
server, or a second server on the same PostgreSQL study, serves a trial it did not hand
out. Heartbeats are Optuna's: a trial without one for the grace period fails and
`RetryHeartbeatStaleTrialCallback` queues it again with the same parameters.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import warnings
from dataclasses import dataclass

import optuna
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.study import StudyDirection
from optuna.trial import TrialState

TOKEN_ATTR = "wgpy:token_sha256"
WORKER_ATTRS = ("worker", "adapter", "backend")  # what a worker says of itself
SAMPLERS = {"tpe": optuna.samplers.TPESampler, "random": optuna.samplers.RandomSampler}
PRUNERS = {"none": optuna.pruners.NopPruner, "median": optuna.pruners.MedianPruner}
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


class ApiError(Exception):
    """A request the study refuses; `status` is the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class StudyConfig:
    storage: str  # an SQLAlchemy URL: sqlite:///study.db, postgresql+psycopg://...
    study_name: str
    n_trials: int  # finished (complete or pruned) trials after which workers stop
    direction: str = "minimize"
    sampler: str = "tpe"
    pruner: str = "none"
    seed: int | None = None
    heartbeat_interval: int = 5  # seconds; the worker page beats this often
    grace_period: int = 15  # seconds without a beat before a running trial fails
    max_retry: int = 3  # times a stale trial is queued again


# The trial methods a worker may call, each with the keyword arguments it may pass.
CALLS = {
    "suggest_float": {"name", "low", "high", "step", "log"},
    "suggest_int": {"name", "low", "high", "step", "log"},
    "suggest_categorical": {"name", "choices"},
    "report": {"value", "step"},
    "should_prune": set(),
    "set_user_attr": {"key", "value"},
}


class StudyService:
    """One study, its trials handed to workers. Every method is safe to call from the
    HTTP server's threads (one lock: SQLite allows one writer, and a claim must not race
    the count that decides whether the study is done)."""

    def __init__(self, config: StudyConfig) -> None:
        if config.n_trials < 1:
            raise ValueError(f"n_trials must be at least 1, not {config.n_trials}")
        for what, table, key in (
            ("sampler", SAMPLERS, config.sampler),
            ("pruner", PRUNERS, config.pruner),
        ):
            if key not in table:
                raise ValueError(f"unknown {what} {key!r} (one of {', '.join(table)})")
        self.config = config
        self.lock = threading.RLock()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            storage = RDBStorage(
                config.storage,
                heartbeat_interval=config.heartbeat_interval,
                grace_period=config.grace_period,
                heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(config.max_retry),
            )
        sampler = SAMPLERS[config.sampler](seed=config.seed)
        self.study = optuna.create_study(
            storage=storage,
            study_name=config.study_name,
            direction=config.direction,
            sampler=sampler,
            pruner=PRUNERS[config.pruner](),
            load_if_exists=True,
        )
        self.storage = self.study._storage
        self._trials: dict[int, optuna.Trial] = {}  # trial number -> live Trial
        self._tokens: dict[int, str] = {}  # trial number -> token hash

    # ----------------------------------------------------------------------- the study

    def summary(self) -> dict:
        with self.lock:
            trials = self.study.get_trials(deepcopy=False)
        counts = {state.name.lower(): 0 for state in TrialState}
        for t in trials:
            counts[t.state.name.lower()] += 1
        best = self._best(trials)
        return {
            "study": self.config.study_name,
            "direction": self.study.direction.name.lower(),
            "n_trials": self.config.n_trials,
            "counts": counts,
            "finished": counts["complete"] + counts["pruned"],
            "heartbeat_interval": self.config.heartbeat_interval,
            "best": best,
        }

    def _best(self, trials) -> dict | None:
        done = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
        if not done:
            return None
        pick = min if self.study.direction == StudyDirection.MINIMIZE else max
        t = pick(done, key=lambda t: t.value)
        return {"number": t.number, "value": t.value, "params": t.params}

    def fail_stale(self) -> list[int]:
        """Fail the running trials whose heartbeat is older than the grace period (their
        retries are queued by the storage's callback); returns their numbers."""
        with self.lock:
            before = {t.number for t in self._running()}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                optuna.storages.fail_stale_trials(self.study)
            failed = {t.number for t in self._states(TrialState.FAIL)} & before
            for number in failed:
                self._forget(number)
            return sorted(failed)

    def _running(self):
        return self._states(TrialState.RUNNING)

    def _states(self, state: TrialState):
        return self.study.get_trials(deepcopy=False, states=(state,))

    # ---------------------------------------------------------------------- the trials

    def claim(self, worker: dict) -> dict:
        """The next trial for `worker` ({"worker", "adapter", "backend"} strings): a
        queued retry first, else a new one from the sampler; "wait" while the running
        trials may still finish the study, "done" once it is."""
        worker = _worker_attrs(worker)
        with self.lock:
            self.fail_stale()
            states = [t.state for t in self.study.get_trials(deepcopy=False)]
            finished = sum(s in FINISHED for s in states)
            if finished >= self.config.n_trials:
                return {"status": "done"}
            waiting = TrialState.WAITING in states
            if not waiting and finished + states.count(TrialState.RUNNING) >= self.config.n_trials:
                return {"status": "wait", "retry_after": self.config.heartbeat_interval}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "heartbeat is meant for optimize()"
                trial = self.study.ask()
            token = secrets.token_urlsafe(24)
            self.storage.record_heartbeat(trial._trial_id)
            self.storage.set_trial_system_attr(trial._trial_id, TOKEN_ATTR, _hash(token))
            for key, value in worker.items():
                trial.set_user_attr(key, value)
            self._trials[trial.number] = trial
            self._tokens[trial.number] = _hash(token)
            frozen = self.storage.get_trial(trial._trial_id)  # a retry has its params
            return {
                "status": "run",
                "trial": trial.number,
                "token": token,
                "retry_of": frozen.system_attrs.get("failed_trial"),
                "params": frozen.params,
            }

    def call(self, number: int, token: str, method: str, args: dict):
        """Run `trial.<method>(**args)` on trial `number` and return its JSON-ready value."""
        allowed = CALLS.get(method)
        if allowed is None:
            raise ApiError(400, f"unknown trial method {method!r} (one of {', '.join(CALLS)})")
        if not isinstance(args, dict) or not set(args) <= allowed:
            extra = sorted(set(args) - allowed) if isinstance(args, dict) else args
            raise ApiError(400, f"{method}: unexpected arguments {extra!r}")
        with self.lock:
            trial = self._live(number, token)
            try:
                value = getattr(trial, method)(**args)
            except (TypeError, ValueError, NotImplementedError) as e:
                raise ApiError(400, f"{method}: {e}") from None
            except optuna.exceptions.UpdateFinishedTrialError as e:
                raise ApiError(409, f"trial {number} is already finished: {e}") from None
        return value

    def heartbeat(self, number: int, token: str) -> None:
        with self.lock:
            trial = self._live(number, token)
            self.storage.record_heartbeat(trial._trial_id)

    def finish(self, number: int, token: str, state: str, value=None, reason: str = "") -> str:
        """End trial `number`: "complete" with its value, "pruned", or "fail" with the
        reason (the objective's exception); returns the state the storage holds."""
        states = {
            "complete": TrialState.COMPLETE,
            "pruned": TrialState.PRUNED,
            "fail": TrialState.FAIL,
        }
        if state not in states:
            raise ApiError(400, f"unknown final state {state!r} (one of {', '.join(states)})")
        if state == "complete" and not _is_number(value):
            raise ApiError(400, f"a complete trial needs a finite number as value, not {value!r}")
        with self.lock:
            trial = self._live(number, token)
            if state == "fail":
                self.storage.set_trial_system_attr(
                    trial._trial_id, "fail_reason", str(reason)[:2000]
                )
            try:
                frozen = self.study.tell(
                    trial, float(value) if state == "complete" else None, state=states[state]
                )
            except (TypeError, ValueError, RuntimeError) as e:
                raise ApiError(400, f"finish: {e}") from None
            self._forget(number)
            return frozen.state.name.lower()

    def _live(self, number: int, token: str) -> optuna.Trial:
        """The running trial `number` if `token` is its token; the Trial is rebuilt from
        storage when this server did not hand it out (a restart, another server)."""
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise ApiError(404, f"no trial {number!r} in study {self.config.study_name!r}")
        trial = self._trials.get(number)
        if trial is not None:
            trial_id, expected = trial._trial_id, self._tokens[number]
        else:
            trial_id = self._trial_id(number)
            expected = self.storage.get_trial_system_attrs(trial_id).get(TOKEN_ATTR, "")
        if not isinstance(token, str) or not hmac.compare_digest(_hash(token), expected):
            raise ApiError(403, f"the token does not match trial {number}")
        state = self.storage.get_trial(trial_id).state
        if state != TrialState.RUNNING:
            self._forget(number)
            raise ApiError(
                409,
                f"trial {number} is {state.name.lower()}, not running "
                "(a trial whose heartbeat stopped fails and is run again)",
            )
        if number not in self._trials:
            self._trials[number] = optuna.Trial(self.study, trial_id)
            self._tokens[number] = expected
        return self._trials[number]

    def _trial_id(self, number: int) -> int:
        try:
            return self.storage.get_trial_id_from_study_id_trial_number(
                self.study._study_id, number
            )
        except KeyError:
            raise ApiError(404, f"no trial {number} in study {self.config.study_name!r}") from None

    def _forget(self, number: int) -> None:
        self._trials.pop(number, None)
        self._tokens.pop(number, None)


def _worker_attrs(worker) -> dict[str, str]:
    if not isinstance(worker, dict):
        raise ApiError(400, "worker must be an object with worker, adapter and backend")
    out = {}
    for key in WORKER_ATTRS:
        value = worker.get(key, "")
        if not isinstance(value, str) or len(value) > 200:
            raise ApiError(400, f"worker.{key} must be a string of at most 200 characters")
        out[key] = value
    return out


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
