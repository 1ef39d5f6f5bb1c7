"""Optimizers, schedules and gradient clipping against torch.optim (book section 2.12).

Each optimizer trains the same float64 model from the same weights on the same batches in lego
and in torch; parameters must agree after every step. State dicts must round-trip: stopping,
saving, loading into a fresh optimizer and going on equals never having stopped.
"""

import importlib
import math
import os

import numpy as np
import pytest
import torch

ORACLE = os.environ.get("SINGSYS_ORACLE", "ch2_lego")
lego = importlib.import_module(ORACLE)
pytestmark = pytest.mark.sec_2_12

RNG = np.random.default_rng(0)
X, Y = RNG.standard_normal((8, 5)), RNG.standard_normal((8, 2))



def at_scale(t, rel=1e-10) -> float:
    """An absolute tolerance at the tensor's own scale: a weight that an update drove near 0
    still carries the rounding of the larger values it was computed from."""
    return rel * float(np.abs(np.asarray(t.detach().numpy())).max(initial=0.0))

def np_of(t) -> np.ndarray:
    return np.array(t.detach().numpy(), copy=True)


def build(lib, weights=None):
    model = lib.nn.Sequential(lib.nn.Linear(5, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2)).double()
    if weights is not None:
        model.load_state_dict({k: lib.tensor(v) for k, v in weights.items()})
    return model


def loss_of(lib, model):
    return ((model(lib.tensor(X)) - lib.tensor(Y)) ** 2).mean()


def run_steps(lib, model, opt, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss_of(lib, model).backward()
        opt.step()


OPTIMIZERS = {
    "sgd": lambda lib, p: lib.optim.SGD(p, lr=0.1),
    "sgd_momentum": lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=0.9),
    "sgd_dampening": lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.5),
    "sgd_nesterov_wd": lambda lib, p: lib.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True,
                                                    weight_decay=0.01),
    "sgd_maximize": lambda lib, p: lib.optim.SGD(p, lr=0.01, maximize=True),
    "adam": lambda lib, p: lib.optim.Adam(p, lr=0.01),
    "adam_wd_betas": lambda lib, p: lib.optim.Adam(p, lr=0.02, betas=(0.8, 0.99),
                                                   weight_decay=0.1),
    "adam_amsgrad": lambda lib, p: lib.optim.Adam(p, lr=0.01, amsgrad=True),
    "adamw": lambda lib, p: lib.optim.AdamW(p, lr=0.01),
    "adamw_wd": lambda lib, p: lib.optim.AdamW(p, lr=0.03, weight_decay=0.5, eps=1e-6),
    "adam_for_loop": lambda lib, p: lib.optim.Adam(p, lr=0.01, foreach=False),
    "adamw_multi_tensor": lambda lib, p: lib.optim.AdamW(p, lr=0.01, foreach=True,
                                                         amsgrad=True),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_matches_torch_step_by_step(name):
    ours = build(lego)
    weights = {k: np_of(v) for k, v in ours.state_dict().items()}
    ref = build(torch, weights)
    opt_ours, opt_ref = OPTIMIZERS[name](lego, ours.parameters()), OPTIMIZERS[name](
        torch, ref.parameters())
    for _ in range(5):
        run_steps(lego, ours, opt_ours, 1)
        run_steps(torch, ref, opt_ref, 1)
        for (k, a), (_, b) in zip(ours.state_dict().items(), ref.state_dict().items()):
            np.testing.assert_allclose(np_of(a), np_of(b), rtol=1e-10, atol=1e-12, err_msg=k)


def test_param_groups_have_their_own_lr():
    def groups(lib, model):
        return [{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.5}]

    ours = build(lego)
    ref = build(torch, {k: np_of(v) for k, v in ours.state_dict().items()})
    opt_ours = lego.optim.SGD(groups(lego, ours), lr=0.1, momentum=0.5)
    opt_ref = torch.optim.SGD(groups(torch, ref), lr=0.1, momentum=0.5)
    assert [g["lr"] for g in opt_ours.param_groups] == [0.1, 0.5]
    run_steps(lego, ours, opt_ours, 3)
    run_steps(torch, ref, opt_ref, 3)
    for a, b in zip(ours.parameters(), ref.parameters()):
        np.testing.assert_allclose(np_of(a), np_of(b), rtol=1e-10, atol=at_scale(b))


@pytest.mark.parametrize("name", ["sgd_momentum", "adam_amsgrad", "adamw_wd"])
def test_state_dict_round_trip_resumes_exactly(name):
    straight = build(lego)
    weights = {k: np_of(v) for k, v in straight.state_dict().items()}
    opt = OPTIMIZERS[name](lego, straight.parameters())
    run_steps(lego, straight, opt, 6)

    first = build(lego, weights)
    opt_first = OPTIMIZERS[name](lego, first.parameters())
    run_steps(lego, first, opt_first, 3)
    saved_model, saved_opt = first.state_dict(), opt_first.state_dict()
    assert sorted(saved_opt) == ["param_groups", "state"]
    assert saved_opt["param_groups"][0]["params"] == [0, 1, 2, 3]

    resumed = build(lego, {k: np_of(v) for k, v in saved_model.items()})
    opt_resumed = OPTIMIZERS[name](lego, resumed.parameters())
    opt_resumed.load_state_dict(saved_opt)
    run_steps(lego, resumed, opt_resumed, 3)
    for a, b in zip(straight.parameters(), resumed.parameters()):
        np.testing.assert_allclose(np_of(a), np_of(b), rtol=1e-12, atol=at_scale(b, 1e-12))


@pytest.mark.parametrize("foreach", [True, False])
def test_adam_with_a_parameter_left_out_and_a_dtype_change(foreach):
    # A parameter without a gradient is skipped (and its moments stay unborn); moving the model
    # to another dtype mid-training must not lose the optimizer's state.
    ours = build(lego)
    ref = build(torch, {k: np_of(v) for k, v in ours.state_dict().items()})
    frozen_ours, frozen_ref = ours[2].bias, ref[2].bias
    frozen_ours.requires_grad_(False)
    frozen_ref.requires_grad_(False)
    opt_ours = lego.optim.Adam(ours.parameters(), lr=0.01, foreach=foreach)
    opt_ref = torch.optim.Adam(ref.parameters(), lr=0.01, foreach=foreach)
    run_steps(lego, ours, opt_ours, 2)
    run_steps(torch, ref, opt_ref, 2)
    frozen_ours.requires_grad_(True)
    frozen_ref.requires_grad_(True)
    # Both round their weights through float32, so both continue from the same numbers.
    ours.float().double()  # replaces every parameter's data
    ref.float().double()
    run_steps(lego, ours, opt_ours, 2)
    run_steps(torch, ref, opt_ref, 2)
    for a, b in zip(ours.parameters(), ref.parameters()):
        np.testing.assert_allclose(np_of(a), np_of(b), rtol=1e-10, atol=at_scale(b))
    assert opt_ours.state[ours[0].weight]["step"] == 4


def test_load_state_dict_errors():
    model = build(lego)
    opt = lego.optim.Adam(model.parameters())
    other = lego.optim.Adam([{"params": model[0].parameters()},
                             {"params": model[2].parameters()}])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict(other.state_dict())
    small = lego.optim.Adam(model[0].parameters())
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt.load_state_dict(small.state_dict())
    if ORACLE == "ch2_lego":  # torch silently drops state of a parameter no group lists
        saved = opt.state_dict()
        saved["state"][9] = {"step": 1}
        with pytest.raises(ValueError, match="state for parameter 9"):
            opt.load_state_dict(saved)


def test_constructor_errors():
    model = build(lego)
    with pytest.raises(ValueError, match="empty parameter list"):
        lego.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        lego.optim.Adam(model.parameters(), lr=-1.0)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        lego.optim.Adam(model.parameters(), betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Nesterov momentum requires"):
        lego.optim.SGD(model.parameters(), lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="more than one parameter group"):
        p = list(model.parameters())
        lego.optim.SGD([{"params": p}, {"params": p[:1]}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        lego.optim.SGD([lego.ones(2, requires_grad=True) * 2], lr=0.1)
    with pytest.raises(TypeError):
        lego.optim.SGD(lego.ones(2, requires_grad=True), lr=0.1)


def test_zero_grad_and_skipping_params_without_grad():
    model = build(lego)
    opt = lego.optim.SGD(model.parameters(), lr=0.1)
    before = np_of(model[0].weight)
    opt.step()  # no gradients yet: nothing moves
    np.testing.assert_array_equal(np_of(model[0].weight), before)
    loss_of(lego, model).backward()
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


# *** schedules ***

SCHEDULES = {
    "step": lambda lib, o: lib.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
    "cosine": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10,
                                                                      eta_min=0.01),
    "linear": lambda lib, o: lib.optim.lr_scheduler.LinearLR(o, start_factor=0.1,
                                                             total_iters=4),
    "lambda": lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + e)),
    "warmup_cosine": lambda lib, o: lib.optim.lr_scheduler.SequentialLR(
        o, [lib.optim.lr_scheduler.LinearLR(o, start_factor=0.25, total_iters=3),
            lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=8)], milestones=[3]),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_matches_torch(name):
    lrs = []
    for lib in (lego, torch):
        opt = lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=0.5)
        sched = SCHEDULES[name](lib, opt)
        seen = [opt.param_groups[0]["lr"]]
        for _ in range(12):
            opt.step()
            sched.step()
            seen.append(opt.param_groups[0]["lr"])
        assert sched.get_last_lr() == [seen[-1]]
        lrs.append(seen)
    np.testing.assert_allclose(lrs[0], lrs[1], rtol=1e-9, atol=1e-12)


def test_cosine_formula_by_hand():
    opt = lego.optim.SGD([lego.nn.Parameter(lego.zeros(1))], lr=1.0)
    sched = lego.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    seen = []
    for _ in range(5):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    np.testing.assert_allclose(seen, [(1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)],
                               atol=1e-12)


# *** clipping ***


@pytest.mark.parametrize("max_norm,norm_type", [(0.5, 2.0), (100.0, 2.0), (0.1, 1.0),
                                                (0.2, math.inf)])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    ours = build(lego)
    ref = build(torch, {k: np_of(v) for k, v in ours.state_dict().items()})
    loss_of(lego, ours).backward()
    loss_of(torch, ref).backward()
    total_ours = lego.nn.utils.clip_grad_norm_(ours.parameters(), max_norm, norm_type)
    total_ref = torch.nn.utils.clip_grad_norm_(ref.parameters(), max_norm, norm_type)
    np.testing.assert_allclose(float(total_ours), float(total_ref), rtol=1e-10)
    for a, b in zip(ours.parameters(), ref.parameters()):
        np.testing.assert_allclose(np_of(a.grad), np_of(b.grad), rtol=1e-10, atol=1e-14)


def test_clip_grad_value_and_parameters_to_vector_match_torch():
    ours = build(lego)
    ref = build(torch, {k: np_of(v) for k, v in ours.state_dict().items()})
    loss_of(lego, ours).backward()
    loss_of(torch, ref).backward()
    lego.nn.utils.clip_grad_value_(ours.parameters(), 0.05)
    torch.nn.utils.clip_grad_value_(ref.parameters(), 0.05)
    for a, b in zip(ours.parameters(), ref.parameters()):
        g = np_of(a.grad)
        assert np.abs(g).max() == 0.05  # some elements were clipped (the test can fail)
        np.testing.assert_allclose(g, np_of(b.grad), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(np_of(lego.nn.utils.parameters_to_vector(ours.parameters())),
                                  np_of(torch.nn.utils.parameters_to_vector(ref.parameters())))


def test_clip_grad_norm_nonfinite_error():
    p = lego.nn.Parameter(lego.ones(3))
    (p * float("inf")).sum().backward()
    with pytest.raises(RuntimeError, match="non-finite"):
        lego.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_norm_applies_a_nan_norm_as_torch_does():
    grads = []
    for lib in (lego, torch):
        p = lib.nn.Parameter(lib.ones(3))
        p.grad = lib.tensor([1.0, float("nan"), 2.0])
        total = lib.nn.utils.clip_grad_norm_([p], 1.0)
        assert math.isnan(float(total))
        grads.append(np_of(p.grad))
    np.testing.assert_array_equal(grads[0], grads[1])  # all NaN in both


@pytest.mark.parametrize("name", ["step", "warmup_cosine"])
def test_schedule_state_dict_resumes(name):
    def run(lib, steps, resume_from=None):
        opt = lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=0.5)
        sched = SCHEDULES[name](lib, opt)
        if resume_from is not None:
            sched.load_state_dict(resume_from)
            opt.param_groups[0]["lr"] = sched.get_last_lr()[0]
        for _ in range(steps):
            opt.step()
            sched.step()
        return opt, sched

    _, straight = run(lego, 9)
    _, first = run(lego, 4)
    _, resumed = run(lego, 5, resume_from=first.state_dict())
    assert resumed.last_epoch == straight.last_epoch == 9
    np.testing.assert_allclose(resumed.get_last_lr(), straight.get_last_lr(), rtol=1e-12)


# *** capturable Adam: the step count as a tensor on the parameters' device ***

CAPTURABLE = {
    "adam": lambda lib, p, **kw: lib.optim.Adam(p, lr=0.01, **kw),
    "adamw_wd_betas": lambda lib, p, **kw: lib.optim.AdamW(p, lr=0.03, betas=(0.8, 0.99),
                                                           weight_decay=0.5, **kw),
    "adam_amsgrad_for_loop": lambda lib, p, **kw: lib.optim.Adam(p, lr=0.01, amsgrad=True,
                                                                 foreach=False, **kw),
}


@pytest.mark.parametrize("name", list(CAPTURABLE))
def test_capturable_adam_matches_torch_step_by_step(name):
    """Bias corrections from a float32 step tensor (computed in float64) give torch's
    capturable=False values to the same 1e-10 as the Python-number path."""
    ours = build(lego)
    ref = build(torch, {k: np_of(v) for k, v in ours.state_dict().items()})
    opt_ours = CAPTURABLE[name](lego, ours.parameters(), capturable=True)
    opt_ref = CAPTURABLE[name](torch, ref.parameters())
    for _ in range(5):
        run_steps(lego, ours, opt_ours, 1)
        run_steps(torch, ref, opt_ref, 1)
        for a, b in zip(ours.parameters(), ref.parameters()):
            np.testing.assert_allclose(np_of(a), np_of(b), rtol=1e-10, atol=1e-12)
    for p in ours.parameters():
        step = opt_ours.state[p]["step"]
        assert isinstance(step, lego.Tensor) and step.shape == () and step.dtype == lego.float32
        assert float(step.item()) == 5.0  # torch's state["step"] is a float32 5 as well


def test_capturable_adam_with_a_parameter_left_out_and_a_state_dict_round_trip():
    """Step counts that differ (a parameter frozen for two steps) take the per-parameter
    path; a state saved by capturable=False loads into capturable=True and goes on."""
    ours = build(lego)
    weights = {k: np_of(v) for k, v in ours.state_dict().items()}
    ref = build(torch, weights)
    ours[2].bias.requires_grad_(False)
    ref[2].bias.requires_grad_(False)
    opt_ours = lego.optim.Adam(ours.parameters(), lr=0.01, capturable=True)
    opt_ref = torch.optim.Adam(ref.parameters(), lr=0.01)
    run_steps(lego, ours, opt_ours, 2)
    run_steps(torch, ref, opt_ref, 2)
    ours[2].bias.requires_grad_(True)
    ref[2].bias.requires_grad_(True)
    run_steps(lego, ours, opt_ours, 2)
    run_steps(torch, ref, opt_ref, 2)
    for a, b in zip(ours.parameters(), ref.parameters()):
        np.testing.assert_allclose(np_of(a), np_of(b), rtol=1e-10, atol=1e-12)
    assert float(opt_ours.state[ours[2].bias]["step"].item()) == 2.0
    assert float(opt_ours.state[ours[0].weight]["step"].item()) == 4.0

    model = build(lego, weights)
    plain = lego.optim.Adam(model.parameters(), lr=0.01)
    run_steps(lego, model, plain, 3)
    resumed = lego.optim.Adam(model.parameters(), lr=0.01, capturable=True)
    resumed.load_state_dict(plain.state_dict())
    run_steps(lego, model, resumed, 2)
    ref = build(torch, weights)
    opt_ref = torch.optim.Adam(ref.parameters(), lr=0.01)
    run_steps(torch, ref, opt_ref, 5)
    for a, b in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(np_of(a), np_of(b), rtol=1e-10, atol=1e-12)
