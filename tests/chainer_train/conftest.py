"""`tests/chainer_train/inner` needs Chainer 7.8.1, which needs numpy<2: it is collected
only where both import (`.venv-chainer`, built by `tools/chainer_env.sh`); the main suite
runs it there through `test_chainer_venv.py`."""

from __future__ import annotations

import importlib.util

import numpy as np

_CHAINER_HERE = int(np.__version__.split(".")[0]) < 2 and importlib.util.find_spec("chainer")
collect_ignore = [] if _CHAINER_HERE else ["inner"]
