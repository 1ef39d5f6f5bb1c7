"""The ch2 GPT on the ch2 device "cuda" against the same model on "cpu": a few training steps.

Both models start from the same weights and see the same batches; the losses and one backward's
gradients must agree to float32 rounding (the GPU sums in other orders, so not bit for bit), and
names sampled from the same weights with the same draws must be the same. Returns a dict of
what it measured, for bench/ch3_cuda.py.
"""

from __future__ import annotations

import time

import numpy as np


def train_both(steps: int = 5, batch_size: int = 16) -> dict:
    import ch2_lego as torch
    import ch3_brrr.device_cuda  # noqa: F401 -- registers the device
    from ch2_lego.models.gpt import GPT, GPTConfig, sample
    from ch2_lego.models.train import train_lm

    rng = np.random.default_rng(0)
    x = rng.integers(0, 27, (256, 16))
    y = np.roll(x, -1, axis=1)
    result = {}
    models = {}
    for device in ("cpu", "cuda"):
        torch.manual_seed(0)
        model = GPT(GPTConfig()).to(device)
        t0 = time.perf_counter()
        losses = train_lm(model, x, y, steps=steps, batch_size=batch_size, progress=False)
        result[device] = {"losses": losses, "seconds": time.perf_counter() - t0}
        models[device] = model
    cpu_p = {k: v.detach().to("cpu").numpy() for k, v in models["cpu"].state_dict().items()}
    gpu_p = {k: v.detach().to("cpu").numpy() for k, v in models["cuda"].state_dict().items()}
    result["max_param_diff"] = max(float(np.abs(cpu_p[k] - gpu_p[k]).max()) for k in cpu_p)
    result["max_loss_diff"] = max(abs(a - b) for a, b in zip(result["cpu"]["losses"],
                                                            result["cuda"]["losses"]))
    # Sampling from the trained models would compare weights that AdamW moved apart (see the
    # NOTE below); the cuda twin of the cpu model has the same weights, so the same draws must
    # pick the same names unless a draw falls within rounding of a boundary (about 1e-7 a draw).
    twin = type(models["cpu"])(models["cpu"].config)
    twin.load_state_dict(models["cpu"].state_dict())
    gen = {d: sample(m, 4, generator=torch.Generator().manual_seed(1))
           for d, m in (("cpu", models["cpu"]), ("cuda", twin.to("cuda")))}
    result["samples"] = gen
    result["samples_equal"] = gen["cpu"] == gen["cuda"]
    # Losses: sums over B*T*V terms in another order, so about K * eps apart at most.
    k = batch_size * 16 * 256
    loss_bound = k * float(np.finfo(np.float32).eps) * max(result["cpu"]["losses"])
    if result["max_loss_diff"] > loss_bound:
        raise AssertionError(f"cuda and cpu losses disagree: {result}")
    # NOTE: weights after AdamW steps are reported, not bounded: Adam divides by sqrt(v), so a
    # gradient that is rounding noise (it cancels) moves its weight by up to lr either way.
    result["grad_check"] = check_gradients(torch, models["cpu"], x[:batch_size],
                                           y[:batch_size], k)
    return result


def check_gradients(torch, cpu_model, x, y, k: int) -> float:
    """One backward on both devices from the same weights: every gradient within the float32
    bound of a length-k sum, k * eps * max|g| (per tensor); returns the largest ratio."""
    gpu_model = type(cpu_model)(cpu_model.config)
    gpu_model.load_state_dict(cpu_model.state_dict())
    gpu_model.to("cuda")
    worst = 0.0
    grads = {}
    for device, model in (("cpu", cpu_model), ("cuda", gpu_model)):
        model.zero_grad()
        _, loss = model(torch.tensor(x, device=device), torch.tensor(y, device=device))
        loss.backward()
        grads[device] = {n: p.grad.to("cpu").numpy() for n, p in model.named_parameters()
                         if p.grad is not None}
    eps = float(np.finfo(np.float32).eps)
    for name, g in grads["cpu"].items():
        bound = k * eps * float(np.abs(g).max()) + 1e-12
        diff = float(np.abs(grads["cuda"][name] - g).max())
        if not diff <= bound:
            raise AssertionError(f"gradient of {name}: cuda and cpu differ by {diff:.3g} > "
                                 f"{bound:.3g}")
        worst = max(worst, diff / bound)
    return worst
