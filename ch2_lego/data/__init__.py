"""Data shipped with chapter 2 and its loaders: names for the language models, digits for the CNN.

The loaders return numpy arrays (int64 ids, float32 images) so that both ch2_lego and PyTorch
can consume them unchanged; data/README.md gives the sources and licenses.
"""

from ch2_lego.data.digits import load_digits, split_digits
from ch2_lego.data.names import (
    CharTokenizer,
    context_windows,
    load_names,
    padded_sequences,
    split_words,
)

__all__ = [
    "CharTokenizer",
    "context_windows",
    "load_digits",
    "load_names",
    "padded_sequences",
    "split_digits",
    "split_words",
]
