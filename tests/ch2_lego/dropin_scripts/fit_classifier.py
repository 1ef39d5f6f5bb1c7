"""Fit a small classifier to synthetic data, written the ordinary PyTorch way.

A test runs this file twice, with PyTorch and through `python -m ch2_lego.as_torch`, and
compares the losses it writes: python fit_classifier.py --optimizers sgd,adam --out f.json
Weights and data come from numpy's generator, so both runs start from the same numbers.
"""

import argparse
import json
import os
from contextlib import nullcontext

import numpy as np
import torch
import torch.nn as nn
from torch.nn import functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import Dataset
from torch.utils.data.dataloader import DataLoader
from torch.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
)

parser = argparse.ArgumentParser()
parser.add_argument("--optimizers", default="sgd,adam,adamw,adagrad,rmsprop,adadelta")
parser.add_argument("--steps", type=int, default=12)
parser.add_argument("--compile", type=int, default=1)
parser.add_argument("--out", default="")
args = parser.parse_args()

# the usual preamble: pick a device, seed everything, allow fast math where there is any
if torch.cuda.is_available():
    device = "cuda"
elif torch.backends.mps.is_available():
    device = "mps"
else:
    device = "cpu"
accelerated = torch.accelerator.is_available()
ddp = torch.distributed.is_available() and int(os.environ.get("RANK", -1)) != -1
torch.manual_seed(1337)
torch.cuda.manual_seed(1337)
torch.cuda.manual_seed_all(1337)
torch.backends.cuda.matmul.allow_tf32 = True
torch.backends.cudnn.allow_tf32 = True
torch.backends.cudnn.benchmark = True
torch.set_float32_matmul_precision("high")
ctx = nullcontext() if device == "cpu" else torch.autocast(device_type=device, dtype=torch.bfloat16)
scaler = torch.amp.GradScaler(device, enabled=False)


class Blobs(Dataset):
    """Points in 6-d, labelled by which of 3 directions they lean to; numpy rows, int labels."""

    def __init__(self, n, rng):
        self.x = rng.standard_normal((n, 6))
        self.y = (self.x @ rng.standard_normal((6, 3))).argmax(1)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], int(self.y[i])


data = Blobs(160, np.random.default_rng(0))
optimizers = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "adam": lambda p: torch.optim.Adam(p, lr=0.01),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1),
    "adagrad": lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01),
    "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    "adadelta": lambda p: torch.optim.Adadelta(p, lr=1.0, weight_decay=0.01),
}


def make_model():
    model = nn.Sequential(nn.Linear(6, 16), nn.GELU(), nn.LayerNorm(16), nn.Linear(16, 3))
    model = model.double()
    rng = np.random.default_rng(1)  # the same weights for every optimizer
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)) * 0.4))
    model.to(device)
    if args.compile:
        model = torch.compile(model)
    if ddp:
        model = DDP(model, device_ids=[0])
    return model


@torch.no_grad()
def evaluate(model, indices):
    """Mean loss over the examples at `indices`, visited in a random order (the sum does not
    care about the order)."""
    model.eval()
    total, count = 0.0, 0
    for x, y in DataLoader(data, batch_size=8, sampler=SubsetRandomSampler(indices)):
        total += F.cross_entropy(model(x), y, reduction="sum").item()
        count += len(y)
    model.train()
    return total / count


def fit(name):
    """Train with one optimizer on the first 128 examples, in order, batches of 16 (the short
    last batch dropped); return the training losses and the loss on the other 32."""
    model = make_model()
    optimizer = optimizers[name](model.parameters())
    loader = DataLoader(data, batch_sampler=BatchSampler(SequentialSampler(range(128)),
                                                         batch_size=16, drop_last=True))
    losses = []
    while len(losses) < args.steps:
        for x, y in loader:
            with ctx, torch.autocast(device_type="cpu", enabled=False):
                loss = F.cross_entropy(model(x.to(device)), y.to(device))
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
            if len(losses) == args.steps:
                break
    val_loss = evaluate(model, list(range(128, 160)))
    print(f"{name}: train loss {losses[0]:.4f} -> {losses[-1]:.4f}, val {val_loss:.4f}")
    return dict(losses=losses, val_loss=val_loss)


results = {name: fit(name) for name in args.optimizers.split(",")}
# an "infinite" loader, as makemore builds one: 10^10 draws with replacement, taken lazily
forever = DataLoader(data, batch_size=5, sampler=RandomSampler(data, True, int(1e10)))
batch_shapes = [[list(x.shape), list(y.shape), str(x.dtype), str(y.dtype)]
                for x, y in (next(iter(forever)) for _ in range(3))]
result = dict(results=results, batches=batch_shapes, device=device, accelerated=accelerated,
              ddp=ddp, scale=scaler.get_scale())
if args.out:
    with open(args.out, "w") as f:
        json.dump(result, f)
