"""torch.utils.data.dataset for ch2_lego: Dataset, TensorDataset, Subset and random_split.

A map-style Dataset turns an index into one example (`__getitem__`) and knows its size N
(`__len__`); an IterableDataset is a stream of examples with no index.
"""

import math
from collections.abc import Sequence

from ch2_lego.generator import Generator
from ch2_lego.rand import randperm
from ch2_lego.tensor import Tensor


class DataError(ValueError):
    """Tensors of different lengths in one dataset, bad split lengths or batch sizes."""


class Dataset:
    """Anything with __getitem__(i) -> example and __len__."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of examples: subclasses define __iter__ (and no index)."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


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
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """The examples of several datasets one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise DataError("datasets should not be an empty iterable")
        self.ends = []  # ends[k]: one past the last global index of datasets[k]
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise DataError("ConcatDataset does not support IterableDataset")
            self.ends.append((self.ends[-1] if self.ends else 0) + len(dataset))

    def __len__(self) -> int:
        return self.ends[-1]

    def __getitem__(self, index: int):
        if index < 0:
            if -index > len(self):
                raise DataError("absolute value of index should not exceed dataset length")
            index += len(self)
        for k, end in enumerate(self.ends):
            if index < end:
                return self.datasets[k][index - (self.ends[k - 1] if k else 0)]
        raise IndexError(f"index {index} is out of range for a dataset of size {len(self)}")


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
