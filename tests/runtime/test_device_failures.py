"""A failure reported at a sync point names the command that waited and the kernel (or,
when the failure itself names none, the kernels given since the last answer): on the
browser device (a transport that fails as a timed-out or closed page does) and on the
native WebGPU device (an error the GPU reports at the wait).
"""

from __future__ import annotations

import pytest

import kernelc
from wgpy_runtime.device import DeviceError
from wgpy_runtime.device.browser import BrowserDevice
from wgpy_runtime.device.dense import dense_values


class SilentPage:
    """A transport whose hello answers and whose every later wait fails like a page that
    stopped answering."""

    capacity = 1 << 20

    def __init__(self) -> None:
        self.sent = []

    def post(self, text, blobs) -> None:
        self.sent.append(text)

    def request(self, text, blobs) -> bytes:
        if '"hello"' in text:
            return b'{"backend": "webgpu", "limits": {}}'
        raise TimeoutError("no answer within 120 s and no progress")


def _program(target: str, name: str):
    return kernelc.translate_elementwise(
        "float32 x", "float32 y", "y = x;", name=name, target=target
    )


def test_a_browser_wait_that_fails_names_the_command_and_the_kernels():
    dev = BrowserDevice("webgpu", SilentPage())
    x, y = dev.alloc(8, "float32"), dev.alloc(8, "float32")
    program = _program("wgsl", "stuck_one")
    dev.dispatch(program, {"x": x, "y": y}, dense_values(program.abi, (8,)))
    with pytest.raises(DeviceError) as raised:
        dev.synchronize()
    message = str(raised.value)
    assert message.startswith("webgpu: sync: no answer within 120 s"), message
    assert "kernels since the last answer: 'stuck_one'" in message
    with pytest.raises(DeviceError) as again:  # the trail starts again after each answer
        dev.read(x, 0, 8)
    assert "stuck_one" not in str(again.value) and "webgpu: read:" in str(again.value)


def test_a_native_webgpu_failure_at_a_wait_names_the_kernels_before_it(monkeypatch):
    from wgpy_runtime.device import create_device

    try:
        dev = create_device("webgpu")
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"no native WebGPU: {e}")
    program = _program("wgsl", "reported_late")
    x, y = dev.alloc(8, "float32"), dev.alloc(8, "float32")
    dev.dispatch(program, {"x": x, "y": y}, dense_values(program.abi, (8,)))

    def fails(*args):
        raise dev._wgpu.GPUError("device lost")

    monkeypatch.setattr(dev._device, "_poll_wait", fails, raising=False)
    monkeypatch.setattr(dev._device.queue, "read_buffer", fails, raising=False)
    with pytest.raises(DeviceError) as raised:
        dev.synchronize()
    message = str(raised.value)
    assert message.startswith("synchronize failed: device lost"), message
    assert "'reported_late'" in message
