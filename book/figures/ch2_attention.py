"""Chapter 2: the causal mask in training, and the KV cache in generation.

Left: one head's attention weights over the name ".emma" (random scores, masked, softmaxed by
ch2_lego): row t is position t's query, and it sees keys 0..t only. Right: generating one
letter at a time with a KV cache, using the same mask rule as gpt.py, ones(T, S).tril(S - T):
each step computes one new key and value, appends them, and its single query sees all S.
"""

import math

import matplotlib.pyplot as plt
from figure_style import ASSETS, COLORS, COLUMN_WIDTH, save
from matplotlib.patches import Rectangle

import ch2_lego as lego

TOKENS = list(".emma")


def causal_weights() -> list[list[float]]:
    T = len(TOKENS)
    gen = lego.Generator().manual_seed(3)
    scores = lego.randn(T, T, generator=gen)
    mask = lego.ones(T, T, dtype=lego.bool).tril()
    return scores.masked_fill(~mask, -math.inf).softmax(-1).tolist()


def draw(assets=ASSETS):
    fig, (left, right) = plt.subplots(1, 2, figsize=(COLUMN_WIDTH, 4.0),
                                      gridspec_kw={"width_ratios": [1, 1.25], "wspace": 0.3})
    T = len(TOKENS)
    for t, row in enumerate(causal_weights()):
        for s, w in enumerate(row):
            seen = s <= t
            left.add_patch(Rectangle((s, -t), 0.95, 0.95, edgecolor="#BBBBBB",
                                     facecolor=plt.cm.Blues(0.15 + 0.8 * w) if seen else "#F2F2F2"))
            left.text(s + 0.47, -t + 0.47, f"{w:.2f}" if seen else "−∞", ha="center",
                      va="center", fontsize=9, color="white" if seen and w > 0.5 else "black")
    for i, tok in enumerate(TOKENS):
        left.text(i + 0.47, 1.1, f"'{tok}'", ha="center", fontsize=10)
        left.text(-0.15, -i + 0.47, f"'{tok}'", ha="right", va="center", fontsize=10)
    left.text(T / 2, 1.7, "keys \u2192", ha="center", fontsize=9, color=COLORS["muted"])
    left.text(-1.0, -T / 2 + 1, "queries \u2193", rotation=90, ha="center", va="center",
              fontsize=9, color=COLORS["muted"])
    left.set_title("training: all T queries at once,\nmasked above the diagonal", pad=26)
    left.set_xlim(-1.4, T), left.set_ylim(-T + 0.8, 2.0)

    steps = ["e", "m", "m", "a", "."]
    for step in range(len(steps)):
        S, T_new = step + 1, 1
        mask = lego.ones(T_new, S, dtype=lego.bool).tril(diagonal=S - T_new)
        assert all(mask.tolist()[0])  # the newest query sees every cached key
        for s in range(S):
            new = s == S - 1
            right.add_patch(Rectangle((s, -step), 0.95, 0.95, edgecolor="#BBBBBB",
                                      facecolor=COLORS["grad"] if new else COLORS["light"]))
            right.text(s + 0.47, -step + 0.47, repr(TOKENS[s]), ha="center", va="center",
                       fontsize=10, color="white" if new else "black")
        right.text(S + 0.2, -step + 0.47, f"S = {S}", va="center", fontsize=9)
        right.text(-0.15, -step + 0.47, f"step {step + 1}", ha="right", va="center", fontsize=9)
    right.text(2.5, 1.1, "cached keys and values, by position", ha="center", fontsize=9,
               color=COLORS["muted"])
    right.set_title("generation with a KV cache: each step adds one\nkey and value (orange); "
                    "its one query sees all S", pad=26)
    right.set_xlim(-1.4, 6.2), right.set_ylim(-4.2, 1.7)
    for ax in (left, right):
        ax.set_aspect("equal"), ax.axis("off")
    fig.subplots_adjust(left=0, right=1, bottom=0, top=0.88)  # the whole column
    return [save(fig, assets / "ch2_lego" / "attention_kv_cache.svg")]


if __name__ == "__main__":
    print(draw())
