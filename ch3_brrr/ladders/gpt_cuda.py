"""The ch2 GPT on the ch2 device "cuda" against the same model on "cpu": a few training steps.

Both models start from the same weights and see the same batches; the losses and the weights
after training must agree to float32 rounding (the GPU sums in other orders, so not bit for
bit). Returns a dict of what it measured, for bench/ch3_cuda.py.
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
    gen = {d: sample(models[d], 4, generator=torch.Generator().manual_seed(1))
           for d in ("cpu", "cuda")}
    result["samples"] = gen
    result["samples_equal"] = gen["cpu"] == gen["cuda"]
    if result["max_loss_diff"] > 1e-4 or result["max_param_diff"] > 1e-4:
        raise AssertionError(f"cuda and cpu disagree: {result}")
    return result
