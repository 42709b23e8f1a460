"""`trial` as an objective running in a worker sees it: Optuna's define-by-run methods,
each a synchronous call that runs on the real trial in the study server.

Rule: the proxy keeps no sampling logic; what it knows (params, user_attrs) is what the
server answered. Only the methods the server's allow-list names exist here.
"""

from __future__ import annotations

import sys
import time
import types


class TrialPruned(Exception):
    """Raised by an objective to end its trial as pruned (optuna.TrialPruned where
    Optuna is not installed, as in a browser)."""


def pruned_exceptions() -> tuple[type[BaseException], ...]:
    """The exception types that mean "pruned": ours, and Optuna's when it is here."""
    try:
        import optuna  # optional: absent in Pyodide workers
    except ImportError:
        return (TrialPruned,)
    return (TrialPruned, optuna.TrialPruned)


def install_optuna_standin() -> None:
    """Where Optuna is not installed (Pyodide), let objectives `import optuna` for what
    they use of it inside a trial: `optuna.TrialPruned` and the `optuna.Trial` name."""
    try:
        import optuna  # noqa: F401
    except ImportError:
        module = types.ModuleType("optuna", "Optuna's names an objective uses in a worker.")
        module.TrialPruned = TrialPruned
        module.Trial = TrialProxy
        module.exceptions = types.SimpleNamespace(TrialPruned=TrialPruned)
        module.trial = types.SimpleNamespace(Trial=TrialProxy)
        sys.modules["optuna"] = module


class TrialProxy:
    """One running trial of the study, reached through `client` (a StudyClient).
    `calls` and `call_seconds` count the round trips, for measurements."""

    def __init__(self, client, number: int, token: str, on_call=None) -> None:
        self._client = client
        self._token = token
        self._on_call = on_call  # on_call(method, args, value): the page shows progress
        self.number = number
        self.params: dict = {}
        self.user_attrs: dict = {}
        self.intermediate_values: dict[int, float] = {}
        self.calls = 0
        self.call_seconds = 0.0

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        return self._suggest("suggest_float", name=name, low=low, high=high, step=step, log=log)

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        return self._suggest("suggest_int", name=name, low=low, high=high, step=step, log=log)

    def suggest_categorical(self, name: str, choices):
        return self._suggest("suggest_categorical", name=name, choices=list(choices))

    def report(self, value: float, step: int) -> None:
        self._call("report", value=float(value), step=int(step))
        self.intermediate_values[int(step)] = float(value)

    def should_prune(self) -> bool:
        return bool(self._call("should_prune"))

    def set_user_attr(self, key: str, value) -> None:
        self._call("set_user_attr", key=key, value=value)
        self.user_attrs[key] = value

    def _suggest(self, method: str, name: str, **args):
        value = self._call(method, name=name, **args)
        self.params[name] = value
        return value

    def _call(self, method: str, **args):
        start = time.perf_counter()
        value = self._client.call(self.number, self._token, method, args)
        self.call_seconds += time.perf_counter() - start
        self.calls += 1
        if self._on_call is not None:
            self._on_call(method, args, value)
        return value

    def __repr__(self) -> str:
        return f"TrialProxy(number={self.number}, params={self.params})"
