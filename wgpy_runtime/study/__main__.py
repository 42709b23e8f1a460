"""`python -m wgpy_runtime.study OBJECTIVE.py`: serve an Optuna study whose trials run in
the browsers that open its worker page (docs/study.md)."""

from __future__ import annotations

import argparse
import ast
from functools import partial
from pathlib import Path

from .server import make_study_server


def check_objective(path: Path) -> None:
    """The file must parse and define `objective` at its top level: workers would fail
    every trial otherwise, so the server refuses to start."""
    try:
        tree = ast.parse(path.read_text(), str(path))
    except OSError as e:
        raise SystemExit(f"cannot read the objective file: {e}") from None
    except SyntaxError as e:
        raise SystemExit(f"{path}:{e.lineno}:{e.offset}: syntax error: {e.msg}") from None
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    if "objective" not in names:
        raise SystemExit(f"{path} defines no top-level `def objective(trial)`")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m wgpy_runtime.study", description=__doc__)
    p.add_argument("objective", type=Path, help="a Python file defining objective(trial)")
    p.add_argument(
        "--storage",
        default="sqlite:///study.db",
        help="Optuna's storage URL (default sqlite:///study.db; "
        "postgresql+psycopg://user@host/db for a team)",
    )
    p.add_argument("--study", help="the study's name (default: the objective file's stem)")
    p.add_argument(
        "--n-trials",
        type=int,
        default=64,
        help="finished trials (complete or pruned) that end the study",
    )
    p.add_argument("--direction", choices=("minimize", "maximize"), default="minimize")
    p.add_argument("--sampler", choices=("tpe", "random"), default="tpe")
    p.add_argument("--pruner", choices=("none", "median"), default="none")
    p.add_argument("--seed", type=int, help="the sampler's seed")
    p.add_argument("--heartbeat-interval", type=int, default=5, metavar="S")
    p.add_argument(
        "--grace-period",
        type=int,
        default=15,
        metavar="S",
        help="seconds without a heartbeat before a trial fails and is queued again",
    )
    p.add_argument("--max-retry", type=int, default=3)
    p.add_argument(
        "--host", default="127.0.0.1", help="the address to bind (default: this machine only)"
    )
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another Host header name to answer (e.g. this machine's DNS name)",
    )
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--pyodide-dist",
        metavar="DIR",
        help="a Pyodide distribution (a full one brings NumPy); default: node_modules/pyodide",
    )
    p.add_argument("--verbose", action="store_true", help="log every request")
    return p


def main(argv: list[str] | None = None) -> None:
    from .service import StudyConfig, StudyService  # optuna: the server's side only

    args = parser().parse_args(argv)
    check_objective(args.objective)
    config = StudyConfig(
        storage=args.storage,
        study_name=args.study or args.objective.stem,
        n_trials=args.n_trials,
        direction=args.direction,
        sampler=args.sampler,
        pruner=args.pruner,
        seed=args.seed,
        heartbeat_interval=args.heartbeat_interval,
        grace_period=args.grace_period,
        max_retry=args.max_retry,
    )
    try:
        service = StudyService(config)
    except ValueError as e:
        raise SystemExit(f"cannot open the study: {e}") from None
    try:
        server = make_study_server(
            service,
            args.objective.resolve(),
            args.port,
            args.host,
            args.pyodide_dist,
            args.verbose,
            partial(print, flush=True),
            tuple(h.lower() for h in args.allow_host),
        )
    except OSError as e:
        raise SystemExit(f"cannot listen on {args.host}:{args.port}: {e.strerror}") from None
    host, port = server.server_address[:2]
    s = service.summary()
    print(
        f"study {config.study_name!r} in {config.storage}: {s['finished']}/{config.n_trials} "
        f"finished; workers open http://{host}:{port}/",
        flush=True,
    )
    server.watcher.start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop_watching()
        server.server_close()


if __name__ == "__main__":
    main()
