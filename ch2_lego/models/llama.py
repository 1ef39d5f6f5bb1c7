"""A small Llama-style model: the GPT of gpt.py with the changes later models made.

RMSNorm instead of LayerNorm (scale only, no centering), rotary position embeddings on the
queries and keys instead of a learned position table, a SwiGLU feed-forward instead of GELU,
grouped-query attention (fewer key/value heads than query heads: a smaller KV cache), and no
biases. Like gpt.py this is plain PyTorch code that also runs with torch in place of ch2_lego
(models/twin.py). Letters legend: B batch, T sequence length, S cached + new length,
C n_embd, H query heads, Hkv key/value heads, D head size C/H, F hidden size, V vocabulary.
"""

import math
from dataclasses import dataclass

import ch2_lego as torch
from ch2_lego import nn
from ch2_lego.nn import functional as F


@dataclass
class LlamaConfig:
    block_size: int = 16  # longest sequence the rotary tables cover
    vocab_size: int = 27
    n_layer: int = 2
    n_head: int = 4
    n_kv_head: int = 2  # each key/value head serves n_head / n_kv_head query heads
    n_embd: int = 64
    hidden: int = 176  # SwiGLU width: about 8/3 C (three matrices instead of two)
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5


# *** 1. RMSNorm and rotary embeddings ***


# --8<-- [start:rmsnorm]
class RMSNorm(nn.Module):
    """x / sqrt(mean(x^2) + eps) * weight over the last dim: LayerNorm without the centering
    and the bias, one reduction instead of two. Shapes: (*, C) -> (*, C)."""

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * (x * x).mean(-1, keepdim=True).add(self.eps).rsqrt() * self.weight
# --8<-- [end:rmsnorm]


# --8<-- [start:rope]
def rope_tables(head_dim: int, length: int, theta: float = 10000.0, device=None):
    """cos and sin of the rotation angles, position p times frequency theta^(-2i/D).

    Shapes: -> cos, sin (length, D): each frequency is written twice, for the two halves.
    """
    freqs = theta ** (-torch.arange(0, head_dim, 2, device=device).double() / head_dim)
    angles = torch.outer(torch.arange(length, device=device).double(), freqs)  # (length, D/2)
    angles = torch.cat([angles, angles], dim=-1)
    return angles.cos(), angles.sin()


def apply_rope(x, cos, sin):
    """Rotate each pair (x_i, x_{i+D/2}) of every head by its position's angle.

    Shapes: x (B, H, T, D), cos and sin (T, D) -> (B, H, T, D). The dot product of a rotated
    query at position m and a rotated key at position n depends on m - n only: attention
    sees relative positions, with no position table to learn.
    """
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)  # (-x2, x1)
    return x * cos + rotated * sin
# --8<-- [end:rope]


# *** 2. attention with grouped-query heads and a KV cache ***


class KVCache:
    """The keys and values of every position processed so far, for one attention layer.

    Shapes: k, v (B, Hkv, S, D); update appends the new positions along S.
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


class Attention(nn.Module):
    """Causal self-attention with rotary positions and Hkv <= H key/value heads.

    Shapes: x (B, T, C), cos and sin (T, D) of the new positions -> (B, T, C).
    """

    def __init__(self, config: LlamaConfig):
        super().__init__()
        if config.n_embd % config.n_head or config.n_head % config.n_kv_head:
            raise ValueError(f"n_embd={config.n_embd} must be divisible by n_head="
                             f"{config.n_head}, and n_head by n_kv_head={config.n_kv_head}")
        self.n_head, self.n_kv_head = config.n_head, config.n_kv_head
        self.head_dim = config.n_embd // config.n_head
        if self.head_dim % 2:
            raise ValueError(f"head size n_embd / n_head = {self.head_dim} must be even: rotary "
                             f"embeddings turn the features in pairs")
        kv_dim = self.n_kv_head * self.head_dim
        self.wq = nn.Linear(config.n_embd, config.n_embd, bias=False)
        self.wk = nn.Linear(config.n_embd, kv_dim, bias=False)
        self.wv = nn.Linear(config.n_embd, kv_dim, bias=False)
        self.wo = nn.Linear(config.n_embd, config.n_embd, bias=False)

    def forward(self, x, cos, sin, cache: KVCache | None = None):
        B, T, C = x.shape
        q = self.wq(x).view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        k = self.wk(x).view(B, T, self.n_kv_head, self.head_dim).transpose(1, 2)
        v = self.wv(x).view(B, T, self.n_kv_head, self.head_dim).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)  # keys are cached rotated
        if cache is not None:
            k, v = cache.update(k, v)  # (B, Hkv, S, D)
        S = k.shape[2]
        if S == T:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        else:  # new query i sits at absolute position S - T + i: it sees keys 0..S-T+i
            mask = torch.ones(T, S, dtype=torch.bool, device=x.device).tril(diagonal=S - T)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True)
        return self.wo(y.transpose(1, 2).contiguous().view(B, T, C))


# *** 3. the block and the model ***


class SwiGLU(nn.Module):
    """w2(silu(w1 x) * w3 x): a gated feed-forward. Shapes: (B, T, C) -> (B, T, C)."""

    def __init__(self, config: LlamaConfig):
        super().__init__()
        self.w1 = nn.Linear(config.n_embd, config.hidden, bias=False)  # the gate
        self.w3 = nn.Linear(config.n_embd, config.hidden, bias=False)  # the value
        self.w2 = nn.Linear(config.hidden, config.n_embd, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


# --8<-- [start:llama_block]
class Block(nn.Module):
    """x + attention(norm(x)), then + feed_forward(norm(x)): pre-norm, as in the GPT."""

    def __init__(self, config: LlamaConfig):
        super().__init__()
        self.attention_norm = RMSNorm(config.n_embd, config.norm_eps)
        self.attention = Attention(config)
        self.ffn_norm = RMSNorm(config.n_embd, config.norm_eps)
        self.feed_forward = SwiGLU(config)

    def forward(self, x, cos, sin, cache: KVCache | None = None):
        x = x + self.attention(self.attention_norm(x), cos, sin, cache)
        return x + self.feed_forward(self.ffn_norm(x))
# --8<-- [end:llama_block]


class Llama(nn.Module):
    """Shapes: idx (B, T) int64, targets (B, T) -> logits (B, T, V), loss () or None.

    Targets equal to -100 are ignored by the loss (padding after the end of a name).
    """

    def __init__(self, config: LlamaConfig):
        super().__init__()
        self.config = config
        self.tok_embeddings = nn.Embedding(config.vocab_size, config.n_embd)
        self.layers = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.norm = RMSNorm(config.n_embd, config.norm_eps)
        self.output = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        # GPT-2's init, as in gpt.py: the projections into the residual stream scaled down
        residual_std = 0.02 / math.sqrt(2 * config.n_layer)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = residual_std if name.endswith(("wo.weight", "w2.weight")) else 0.02
                nn.init.normal_(p, mean=0.0, std=std)
        cos, sin = rope_tables(config.n_embd // config.n_head, config.block_size,
                               config.rope_theta)
        self.rope_cos, self.rope_sin = cos, sin  # float64 tables, cast to x's dtype per call

    def forward(self, idx, targets=None, caches: list[KVCache] | None = None):
        B, T = idx.shape
        start = caches[0].length if caches else 0
        if start + T > self.config.block_size:
            raise ValueError(f"Cannot forward sequence of length {start + T}, block size is only "
                             f"{self.config.block_size}")
        x = self.tok_embeddings(idx)  # (B, T, C)
        cos = self.rope_cos[start : start + T].to(device=x.device, dtype=x.dtype)
        sin = self.rope_sin[start : start + T].to(device=x.device, dtype=x.dtype)
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, caches[i] if caches else None)
        logits = self.output(self.norm(x))  # (B, T, V)
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T),
                               ignore_index=-100)
        return logits, loss


@torch.no_grad()
def generate(model: Llama, idx, max_new_tokens: int, temperature: float = 1.0,
             generator=None, use_cache: bool = True):
    """Extend idx (B, T0) by max_new_tokens sampled tokens -> (B, T0 + max_new_tokens); with
    the cache each step feeds only the newest token."""
    caches = [KVCache() for _ in model.layers] if use_cache else None
    out, feed = idx, idx
    for _ in range(max_new_tokens):
        logits, _ = model(feed, caches=caches)
        probs = F.softmax(logits[:, -1, :] / temperature, dim=-1)
        nxt = torch.multinomial(probs, num_samples=1, generator=generator)  # (B, 1)
        out = torch.cat([out, nxt], dim=1)
        feed = nxt if use_cache else out
    return out


def sample(model: Llama, num_samples: int, generator=None) -> list[list[int]]:
    """Names as id lists: start from the boundary id 0, stop at the next 0."""
    device = model.output.weight.device
    start = torch.zeros(num_samples, 1, dtype=torch.int64, device=device)
    rows = generate(model, start, model.config.block_size - 1, generator=generator)
    rows = rows[:, 1:].tolist()
    return [row[: row.index(0)] if 0 in row else row for row in rows]
