"""default_collate and default_convert: examples to batches, with torch.utils.data's rules.

Collating a list of B examples follows the structure of the first one: tensors are stacked to
(B, ...), numpy arrays become tensors and are stacked, Python floats become a float64 tensor
and ints an int64 one (bools a bool one), strings stay a list, and dicts, tuples and lists are
collated field by field (a tuple of fields comes back as a list, as in PyTorch).
"""

import collections.abc

import numpy as np

from ch2_lego.creation import as_tensor, tensor
from ch2_lego.dtype import float64
from ch2_lego.tensor import Tensor
from ch2_lego.tensor_movement import stack


def _is_text_array(a) -> bool:
    return a.dtype.kind in "SaUO"  # strings and objects are not numbers


# --8<-- [start:default_collate]
def default_collate(batch):
    """Stack a list of B examples into one batch (see the module docstring for the rules)."""
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(batch, 0)
    if isinstance(first, np.ndarray | np.number | np.bool_) and not _is_text_array(first):
        return stack([as_tensor(b) for b in batch], 0) if first.ndim else as_tensor(
            np.array(batch))
    if isinstance(first, float):
        return tensor(batch, dtype=float64)
    if isinstance(first, int):  # bool is an int too: a list of bools gives a bool tensor
        return tensor(batch)
    if isinstance(first, str | bytes):
        return batch
    if isinstance(first, collections.abc.Mapping):
        return {key: default_collate([example[key] for example in batch]) for key in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # a namedtuple keeps its type
        return type(first)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(first, collections.abc.Sequence):
        if any(len(example) != len(first) for example in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(field) for field in zip(*batch)]
    raise TypeError("default_collate: batch must contain tensors, numpy arrays, numbers, "
                    f"dicts or lists; found {type(first)}")
# --8<-- [end:default_collate]


def default_convert(data):
    """Numpy arrays (also inside dicts, tuples and lists) to tensors; the rest as it is. The
    DataLoader applies it to single examples when batch_size=None."""
    if isinstance(data, np.ndarray | np.number | np.bool_) and not _is_text_array(data):
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, list):
        return [default_convert(d) for d in data]
    return data
