"""Train a tiny character-level attention model, checkpoint it, resume it and sample from it.

Written the ordinary PyTorch way; a test runs it with PyTorch and through
`python -m ch2_lego.as_torch` and compares what it writes:
python char_model.py --work_dir DIR --steps 8 --resume_at 4
The run is split at --resume_at: a checkpoint (model, optimizer, step, config) is saved with
torch.save, loaded into a fresh model and optimizer with torch.load, and training goes on; a
second, uninterrupted run gives the losses the resumed one must repeat.
"""

import argparse
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
from torch.nn import functional as F

try:
    from torch.utils.tensorboard import SummaryWriter
except ImportError:  # PyTorch's needs the tensorboard package
    SummaryWriter = None

WORDS = ("ada alan ava bea cal cleo dan dora eli emma finn gus hal ida ivy jan kai lea lou max "
         "mia ned nia ola otto pia quin ray rosa sam tess uma val wes xia yara zoe").split()
chars = sorted(set("".join(WORDS)))
stoi = {c: i + 1 for i, c in enumerate(chars)}  # 0 is the boundary "."
itos = {i: c for c, i in stoi.items()} | {0: "."}

parser = argparse.ArgumentParser()
parser.add_argument("--work_dir", default="out")
parser.add_argument("--steps", type=int, default=8)
parser.add_argument("--resume_at", type=int, default=4)
args = parser.parse_args()
os.makedirs(args.work_dir, exist_ok=True)
config = dict(vocab_size=len(chars) + 1, block_size=6, n_embd=16, n_head=2, lr=3e-3)


class Attention(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.n_head = n_head
        self.qkv = nn.Linear(n_embd, 3 * n_embd)
        self.proj = nn.Linear(n_embd, n_embd)

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))


class CharModel(nn.Module):
    def __init__(self, vocab_size, block_size, n_embd, n_head, **_):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.ln = nn.LayerNorm(n_embd)
        self.attn = Attention(n_embd, n_head)
        self.head = nn.Linear(n_embd, vocab_size, bias=False)

    def forward(self, idx, targets=None):
        pos = torch.arange(0, idx.size(1), dtype=torch.long, device=idx.device).unsqueeze(0)
        x = self.wte(idx) + self.wpe(pos)
        logits = self.head(x + self.attn(self.ln(x)))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1),
                                   ignore_index=-1)
        return logits, loss


def encode_all(block_size):
    """Every word as (x, y): x starts at the boundary, y is x shifted; -1 pads y."""
    xs, ys = [], []
    for w in WORDS:
        ids = [stoi[c] for c in w][: block_size - 1]
        x = [0] + ids + [0] * (block_size - 1 - len(ids))
        y = ids + [0] + [-1] * (block_size - 1 - len(ids))
        xs.append(x)
        ys.append(y)
    return torch.tensor(xs, dtype=torch.long), torch.tensor(ys, dtype=torch.long)


def fresh(seed=0):
    """A model with weights from numpy's generator (so that any library starts the same)."""
    model = CharModel(**config).double()
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)) * 0.2))
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}]
    return model, torch.optim.AdamW(groups, lr=config["lr"], betas=(0.9, 0.95))


def lr_at(it):
    return config["lr"] * 0.5 * (1 + math.cos(math.pi * it / args.steps))


X, Y = encode_all(config["block_size"])
batches = np.random.default_rng(1).integers(0, len(WORDS), (args.steps, 8))


def train(model, optimizer, start, stop, writer=None):
    losses = []
    for it in range(start, stop):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(it)
        ix = torch.from_numpy(batches[it])
        _, loss = model(X[ix], Y[ix])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
        if writer is not None:
            writer.add_scalar("Loss/train", loss.item(), it)
    return losses


writer = SummaryWriter(log_dir=args.work_dir) if SummaryWriter is not None else None
model, optimizer = fresh()
first = train(model, optimizer, 0, args.resume_at, writer)
ckpt_path = os.path.join(args.work_dir, "ckpt.pt")
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "iter_num": args.resume_at, "best_val_loss": torch.tensor(first[-1]),
            "config": config}, ckpt_path)

checkpoint = torch.load(ckpt_path, map_location="cpu")
model, optimizer = fresh(seed=99)  # other weights, overwritten by the checkpoint
model.load_state_dict(checkpoint["model"])
optimizer.load_state_dict(checkpoint["optimizer"])
resumed = train(model, optimizer, checkpoint["iter_num"], args.steps, writer)
if writer is not None:
    writer.flush()
straight = train(*fresh(), 0, args.steps)


@torch.no_grad()
def sample(model, n, top_k=5):
    """n names drawn letter by letter from the top_k most likely next characters."""
    idx = torch.zeros((n, 1), dtype=torch.long)
    for _ in range(config["block_size"] - 1):
        logits, _ = model(idx)
        logits = logits[:, -1, :]
        v, _ = torch.topk(logits, top_k)
        logits[logits < v[:, [-1]]] = -float("Inf")
        idx = torch.cat((idx, torch.multinomial(F.softmax(logits, dim=-1), 1)), dim=1)
    return ["".join(itos[i] for i in row[1:]).split(".")[0] for row in idx.tolist()]


names = sample(model.eval(), 4)
print("losses", [round(v, 4) for v in first + resumed], "samples", names)
with open(os.path.join(args.work_dir, "result.json"), "w") as f:
    json.dump(dict(first=first, resumed=resumed, straight=straight, samples=names,
                   best_val_loss=float(checkpoint["best_val_loss"]),
                   config=checkpoint["config"]), f)
