"""Adagrad, RMSprop and Adadelta against torch.optim, step by step, with each of their options.

Each optimizer trains the same float64 model (Linear-Tanh-Linear, K <= 5 inputs per unit) from
the same weights on the same batch in lego and in torch. Tolerance from the error bound: one
step is at most ~40 float64 operations per coordinate (forward and backward dot products of
length <= 8, the update's dozen elementwise ops), each off by at most eps64 relative to the
quantities it combines, and the steps' errors add, so after S steps a parameter is within
S * 40 * eps64 * (|p| + sum of |update| so far) of torch's, taking the update sizes from
torch's own run. A state dict saved mid-run must resume exactly.
"""

import importlib
import os

import numpy as np
import pytest
import torch

ORACLE = os.environ.get("SINGSYS_ORACLE", "ch2_lego")
lego = importlib.import_module(ORACLE)
pytestmark = pytest.mark.sec_2_12

EPS64 = np.finfo(np.float64).eps
OPS_PER_STEP = 40
RNG = np.random.default_rng(7)
X, Y = RNG.standard_normal((8, 5)), RNG.standard_normal((8, 2))


def np_of(t) -> np.ndarray:
    return np.array(t.detach().numpy(), copy=True)


def build(lib, weights=None):
    model = lib.nn.Sequential(lib.nn.Linear(5, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2)).double()
    if weights is not None:
        model.load_state_dict({k: lib.tensor(v) for k, v in weights.items()})
    return model


def step(lib, model, opt):
    opt.zero_grad()
    ((model(lib.tensor(X)) - lib.tensor(Y)) ** 2).mean().backward()
    opt.step()


OPTIMIZERS = {
    "adagrad": lambda lib, p: lib.optim.Adagrad(p),
    "adagrad_lr_decay": lambda lib, p: lib.optim.Adagrad(p, lr=0.1, lr_decay=0.3),
    "adagrad_wd_init": lambda lib, p: lib.optim.Adagrad(p, lr=0.05, weight_decay=0.2,
                                                        initial_accumulator_value=0.5),
    "adagrad_eps_maximize": lambda lib, p: lib.optim.Adagrad(p, lr=0.01, eps=1e-3,
                                                             maximize=True),
    "rmsprop": lambda lib, p: lib.optim.RMSprop(p),
    "rmsprop_momentum": lambda lib, p: lib.optim.RMSprop(p, lr=0.01, momentum=0.9),
    "rmsprop_centered": lambda lib, p: lib.optim.RMSprop(p, lr=0.01, centered=True, alpha=0.9),
    "rmsprop_all": lambda lib, p: lib.optim.RMSprop(p, lr=0.005, alpha=0.8, eps=1e-4,
                                                    weight_decay=0.1, momentum=0.5,
                                                    centered=True),
    "rmsprop_maximize": lambda lib, p: lib.optim.RMSprop(p, lr=0.001, maximize=True),
    "adadelta": lambda lib, p: lib.optim.Adadelta(p),
    "adadelta_rho_lr": lambda lib, p: lib.optim.Adadelta(p, lr=0.5, rho=0.8),
    "adadelta_wd_eps": lambda lib, p: lib.optim.Adadelta(p, weight_decay=0.3, eps=1e-3),
    "adadelta_maximize": lambda lib, p: lib.optim.Adadelta(p, lr=0.1, maximize=True),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_matches_torch_step_by_step(name):
    ours = build(lego)
    weights = {k: np_of(v) for k, v in ours.state_dict().items()}
    ref = build(torch, weights)
    opt_ours = OPTIMIZERS[name](lego, ours.parameters())
    opt_ref = OPTIMIZERS[name](torch, ref.parameters())
    travelled = {k: np.zeros_like(v) for k, v in weights.items()}  # sum of |update|, torch's
    moved = False
    for s in range(1, 9):
        before = {k: np_of(v) for k, v in ref.state_dict().items()}
        step(lego, ours, opt_ours)
        step(torch, ref, opt_ref)
        for (k, a), (_, b) in zip(ours.state_dict().items(), ref.state_dict().items()):
            b = np_of(b)
            travelled[k] += np.abs(b - before[k])
            bound = s * OPS_PER_STEP * EPS64 * (np.abs(b) + travelled[k])
            err = np.abs(np_of(a) - b)
            assert (err <= bound).all(), f"{k} at step {s}: error {err.max()} > bound"
            moved |= bool((travelled[k] > 0).any())
    assert moved  # the optimizer did take steps


@pytest.mark.parametrize("name", ["adagrad_wd_init", "rmsprop_all", "adadelta_rho_lr"])
def test_state_dict_round_trip_resumes_exactly(name):
    straight = build(lego)
    weights = {k: np_of(v) for k, v in straight.state_dict().items()}
    opt = OPTIMIZERS[name](lego, straight.parameters())
    for _ in range(6):
        step(lego, straight, opt)

    first = build(lego, weights)
    opt_first = OPTIMIZERS[name](lego, first.parameters())
    for _ in range(3):
        step(lego, first, opt_first)
    resumed = build(lego, {k: np_of(v) for k, v in first.state_dict().items()})
    opt_resumed = OPTIMIZERS[name](lego, resumed.parameters())
    opt_resumed.load_state_dict(opt_first.state_dict())
    for _ in range(3):
        step(lego, resumed, opt_resumed)
    for a, b in zip(straight.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(np_of(a), np_of(b))  # the same ops on the same numbers


def state_names(lib) -> dict:
    """The buffer names each optimizer keeps for a parameter after one step."""
    names = {}
    for name, options in [("Adagrad", {}), ("Adadelta", {}),
                          ("RMSprop", dict(momentum=0.5, centered=True))]:
        model = build(lib)
        opt = getattr(lib.optim, name)(model.parameters(), **options)
        step(lib, model, opt)
        names[name] = sorted(opt.state[model[0].weight])
    return names


def test_state_holds_torchs_buffers():
    assert state_names(lego) == state_names(torch)


@pytest.mark.parametrize("name", ["Adagrad", "RMSprop", "Adadelta"])
def test_a_group_added_later_steps_as_in_torch(name):
    """add_param_group after construction: the new group's state starts at its first step."""
    after = []
    for lib in (torch, lego):
        w = lib.tensor([1.0, -2.0], dtype=lib.float64, requires_grad=True)
        v = lib.tensor([0.5, 3.0, -1.0], dtype=lib.float64, requires_grad=True)
        opt = getattr(lib.optim, name)([w], lr=0.1)
        opt.add_param_group({"params": [v], "lr": 0.2})
        for _ in range(3):
            opt.zero_grad()
            ((w * w).sum() + (v * v * v).sum()).backward()
            opt.step()
        after.append(np.concatenate([np_of(w), np_of(v)]))
    # 3 steps of about 12 float64 ops, each within eps64 of its size; sizes stay below 12 (the
    # gradients 3v^2 <= 27 are divided by their own root mean square; RMSprop's first steps
    # are lr / sqrt(1 - alpha) = 2 long)
    np.testing.assert_allclose(after[1], after[0], rtol=0, atol=3 * 12 * EPS64 * 12)


BAD = [
    ("Adagrad", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("Adagrad", dict(lr_decay=-0.1), "Invalid lr_decay value: -0.1"),
    ("Adagrad", dict(weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
    ("Adagrad", dict(initial_accumulator_value=-1.0),
     "Invalid initial_accumulator_value value: -1.0"),
    ("Adagrad", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("RMSprop", dict(lr=-0.1), "Invalid learning rate: -0.1"),
    ("RMSprop", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("RMSprop", dict(momentum=-0.5), "Invalid momentum value: -0.5"),
    ("RMSprop", dict(weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
    ("RMSprop", dict(alpha=-0.5), "Invalid alpha value: -0.5"),
    ("Adadelta", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adadelta", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("Adadelta", dict(weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
]


@pytest.mark.parametrize("name,kwargs,message", BAD)
def test_bad_hyperparameters_raise_torchs_error(name, kwargs, message):
    for lib in (torch, lego):
        with pytest.raises(ValueError, match=message):
            getattr(lib.optim, name)(build(lib).parameters(), **kwargs)
