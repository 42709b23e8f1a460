"""The suite's per-test alarm (tools/chainer_suite_plugin.py) never raises inside the
device layer: a test cut off between two driver calls could leave the device broken for
the next test (a crash of the whole run on WebGL), so the alarm waits for the next tick.

Rule: frames are made with the file names the plugin looks for; nothing here runs a GPU.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import chainer_suite_plugin as plugin  # noqa: E402


def _frame_in(filename: str, recorder):
    """Call the recorder's alarm from a function whose code says it is in `filename`."""
    code = compile(
        "def alarm(r, frame):\n    r._alarm(signal.SIGALRM, frame())\n", filename, "exec"
    )
    scope = {"signal": signal}
    exec(code, scope)
    return lambda: scope["alarm"](recorder, sys._getframe)


def _expired(recorder):
    recorder.active, recorder.deadline = True, time.monotonic() - 1


@pytest.mark.parametrize(
    "filename",
    ["/x/wgpy_runtime/device/webgl.py", "/site/moderngl/__init__.py", "/site/wgpu/_api.py"],
)
def test_the_alarm_waits_outside_the_device_layer(filename):
    recorder = plugin.Recorder(Path("unused.jsonl"), timeout=1)
    _expired(recorder)
    _frame_in(filename, recorder)()  # no exception: deferred to the next tick
    with pytest.raises(plugin.SuiteTimeout, match="limit of 1 s"):
        _frame_in("/x/chainer/functions/activation/tanh.py", recorder)()


def test_the_alarm_is_quiet_before_the_deadline_and_outside_a_phase():
    recorder = plugin.Recorder(Path("unused.jsonl"), timeout=1)
    recorder.active, recorder.deadline = True, time.monotonic() + 60
    recorder._alarm(signal.SIGALRM, sys._getframe())
    _expired(recorder)
    recorder.active = False  # a teardown
    recorder._alarm(signal.SIGALRM, sys._getframe())
