"""Training a scalar MLP to classify 2-D points: the loss, the accuracy and the loop.

The model maps a point to one score whose sign is the predicted class (labels are -1 and +1).
The loss is the max-margin (hinge) loss, mean(relu(1 - y * score)), plus an L2 penalty; the
loop runs full-batch SGD with momentum and returns the loss and accuracy of every step.

Shapes: xs (n, 2), ys (n); the model maps (2) -> (1).
"""

import contextlib
import gc
import time

from tqdm import tqdm

from ch1_dfdx.engine import Value
from ch1_dfdx.nn import MLP, SGD


# --8<-- [start:loss_accuracy]
def hinge_loss(scores: list[Value], ys: list[float]) -> Value:
    """mean(relu(1 - y * score)): zero once every point is on its side with a margin of 1."""
    return sum(((1 - y * s).relu() for s, y in zip(scores, ys)), Value(0.0)) * (1.0 / len(ys))


def accuracy(scores: list, ys: list[float]) -> float:
    """The fraction of points whose score has the sign of their label."""
    return sum((float(s) > 0) == (y > 0) for s, y in zip(scores, ys)) / len(ys)
# --8<-- [end:loss_accuracy]


@contextlib.contextmanager
def cycle_collector_paused():
    """Pause Python's cyclic garbage collector, restoring it afterwards.

    A training step's graph holds no reference cycles (the backward rules capture no Values), so
    reference counting frees it as soon as the next step drops it. The cycle collector would only
    rescan the tens of thousands of live nodes over and over, about 40% of the time of a step.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --8<-- [start:train]
def train(model: MLP, xs: list, ys: list, steps: int = 100, lr: float = 0.1,
          momentum: float = 0.9, alpha: float = 1e-4, progress: bool = True) -> dict:
    """Full-batch SGD on hinge loss + alpha * |w|^2; returns per-step "loss" and "accuracy".

    Each step is the usual four lines: forward, zero_grad, backward, step. A step's loss and
    accuracy are those of the scores it was computed from, before its update.
    """
    opt = SGD(model.parameters(), lr=lr, momentum=momentum)
    history = {"loss": [], "accuracy": []}
    start = time.perf_counter()
    bar = tqdm(range(steps), desc="ch1 MLP", disable=not progress)
    with cycle_collector_paused():
        for _ in bar:
            scores = [model(x)[0] for x in xs]
            penalty = sum((p * p for p in model.parameters()), Value(0.0)) * alpha
            loss = hinge_loss(scores, ys) + penalty
            opt.zero_grad()
            loss.backward()
            opt.step()
            history["loss"].append(loss.data)
            history["accuracy"].append(accuracy(scores, ys))
            bar.set_postfix(loss=f"{loss.data:.3f}", acc=f"{history['accuracy'][-1]:.0%}")
    history["seconds"] = time.perf_counter() - start
    return history
# --8<-- [end:train]
