"""Chapter 2's part of `singsys demo`: train both language models on the names, then sample.

tour(out_dir) trains the MLP language model and the small GPT with ch2_lego on the CPU (tqdm
bars), prints generated names, saves the loss curves (lego_loss.png) and a checkpoint of the
MLP into out_dir, and returns summary rows for the demo's final table. About a minute on 2 cores.
"""

from pathlib import Path

import numpy as np

import ch2_lego
from ch2_lego.checkpoint import save
from ch2_lego.data import CharTokenizer, context_windows, load_names, padded_sequences, split_words
from ch2_lego.models import gpt, mlp_lm
from ch2_lego.models.train import evaluate_lm, train_lm


def plot_losses(curves: dict[str, list[float]], path: Path, window: int = 50) -> None:
    """Training loss per step (moving average over `window` steps), one line per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for label, losses in curves.items():
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        ax.plot(np.arange(window, len(losses) + 1), smooth, label=label)
    ax.set_xlabel("step")
    ax.set_ylabel(f"training loss (nats, mean of last {window} steps)")
    ax.set_title("ch2_lego: character-level language models on 5163 names")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def tour(out_dir: Path, mlp_steps: int = 2000, gpt_steps: int = 400) -> dict[str, str]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    words = load_names()
    train_words, val_words, _ = split_words(words)
    tok = CharTokenizer(words)
    ch2_lego.manual_seed(0)

    # 1. the MLP language model: 3 characters of context -> the next one
    x, y = context_windows(train_words, tok, block_size=3)
    xv, yv = context_windows(val_words, tok, block_size=3)
    mlp = mlp_lm.MLPLanguageModel(tok.vocab_size, block_size=3, n_embd=16, n_hidden=128)
    mlp_losses = train_lm(mlp, x, y, mlp_steps, batch_size=64, lr=1e-2, warmup=100,
                          desc="ch2 MLP LM")
    mlp_val = evaluate_lm(mlp, xv, yv)
    save(mlp.state_dict(), out_dir / "mlp_lm.ckpt")

    # 2. the GPT: whole names, causal attention over up to 16 positions
    x, y = padded_sequences(train_words, tok, block_size=16)
    xv, yv = padded_sequences(val_words, tok, block_size=16)
    model = gpt.GPT(gpt.GPTConfig(block_size=16, vocab_size=tok.vocab_size))
    gpt_losses = train_lm(model, x, y, gpt_steps, batch_size=32, lr=3e-3, warmup=30,
                          desc="ch2 GPT")
    gpt_val = evaluate_lm(model, xv, yv)

    # 3. sample new names from both
    gen = ch2_lego.Generator().manual_seed(7)
    mlp_names = [tok.decode(s) for s in mlp_lm.sample(mlp, 8, generator=gen)]
    gpt_names = [tok.decode(s) for s in gpt.sample(model, 8, generator=gen)]
    print("ch2 MLP LM samples:", ", ".join(mlp_names))
    print("ch2 GPT samples:   ", ", ".join(gpt_names))

    plot_losses({f"MLP LM (val {mlp_val:.3f})": mlp_losses,
                 f"GPT (val {gpt_val:.3f})": gpt_losses}, out_dir / "lego_loss.png")
    return {
        "MLP LM validation loss": f"{mlp_val:.3f} nats after {mlp_steps} steps",
        "GPT validation loss": f"{gpt_val:.3f} nats after {gpt_steps} steps",
        "GPT samples": ", ".join(gpt_names[:5]),
        "loss curve": str(out_dir / "lego_loss.png"),
    }
