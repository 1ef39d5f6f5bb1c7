"""Training loops for the chapter's models, on ch2_lego or (for the benchmark) on PyTorch.

Batches are drawn with a numpy Generator from numpy arrays, so two libraries trained with the
same seed see the same examples in the same order; `lib` names the library whose tensors,
optimizers and clipping are used. Every loop shows a tqdm progress bar.
Letters legend: N examples, B batch size.
"""

import numpy as np
from tqdm import tqdm

import ch2_lego


# --8<-- [start:train_lm]
def train_lm(model, x: np.ndarray, y: np.ndarray, steps: int, batch_size: int = 32,
             lr: float = 3e-3, weight_decay: float = 0.01, warmup: int = 0, seed: int = 0,
             lib=ch2_lego, progress: bool = True, desc: str = "train") -> list[float]:
    """Train a language model with AdamW, warmup then cosine decay, and clipping at norm 1.

    Shapes: x (N,T) int64 inputs, y (N,) or (N,T) int64 targets. Returns the loss per step.
    """
    optimizer = lib.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = lib.optim.lr_scheduler
    schedule = sched.CosineAnnealingLR(optimizer, T_max=steps - warmup, eta_min=lr / 10)
    if warmup > 0:  # ramp up linearly from lr/warmup, then decay along a half cosine
        ramp = sched.LinearLR(optimizer, start_factor=1 / warmup, total_iters=warmup)
        schedule = sched.SequentialLR(optimizer, [ramp, schedule], milestones=[warmup])
    rng = np.random.default_rng(seed)
    losses = []
    model.train()
    device = next(model.parameters()).device  # the batches go where the model is
    bar = tqdm(range(steps), desc=desc, disable=not progress, mininterval=0.5)
    for _ in bar:
        ix = rng.integers(0, len(x), batch_size)  # a random minibatch
        _, loss = model(lib.tensor(x[ix], device=device), lib.tensor(y[ix], device=device))
        optimizer.zero_grad()
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        bar.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)
    return losses
# --8<-- [end:train_lm]


def evaluate_lm(model, x: np.ndarray, y: np.ndarray, lib=ch2_lego, batch_size: int = 4096):
    """Mean loss over all examples (targets of -100 excluded), in eval mode, without grads."""
    model.eval()
    total, count = 0.0, 0
    device = next(model.parameters()).device
    with lib.no_grad():
        for start in range(0, len(x), batch_size):
            xb, yb = x[start : start + batch_size], y[start : start + batch_size]
            _, loss = model(lib.tensor(xb, device=device), lib.tensor(yb, device=device))
            n = int((yb != -100).sum())
            total, count = total + loss.item() * n, count + n
    model.train()
    return total / count


def train_classifier(model, x: np.ndarray, y: np.ndarray, epochs: int, batch_size: int = 64,
                     lr: float = 3e-3, seed: int = 0, lib=ch2_lego, progress: bool = True):
    """Train an image classifier with Adam and cross-entropy; returns the loss per step."""
    optimizer = lib.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    losses = []
    model.train()
    device = next(model.parameters()).device
    bar = tqdm(range(epochs), desc="cnn", disable=not progress)
    for _ in bar:
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            ix = order[start : start + batch_size]
            logits = model(lib.tensor(x[ix], device=device))
            loss = lib.nn.functional.cross_entropy(logits, lib.tensor(y[ix], device=device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        bar.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)
    return losses


def accuracy(model, x: np.ndarray, y: np.ndarray, lib=ch2_lego) -> float:
    """Fraction of examples whose argmax logit is the label, in eval mode."""
    model.eval()
    with lib.no_grad():
        pred = model(lib.tensor(x, device=next(model.parameters()).device)).argmax(dim=-1)
        pred = pred.cpu().numpy()
    model.train()
    return float((pred == y).mean())
