"""The Bengio-style MLP language model: embed the last T characters, one hidden layer, softmax.

Bengio, Ducharme, Vincent and Jauvin, "A Neural Probabilistic Language Model" (JMLR 2003): the
next character is predicted from a fixed window of T previous ones. This file is ordinary
PyTorch code: with `torch` in place of `ch2_lego` (models/twin.py does exactly that) it runs
unchanged, which is how the benchmark builds its PyTorch twin.
Letters legend: B batch, T context length (block_size), C embedding size, V vocabulary size.
"""

import ch2_lego as torch
from ch2_lego import nn
from ch2_lego.nn import functional as F


# --8<-- [start:mlp_lm]
class MLPLanguageModel(nn.Module):
    """logits = W2 tanh(W1 [e(x_1); ...; e(x_T)] + b1) + b2.

    Shapes: idx (B,T) int64, targets (B,) -> logits (B,V), loss () or None.
    """

    def __init__(self, vocab_size: int, block_size: int, n_embd: int = 16, n_hidden: int = 128):
        super().__init__()
        self.block_size = block_size
        self.wte = nn.Embedding(vocab_size, n_embd)  # one learned vector per character
        self.hidden = nn.Linear(block_size * n_embd, n_hidden)
        self.lm_head = nn.Linear(n_hidden, vocab_size)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        emb = self.wte(idx)  # (B,T,C)
        h = torch.tanh(self.hidden(emb.reshape(B, -1)))  # concatenate the T embeddings
        logits = self.lm_head(h)  # (B,V)
        loss = None if targets is None else F.cross_entropy(logits, targets)
        return logits, loss
# --8<-- [end:mlp_lm]


# --8<-- [start:mlp_sample]
@torch.no_grad()
def sample(model: MLPLanguageModel, num_samples: int, max_len: int = 20, generator=None):
    """Draw num_samples words, one character at a time, until each emits the boundary id 0.

    Returns lists of ids without the final 0. All rows advance together; a finished row keeps
    being extended, but its tail is cut off at its first 0.
    """
    context = torch.zeros(num_samples, model.block_size, dtype=torch.int64,
                          device=model.lm_head.weight.device)
    out = []
    for _ in range(max_len):
        logits, _ = model(context)
        probs = F.softmax(logits, dim=-1)
        nxt = torch.multinomial(probs, num_samples=1, generator=generator)  # (B,1)
        out.append(nxt)
        context = torch.cat([context[:, 1:], nxt], dim=1)  # slide the window by one
    rows = torch.cat(out, dim=1).tolist()
    return [row[: row.index(0)] if 0 in row else row for row in rows]
# --8<-- [end:mlp_sample]
