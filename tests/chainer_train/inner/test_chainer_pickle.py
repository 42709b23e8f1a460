"""Chainer links and arrays on the device through `pickle` and `copy.deepcopy` (as with
CuPy, they come back on the device), and a backward through basic slices
(`F.sum(v[1:3, ::2])`, which scatter-adds with slices only).

Rule: runs inside `.venv-chainer`; each GPU result is compared with CPU Chainer's.
"""

from __future__ import annotations

import copy
import os
import pickle

import numpy as np
import pytest

from wgpy_runtime import cupy_shim
from wgpy_runtime import device as devices

cupy = cupy_shim.install()
import chainer
import chainer.functions as F
import chainer.links as L
from chainer.backends import cuda

BACKENDS = tuple(b for b in devices.BACKENDS if os.environ.get("WGPY_BACKEND", b) == b)


@pytest.fixture(params=BACKENDS, autouse=True)
def backend(request):
    previous = devices.set_device(request.param)
    yield request.param
    devices.set_device(previous)


def _model():
    model = chainer.Sequential(L.Linear(4, 3), F.relu, L.BatchNormalization(3))
    model.to_device(chainer.get_device(f"@cupy:{devices.get_device().id}"))
    x = cupy.asarray(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
    model(x)  # BatchNormalization's running statistics now hold device arrays too
    return model, x


@pytest.mark.parametrize(
    "clone", [lambda m: pickle.loads(pickle.dumps(m)), copy.deepcopy], ids=["pickle", "deepcopy"]
)
def test_link_on_the_device_clones(backend, clone):
    model, x = _model()
    twin = clone(model)
    assert twin.device == model.device
    for (name, p), (_, q) in zip(sorted(model.namedparams()), sorted(twin.namedparams())):
        assert isinstance(q.array, cupy.ndarray) and q.array is not p.array, name
        assert q.array.device.name == backend
        np.testing.assert_array_equal(q.array.get(), p.array.get())
    bn, bn_twin = model[2], twin[2]
    np.testing.assert_array_equal(bn_twin.avg_mean.get(), bn.avg_mean.get())
    with chainer.using_config("train", False):
        np.testing.assert_array_equal(twin(x).array.get(), model(x).array.get())


def test_array_pickle_keeps_its_backend(backend):
    other = [b for b in devices.BACKENDS if b != backend][0]
    a = cupy.asarray(np.arange(6, dtype=np.float16).reshape(2, 3), device=devices.get_device(other))
    b = pickle.loads(pickle.dumps(a[:, 1:]))
    assert b.device.name == other and b.dtype == np.float16 and b.flags.c_contiguous
    np.testing.assert_array_equal(b.get(), np.arange(6).reshape(2, 3)[:, 1:])


def test_backward_through_basic_slices():
    x = np.arange(20, dtype=np.float32).reshape(4, 5)

    def grad(xp_x):
        v = chainer.Variable(xp_x)
        F.sum(v[1:3, ::2] * v[1:3, ::2]).backward()
        return cuda.to_cpu(v.grad)

    np.testing.assert_array_equal(grad(cuda.to_gpu(x)), grad(x))
