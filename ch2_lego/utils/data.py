"""torch.utils.data for ch2_lego: Dataset, TensorDataset, random_split and DataLoader.

A Dataset maps an index to one example; a DataLoader draws indices (shuffled with a seeded
generator, or in order), groups them into batches and collates the examples into batch tensors.
Left out: worker processes (num_workers is accepted, but loading stays in the main
process), samplers as objects, pinned memory.
Letters legend: N examples in the dataset, B batch size.
"""

import math
from collections.abc import Sequence

from ch2_lego.creation import tensor
from ch2_lego.generator import Generator
from ch2_lego.rand import randperm
from ch2_lego.tensor import Tensor
from ch2_lego.tensor_movement import stack


class DataError(ValueError):
    """Tensors of different lengths in one dataset, bad split lengths or batch sizes."""


class Dataset:
    """Anything with __getitem__(i) -> example and __len__."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")


class TensorDataset(Dataset):
    """Example i is (t[i] for t in tensors); all tensors share their first dimension N."""

    def __init__(self, *tensors: Tensor):
        if any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise DataError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The examples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Dataset, lengths: Sequence, generator: Generator | None = None):
    """Split into non-overlapping Subsets of the given lengths (or fractions summing to 1)."""
    n = len(dataset)
    if all(0 <= length <= 1 for length in lengths) and math.isclose(sum(lengths), 1):
        counts = [math.floor(n * frac) for frac in lengths]
        for i in range(n - sum(counts)):  # the remainder goes round-robin, as in PyTorch
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise DataError("Sum of input lengths does not equal the length of the input dataset!")
    order = randperm(n, generator=generator).tolist()
    subsets, start = [], 0
    for length in lengths:
        subsets.append(Subset(dataset, order[start : start + length]))
        start += length
    return subsets


def default_collate(batch: list):
    """Stack a list of examples into one batch: tensors stack, tuples collate field by field."""
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(batch)
    if isinstance(first, int | float | bool):
        return tensor(batch)
    if isinstance(first, tuple | list):
        return type(first)(default_collate(list(field)) for field in zip(*batch))
    if isinstance(first, dict):
        return {key: default_collate([example[key] for example in batch]) for key in first}
    raise TypeError(f"default_collate: batch must contain tensors, numbers, dicts or lists; "
                    f"found {type(first).__name__}")


# --8<-- [start:dataloader]
class DataLoader:
    """Iterate over a dataset in batches of B examples, optionally reshuffled every epoch.

    For a TensorDataset with the default collate, a batch is fetched with one indexing op per
    tensor (t[indices]) instead of B single-example fetches and a stack: same result, faster.
    num_workers and pin_memory are accepted so that PyTorch code runs unchanged, but every
    batch is loaded in the main process (the batches are the same; only the speed differs).
    """

    def __init__(self, dataset: Dataset, batch_size: int = 1, shuffle: bool = False, *,
                 num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, generator: Generator | None = None):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise DataError("num_workers option should be non-negative; use num_workers=0 to "
                            "disable multiprocessing.")
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise DataError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last, self.generator = shuffle, drop_last, generator
        self.collate_fn = collate_fn or default_collate

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
    # --8<-- [end:dataloader]

    # --8<-- [start:dataloader_iter]
    def __iter__(self):
        n = len(self.dataset)
        order = randperm(n, generator=self.generator) if self.shuffle else None
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            stop = min(start + self.batch_size, n)
            # In order, a batch is a slice (a view); shuffled, a gather by an index tensor.
            index = slice(start, stop) if order is None else order[start:stop]
            if isinstance(self.dataset, TensorDataset) and self.collate_fn is default_collate:
                yield tuple(t[index] for t in self.dataset.tensors)
            else:
                indices = range(start, stop) if order is None else index.tolist()
                yield self.collate_fn([self.dataset[i] for i in indices])
# --8<-- [end:dataloader_iter]
