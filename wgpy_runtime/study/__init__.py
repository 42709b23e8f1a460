"""Many browsers, one study: an Optuna study whose trials run in browser workers.

`python -m wgpy_runtime.study OBJECTIVE.py` serves the study (service.py: the study in
Optuna's relational storage; server.py: its HTTP API and the worker page); a browser that
opens the page becomes a worker (worker.py, client.py and proxy.py run in its Pyodide).

Rule: importing this package imports nothing of optuna, so the worker's modules load in
a Pyodide that has neither optuna nor NumPy.
"""
