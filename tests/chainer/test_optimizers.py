"""Chainer's optimizer update rules and optimizer hooks (chainer/optimizers,
chainer/optimizer_hooks) run on both targets as `update_core_gpu` and the hooks call them,
against their `update_core_cpu` (CPU) paths in float64.

Rule: one row per update rule: Chainer's default hyperparameters, the scalars exactly as
`update_core_gpu` passes them (Python floats, `1 - rho`, Adam's `alpha_t` and bounds, a
NumPy `eps` for RMSprop, Adam's empty `dummy` array), and the parameter and its state
updated in place. The state is realistic: that of two earlier CPU steps from Chainer's
initial state, then the step compared is the third. A few gradients are zero, as for rows
of an embedding that a batch does not use (MSVAG's `m == 0 && v == 0` branch).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from tests.chainer import refs
from tests.chainer.harness import run_elementwise

SHAPE = (16, 8)
STEP = 3  # the step compared; steps 1 and 2 make the state


# ---------------------------------------------------------------- update_core_cpu, in float64


def sgd(hp, t, g, p, s):
    p -= hp["lr"] * g


def momentum_sgd(hp, t, g, p, s):
    s["v"] *= hp["momentum"]
    s["v"] -= hp["lr"] * g
    p += s["v"]


def corrected_momentum_sgd(hp, t, g, p, s):
    s["v"] *= hp["momentum"]
    s["v"] -= g
    p += hp["lr"] * s["v"]


def nesterov_ag(hp, t, g, p, s):
    s["v"] *= hp["momentum"]
    s["v"] -= hp["lr"] * g
    p += hp["momentum"] ** 2 * s["v"] - (1 + hp["momentum"]) * hp["lr"] * g


def adagrad(hp, t, g, p, s):
    s["h"] += g * g
    p -= hp["lr"] * g / (np.sqrt(s["h"]) + hp["eps"])


def adadelta(hp, t, g, p, s):
    rho, eps = hp["rho"], hp["eps"]
    s["msg"][...] = rho * s["msg"] + (1 - rho) * g * g
    dx = np.sqrt((s["msdx"] + eps) / (s["msg"] + eps)) * g
    s["msdx"][...] = rho * s["msdx"] + (1 - rho) * dx * dx
    p -= dx


def rmsprop(hp, t, g, p, s):
    s["ms"][...] = hp["alpha"] * s["ms"] + (1 - hp["alpha"]) * g * g
    eps = hp["eps"]
    denom = np.sqrt(s["ms"] + eps) if hp["eps_inside_sqrt"] else np.sqrt(s["ms"]) + eps
    p -= hp["lr"] * g / denom


def rmsprop_graves(hp, t, g, p, s):
    a = hp["alpha"]
    s["n"][...] = a * s["n"] + (1 - a) * g * g
    s["g"][...] = a * s["g"] + (1 - a) * g
    s["delta"][...] = hp["momentum"] * s["delta"] - hp["lr"] * g / np.sqrt(
        s["n"] - s["g"] ** 2 + hp["eps"]
    )
    p += s["delta"]


def smorms3(hp, t, g, p, s):
    r = 1 / (s["mem"] + 1)
    s["g"][...] = (1 - r) * s["g"] + r * g
    s["g2"][...] = (1 - r) * s["g2"] + r * g * g
    x = s["g"] ** 2 / (s["g2"] + hp["eps"])
    p -= g * np.minimum(x, hp["lr"]) / (np.sqrt(s["g2"]) + hp["eps"])
    s["mem"][...] = 1 + s["mem"] * (1 - x)


def alpha_t(hp, t):
    return hp["alpha"] * math.sqrt(1 - hp["beta2"] ** t) / (1 - hp["beta1"] ** t)


def adam_bounds(hp, t):
    return (
        hp["final_lr"] * (1 - 1 / (hp["gamma"] * t + 1)),
        hp["final_lr"] * (1 + 1 / (hp["gamma"] * t)),
    )


def adam(hp, t, g, p, s):
    """Adam, AMSGrad (a `vhat` state), AdaBound (`hp["adabound"]`) and AMSBound."""
    s["m"] += (1 - hp["beta1"]) * (g - s["m"])
    s["v"] += (1 - hp["beta2"]) * (g * g - s["v"])
    if "vhat" in s:
        np.maximum(s["vhat"], s["v"], out=s["vhat"])
    step = alpha_t(hp, t) / (np.sqrt(s.get("vhat", s["v"])) + hp["eps"])
    if hp["adabound"]:
        step = np.clip(step, *adam_bounds(hp, t))
    p[...] = p - hp["eta"] * (step * s["m"] + hp["weight_decay_rate"] * p)


def msvag_rho(hp, t):
    bp = hp["beta"] ** t  # beta_power before the update of step t
    return min(
        (1 - hp["beta"]) ** 2 * (1 - bp**2) / ((1 - bp) ** 2 * (1 - hp["beta"] ** 2)), 0.9999
    )


def msvag(hp, t, g, p, s):
    bp, rho = hp["beta"] ** t, msvag_rho(hp, t)
    s["m"] += (1 - hp["beta"]) * (g - s["m"])
    s["v"] += (1 - hp["beta"]) * (g * g - s["v"])
    mt, vt = s["m"] / (1 - bp), s["v"] / (1 - bp)
    with np.errstate(invalid="ignore"):
        factor = np.clip(mt**2 / (mt**2 + rho * (vt - mt**2) / (1 - rho)), 0, 1)
    factor[np.isnan(factor)] = 0
    p -= hp["eta"] * (hp["lr"] * mt * factor + hp["weight_decay_rate"] * p)


# ---------------------------------------------------------------- the rules


@dataclass(frozen=True)
class Rule:
    """One update rule: its kernel, Chainer's defaults, and what update_core_gpu passes."""

    kernel: str
    hp: dict  # Chainer's default hyperparameters
    state: tuple[str, ...]  # the state arrays, in the kernel's order after `param`
    scalars: Callable[[dict, int], tuple]  # what update_core_gpu passes between grad and param
    update: Callable  # update_core_cpu
    origin: str | None = None  # the site, for a kernel name Chainer defines twice
    params: dict | None = None  # the generated instance (RMSprop's denominator)
    ones: tuple[str, ...] = ()  # state that Chainer initialises to ones
    dtype: type = np.float32
    rtol: float = 1e-5


ADAM_HP = {
    "alpha": 0.001,
    "beta1": 0.9,
    "beta2": 0.999,
    "eps": 1e-8,
    "eta": 1.0,
    "weight_decay_rate": 0.0,
    "final_lr": 0.1,
    "gamma": 1e-3,
    "adabound": False,
}
ADABOUND_HP = {**ADAM_HP, "adabound": True}
RMSPROP_HP = {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "eps_inside_sqrt": False}
DUMMY = np.empty((0,), np.float32)  # AdamRule._dummy: binds T, the intermediate dtype


def adam_scalars(hp, t):
    return (
        alpha_t(hp, t),
        1 - hp["beta1"],
        1 - hp["beta2"],
        hp["eps"],
        hp["eta"],
        hp["weight_decay_rate"],
        DUMMY,
    )


def adabound_scalars(hp, t):
    return (
        alpha_t(hp, t),
        1 - hp["beta1"],
        1 - hp["beta2"],
        *adam_bounds(hp, t),
        hp["eps"],
        hp["eta"],
        hp["weight_decay_rate"],
        DUMMY,
    )


def rmsprop_scalars(hp, t):
    return hp["lr"], hp["alpha"], np.float32(hp["eps"])  # grad.dtype.type(hp.eps)


def lr_momentum(hp, t):
    return hp["lr"], hp["momentum"]


ADAM_PY = "chainer/optimizers/adam.py"
RULES = {
    "SGD": Rule("sgd", {"lr": 0.01}, (), lambda hp, t: (hp["lr"],), sgd),
    "MomentumSGD": Rule(
        "momentum_sgd",
        {"lr": 0.01, "momentum": 0.9},
        ("v",),
        lr_momentum,
        momentum_sgd,
        origin="chainer/optimizers/momentum_sgd.py:80",
    ),
    "CorrectedMomentumSGD": Rule(
        "momentum_sgd",
        {"lr": 0.01, "momentum": 0.9},
        ("v",),
        lr_momentum,
        corrected_momentum_sgd,
        origin="chainer/optimizers/corrected_momentum_sgd.py:76",
    ),
    "NesterovAG": Rule(
        "nesterov_ag", {"lr": 0.01, "momentum": 0.9}, ("v",), lr_momentum, nesterov_ag
    ),
    "AdaGrad": Rule(
        "adagrad", {"lr": 0.001, "eps": 1e-8}, ("h",), lambda hp, t: (hp["lr"], hp["eps"]), adagrad
    ),
    "AdaDelta": Rule(
        "adadelta",
        {"rho": 0.95, "eps": 1e-6},
        ("msg", "msdx"),
        lambda hp, t: (1 - hp["rho"], hp["eps"]),
        adadelta,
    ),
    "RMSprop": Rule(
        "rmsprop", RMSPROP_HP, ("ms",), rmsprop_scalars, rmsprop, params={"denom": "line 105"}
    ),
    "RMSprop-eps_inside_sqrt": Rule(
        "rmsprop",
        {**RMSPROP_HP, "eps_inside_sqrt": True},
        ("ms",),
        rmsprop_scalars,
        rmsprop,
        params={"denom": "line 103"},
    ),
    "RMSpropGraves": Rule(
        "rmsprop_graves",
        {"lr": 1e-4, "alpha": 0.95, "momentum": 0.9, "eps": 1e-4},
        ("n", "g", "delta"),
        lambda hp, t: (hp["lr"], hp["alpha"], hp["momentum"], hp["eps"]),
        rmsprop_graves,
    ),
    "SMORMS3": Rule(
        "smorms3",
        {"lr": 0.001, "eps": 1e-16},
        ("mem", "g", "g2"),
        lambda hp, t: (hp["lr"], hp["eps"]),
        smorms3,
        ones=("mem",),
    ),
    "Adam": Rule("adam", ADAM_HP, ("m", "v"), adam_scalars, adam, origin=f"{ADAM_PY}:314"),
    "AdamW": Rule(
        "adam",
        {**ADAM_HP, "eta": 0.5, "weight_decay_rate": 0.01},
        ("m", "v"),
        adam_scalars,
        adam,
        origin=f"{ADAM_PY}:314",
    ),
    "Adam-float16": Rule(
        "adam",
        ADAM_HP,
        ("m", "v"),
        adam_scalars,
        adam,
        origin=f"{ADAM_PY}:314",
        dtype=np.float16,
        rtol=2e-3,
    ),
    "AMSGrad": Rule(
        "adam", ADAM_HP, ("m", "v", "vhat"), adam_scalars, adam, origin=f"{ADAM_PY}:289"
    ),
    "AdaBound": Rule("adabound", ADABOUND_HP, ("m", "v"), adabound_scalars, adam),
    "AMSBound": Rule("amsbound", ADABOUND_HP, ("m", "v", "vhat"), adabound_scalars, adam),
    "MSVAG": Rule(
        "msvag",
        {"lr": 0.1, "beta": 0.9, "eta": 1.0, "weight_decay_rate": 0.0},
        ("m", "v"),
        lambda hp, t: (
            hp["lr"],
            1 - hp["beta"],
            hp["eta"],
            hp["weight_decay_rate"],
            hp["beta"] ** t,
            msvag_rho(hp, t),
        ),
        msvag,
    ),
}


def gradients(rng) -> list[np.ndarray]:
    """One gradient per step; the first four elements are zero in every step."""
    grads = [rng.standard_normal(SHAPE) * 0.1 for _ in range(STEP)]
    for g in grads:
        g.reshape(-1)[:4] = 0
    return grads


@pytest.mark.parametrize("rule", RULES.values(), ids=RULES.keys())
def test_update_rule(target, rule):
    rng = np.random.default_rng(sum(map(ord, rule.kernel + str(rule.hp))))
    grads = gradients(rng)
    param = rng.standard_normal(SHAPE)
    state = {k: np.ones(SHAPE) if k in rule.ones else np.zeros(SHAPE) for k in rule.state}
    for t, g in enumerate(grads[:-1], start=1):
        rule.update(rule.hp, t, g, param, state)
    # the arrays of step STEP, in the parameter's dtype, and their CPU update
    g, param = grads[-1].astype(rule.dtype), param.astype(rule.dtype)
    state = {k: v.astype(rule.dtype) for k, v in state.items()}
    want_param = param.astype(np.float64)
    want_state = {k: v.astype(np.float64) for k, v in state.items()}
    rule.update(rule.hp, STEP, g.astype(np.float64), want_param, want_state)

    ran = run_elementwise(
        target,
        rule.kernel,
        g,
        *rule.scalars(rule.hp, STEP),
        param,
        *state.values(),
        origin=rule.origin,
        params=rule.params,
    )
    outputs = ran.outputs if isinstance(ran.outputs, tuple) else (ran.outputs,)
    assert outputs[0] is param  # updated in place, as param.data
    refs.expect(ran, (want_param, *want_state.values()), target, rtol=rule.rtol, atol=1e-7)


# ---------------------------------------------------------------- optimizer hooks


def lars_rate(p, g, threshold=1e-2, weight_decay=1e-4, eps=1e-9):
    """GradientLARS's rate: a 0-d array of the gradient's dtype, as xp.where returns it."""
    p_norm, g_norm = np.linalg.norm(p), np.linalg.norm(g)
    local_rate = p_norm / (eps + g_norm + weight_decay * p_norm)
    return np.asarray(local_rate if p_norm > threshold else 1.0, dtype=g.dtype)


# name -> (kernel, the arguments before g, from (p, g, rng), the new g)
HOOKS = {
    "WeightDecay": ("weight_decay", lambda p, g, rng: (p, 1e-4), lambda p, g: g + 1e-4 * p),
    "Lasso": ("lasso", lambda p, g, rng: (np.sign(p), 1e-4), lambda p, g: g + 1e-4 * np.sign(p)),
    "GradientLARS": (
        "lars",
        lambda p, g, rng: (p, lars_rate(p, g), 1e-4),
        lambda p, g: (g + 1e-4 * p) * lars_rate(p, g),
    ),
    # exponential_decay_noise at t = 3: N(0, eta / (1 + t) ** 0.55), made on the host
    "GradientNoise": (
        "gradient_noise",
        lambda p, g, rng: (
            (rng.standard_normal(g.shape) * math.sqrt(0.01 / 4**0.55)).astype(g.dtype),
        ),
        None,
    ),
}


@pytest.mark.parametrize("hook", HOOKS.values(), ids=HOOKS.keys())
def test_optimizer_hook(target, hook):
    kernel, make_args, new_g = hook
    rng = np.random.default_rng(len(kernel))
    p = rng.standard_normal(SHAPE).astype(np.float32)
    g = (rng.standard_normal(SHAPE) * 0.1).astype(np.float32)
    args = make_args(p, g, rng)
    want = new_g(p.astype(np.float64), g.astype(np.float64)) if new_g else g + args[0]
    ran = run_elementwise(target, kernel, *args, g)
    assert ran.outputs is g  # param.grad, updated in place
    refs.expect(ran, want, target, rtol=1e-5, atol=1e-7)
