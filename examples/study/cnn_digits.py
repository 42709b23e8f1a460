"""The wgpy paper's search, as an Optuna objective: a small CNN whose layer widths are
chosen from {4, 16, 64, 256}, trained for one epoch with Chainer on wgpy_runtime's GPU
arrays (through the cupy shim), on digits drawn here (no downloads); the test accuracy
is the value (run the study with `--direction maximize`).

It needs NumPy and Chainer where it runs: a browser whose Pyodide has them (a full
Pyodide distribution, `--pyodide-dist`, and Chainer's wheel), or a native worker
(`python -m wgpy_runtime.study.worker URL` in an environment with Chainer,
e.g. .venv-chainer).
"""

import numpy as np

import wgpy_runtime.cupy_shim

wgpy_runtime.cupy_shim.install()  # before Chainer: its GPU paths then run on wgpy_runtime

import chainer  # noqa: E402 - after the shim, as said above
import chainer.functions as F  # noqa: E402
import chainer.links as L  # noqa: E402

WIDTHS = [4, 16, 64, 256]
SIZE = 16  # images are SIZE x SIZE, one channel
TRAIN, TEST, BATCH = 800, 200, 20
# 5 x 7 glyphs of the ten digits, one string of 7 rows of 5 bits each
GLYPHS = [
    "01110 10001 10011 10101 11001 10001 01110",
    "00100 01100 00100 00100 00100 00100 01110",
    "01110 10001 00001 00010 00100 01000 11111",
    "11110 00001 00001 01110 00001 00001 11110",
    "00010 00110 01010 10010 11111 00010 00010",
    "11111 10000 11110 00001 00001 10001 01110",
    "00110 01000 10000 11110 10001 10001 01110",
    "11111 00001 00010 00100 01000 01000 01000",
    "01110 10001 10001 01110 10001 10001 01110",
    "01110 10001 10001 01111 00001 00010 01100",
]


def digits(n: int, seed: int):
    """(images float32 (n, 1, SIZE, SIZE), labels int32 (n,)): each digit's glyph drawn
    twice its size, moved by up to a pixel each way, its ink scaled, noise over all."""
    rng = np.random.RandomState(seed)
    glyphs = np.array([[[int(b) for b in row] for row in g.split()] for g in GLYPHS], np.float32)
    glyphs = glyphs.repeat(2, axis=1).repeat(2, axis=2)  # 14 x 10
    labels = rng.randint(0, 10, n).astype(np.int32)
    images = np.zeros((n, 1, SIZE, SIZE), np.float32)
    for k, label in enumerate(labels):
        y, x = 1 + rng.randint(-1, 2), 3 + rng.randint(-1, 2)
        images[k, 0, y : y + 14, x : x + 10] = glyphs[label] * rng.uniform(0.6, 1.0)
    images += rng.normal(0, 0.3, images.shape).astype(np.float32)
    return images, labels


class CNN(chainer.Chain):
    def __init__(self, conv1: int, conv2: int, hidden: int) -> None:
        super().__init__()
        with self.init_scope():
            self.conv1 = L.Convolution2D(1, conv1, 3, pad=1)
            self.conv2 = L.Convolution2D(conv1, conv2, 3, pad=1)
            self.fc = L.Linear(None, hidden)
            self.out = L.Linear(hidden, 10)

    def forward(self, x):
        h = F.max_pooling_2d(F.relu(self.conv1(x)), 2)
        h = F.max_pooling_2d(F.relu(self.conv2(h)), 2)
        return self.out(F.relu(self.fc(h)))


def objective(trial) -> float:
    widths = [trial.suggest_categorical(name, WIDTHS) for name in ("conv1", "conv2", "hidden")]
    lr = trial.suggest_float("lr", 1e-3, 3e-2, log=True)
    model = L.Classifier(CNN(*widths))
    model.to_gpu()
    optimizer = chainer.optimizers.Adam(alpha=lr)
    optimizer.setup(model)
    xp = model.xp
    x, t = digits(TRAIN, seed=trial.number)
    for step, first in enumerate(range(0, TRAIN, BATCH)):  # one epoch
        batch = slice(first, first + BATCH)
        optimizer.update(model, xp.asarray(x[batch]), xp.asarray(t[batch]))
        trial.report(float(model.loss.array), step)
    x_test, t_test = digits(TEST, seed=10_000)  # the same test digits for every trial
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        y = chainer.backends.cuda.to_cpu(model.predictor(xp.asarray(x_test)).array)
    return float((y.argmax(axis=1) == t_test).mean())
