"""Character-level data: the shipped names, a tokenizer, splits and context windows.

Everything here is plain Python and numpy, so the same arrays feed ch2_lego and PyTorch alike.
Letters legend: N examples, T context length (block_size), V vocabulary size.
The vocabulary is the 26 letters plus '.', token 0, which marks both the start and the end of a
name (as in Bengio et al. 2003 and makemore): a model learns when a name stops.
"""

import random
from pathlib import Path

import numpy as np

NAMES_PATH = Path(__file__).with_name("names.txt")

# *** 1. the words ***


def load_names(path: Path = NAMES_PATH) -> list[str]:
    """The shipped names, lowercase, in file order (see data/README.md for the source)."""
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def split_words(words: list[str], fractions=(0.8, 0.1, 0.1), seed: int = 42) -> list[list[str]]:
    """Shuffle `words` with a fixed seed and cut them into consecutive parts (train, val, test).

    Splitting whole words (not context windows) keeps every name entirely on one side, so the
    validation loss measures generalisation to names never seen, not to windows of seen ones.
    """
    words = list(words)
    random.Random(seed).shuffle(words)
    parts, start = [], 0
    for i, fraction in enumerate(fractions):
        end = len(words) if i == len(fractions) - 1 else start + round(fraction * len(words))
        parts.append(words[start:end])
        start = end
    return parts


# *** 2. the tokenizer ***


class TokenizerError(ValueError):
    """A character that is not in the tokenizer's vocabulary."""


# --8<-- [start:char_tokenizer]
class CharTokenizer:
    """Maps characters to integer ids and back; id 0 is the boundary token '.'."""

    def __init__(self, words: list[str], boundary: str = "."):
        chars = sorted(set("".join(words)) - {boundary})
        self.itos = [boundary, *chars]  # id -> character
        self.stoi = {ch: i for i, ch in enumerate(self.itos)}  # character -> id
        self.boundary_id = 0

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> list[int]:
        try:
            return [self.stoi[ch] for ch in text]
        except KeyError as e:
            raise TokenizerError(f"character {e.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids) -> str:
        return "".join(self.itos[int(i)] for i in ids)
# --8<-- [end:char_tokenizer]


# *** 3. fixed-context examples (the MLP language model) ***


# --8<-- [start:context_windows]
def context_windows(words: list[str], tok: CharTokenizer, block_size: int):
    """Every (previous `block_size` ids, next id) pair of every word, boundaries included.

    Shapes: -> X (N,T) int64, Y (N,) int64.
    "emma" with T=3 gives ... -> e, ..e -> m, .em -> m, emm -> a, mma -> '.'.
    """
    xs, ys = [], []
    for word in words:
        context = [tok.boundary_id] * block_size
        for idx in [*tok.encode(word), tok.boundary_id]:
            xs.append(context)
            ys.append(idx)
            context = context[1:] + [idx]
    return np.array(xs, dtype=np.int64).reshape(-1, block_size), np.array(ys, dtype=np.int64)
# --8<-- [end:context_windows]


# *** 4. padded sequences (the GPT) ***


def padded_sequences(words: list[str], tok: CharTokenizer, block_size: int, ignore_index=-100):
    """Each word as one fixed-length row of inputs and next-token targets.

    Shapes: -> X (N,T) int64, Y (N,T) int64, T = block_size.
    A row reads '.', then the word; its targets are the word, then '.': the sequence
    '.word.' shifted by one. Positions past the end hold 0 in X and `ignore_index` in Y, so
    cross_entropy skips them. A word too long for T positions is cut, and its last target is
    then its next letter, not '.': the model is never taught that a long name stops early.
    """
    x = np.zeros((len(words), block_size), dtype=np.int64)
    y = np.full((len(words), block_size), ignore_index, dtype=np.int64)
    for row, word in enumerate(words):
        seq = [tok.boundary_id, *tok.encode(word), tok.boundary_id][: block_size + 1]
        x[row, : len(seq) - 1] = seq[:-1]
        y[row, : len(seq) - 1] = seq[1:]
    return x, y
