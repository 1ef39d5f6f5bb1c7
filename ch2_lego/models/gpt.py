"""A small GPT: token and position embeddings, pre-norm transformer blocks, a linear head.

In the spirit of GPT-2 and nanoGPT, at toy size: each block is causal multi-head self-attention
followed by an MLP, each wrapped as x + f(LayerNorm(x)). Generation keeps a KV cache, so each
new token attends to the stored keys and values instead of recomputing the whole prefix.
Like mlp_lm.py this is plain PyTorch code that also runs with torch in place of ch2_lego.
Letters legend: B batch, T sequence length, S cached + new length, C n_embd, H heads,
D head size C/H, V vocabulary size.
"""

import math
from dataclasses import dataclass

import ch2_lego as torch
from ch2_lego import nn
from ch2_lego.nn import functional as F


@dataclass
class GPTConfig:
    block_size: int = 16  # longest sequence the position table covers
    vocab_size: int = 27
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 64
    dropout: float = 0.0
    bias: bool = True


# *** 1. attention with a KV cache ***


class KVCache:
    """The keys and values of every position processed so far, for one attention layer.

    Shapes: k, v (B,H,S,D); update appends the new positions along S.
    """

    def __init__(self):
        self.k = self.v = None

    @property
    def length(self) -> int:
        return 0 if self.k is None else self.k.shape[2]

    def update(self, k, v):
        if self.k is not None:
            k, v = torch.cat([self.k, k], dim=2), torch.cat([self.v, v], dim=2)
        self.k, self.v = k, v
        return k, v


# --8<-- [start:causal_self_attention]
class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position t sees positions 0..t only.

    Shapes: x (B,T,C) -> (B,T,C).
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        if config.n_embd % config.n_head != 0:
            raise ValueError(f"n_embd={config.n_embd} is not divisible by n_head={config.n_head}")
        self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)  # q, k, v
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x, cache: KVCache | None = None):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        # (B,T,C) -> (B,H,T,D): a view and a transpose, so every head attends independently.
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        if cache is not None:
            k, v = cache.update(k, v)  # (B,H,S,D), S = cached + T
        S = k.shape[2]
        dropout_p = self.dropout if self.training else 0.0
        if S == T:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)
        else:  # new query i sits at absolute position S - T + i: it sees keys 0..S-T+i
            mask = torch.ones(T, S, dtype=torch.bool, device=x.device).tril(diagonal=S - T)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # heads side by side again
        return self.resid_dropout(self.c_proj(y))
# --8<-- [end:causal_self_attention]


# *** 2. the block ***


class MLP(nn.Module):
    """Position-wise feed-forward: C -> 4C -> GELU -> C. Shapes: (B,T,C) -> (B,T,C)."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU(approximate="tanh")  # GPT-2's approximation
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


# --8<-- [start:block]
class Block(nn.Module):
    """x + attn(ln_1(x)), then + mlp(ln_2(x)): pre-norm residual blocks train stably."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x, cache: KVCache | None = None):
        x = x + self.attn(self.ln_1(x), cache)
        return x + self.mlp(self.ln_2(x))
# --8<-- [end:block]


# *** 3. the model ***


# --8<-- [start:gpt]
class GPT(nn.Module):
    """Shapes: idx (B,T) int64, targets (B,T) -> logits (B,T,V), loss () or None.

    Targets equal to -100 are ignored by the loss (padding after the end of a name).
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)  # token embeddings
        self.wpe = nn.Embedding(config.block_size, config.n_embd)  # position embeddings
        self.drop = nn.Dropout(config.dropout)
        self.h = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.apply(self._init_weights)
        # GPT-2: shrink the projections that write into the residual stream by 1/sqrt(2 L),
        # so the stream's variance does not grow with depth.
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
    # --8<-- [end:gpt]

    # --8<-- [start:gpt_forward]
    def forward(self, idx, targets=None, caches: list[KVCache] | None = None):
        B, T = idx.shape
        start = caches[0].length if caches else 0
        if start + T > self.config.block_size:
            raise ValueError(f"Cannot forward sequence of length {start + T}, block size is only "
                             f"{self.config.block_size}")
        pos = torch.arange(start, start + T, device=idx.device)  # absolute positions of new tokens
        x = self.drop(self.wte(idx) + self.wpe(pos))  # (B,T,C)
        for i, block in enumerate(self.h):
            x = block(x, caches[i] if caches else None)
        logits = self.lm_head(self.ln_f(x))  # (B,T,V)
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T),
                               ignore_index=-100)
        return logits, loss
# --8<-- [end:gpt_forward]


# --8<-- [start:gpt_generate]
@torch.no_grad()
def generate(model: GPT, idx, max_new_tokens: int, temperature: float = 1.0,
             generator=None, use_cache: bool = True):
    """Extend idx (B,T0) by max_new_tokens sampled tokens -> (B, T0 + max_new_tokens).

    With the cache, the prompt is processed once and then each step feeds only the newest
    token: O(S) work per step instead of O(S^2) for re-running the whole prefix.
    """
    caches = [KVCache() for _ in model.h] if use_cache else None
    out, feed = idx, idx
    for _ in range(max_new_tokens):
        logits, _ = model(feed, caches=caches)
        probs = F.softmax(logits[:, -1, :] / temperature, dim=-1)
        nxt = torch.multinomial(probs, num_samples=1, generator=generator)  # (B,1)
        out = torch.cat([out, nxt], dim=1)
        feed = nxt if use_cache else out
    return out
# --8<-- [end:gpt_generate]


def sample(model: GPT, num_samples: int, generator=None) -> list[list[int]]:
    """Names as id lists: start from the boundary id 0, stop at the next 0."""
    device = model.lm_head.weight.device
    start = torch.zeros(num_samples, 1, dtype=torch.int64, device=device)
    rows = generate(model, start, model.config.block_size - 1, generator=generator)
    rows = rows[:, 1:].tolist()
    return [row[: row.index(0)] if 0 in row else row for row in rows]
