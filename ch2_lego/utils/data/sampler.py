"""torch.utils.data.sampler for ch2_lego: the orders in which a DataLoader visits a dataset.

A sampler is an iterable of dataset indices; a batch sampler is an iterable of lists of them.
RandomSampler with replacement draws its indices 32 at a time, so a sampler of 10^10 samples
(an "infinite" loader) costs nothing until it is iterated.
Letters legend: N examples in the dataset, B batch size.
"""

from collections.abc import Iterable, Sized

from ch2_lego.creation import as_tensor
from ch2_lego.dtype import float64
from ch2_lego.generator import Generator, multinomial
from ch2_lego.rand import randint, randperm

CHUNK = 32  # indices drawn per call when sampling with replacement


class Sampler:
    """Base class: an iterable of indices into a dataset."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., N-1."""

    def __init__(self, data_source: Sized):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


# --8<-- [start:random_sampler]
class RandomSampler(Sampler):
    """A random permutation of 0..N-1, or num_samples uniform draws with replacement."""

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None, generator: Generator | None = None):
        if not isinstance(replacement, bool):
            raise TypeError("replacement should be a boolean value, but got "
                            f"replacement={replacement}")
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        if self.replacement:  # lazily, CHUNK at a time
            for start in range(0, self.num_samples, CHUNK):
                size = min(CHUNK, self.num_samples - start)
                yield from randint(0, n, (size,), generator=self.generator).tolist()
        else:  # whole permutations, the last one cut to length
            for start in range(0, self.num_samples, n):
                order = randperm(n, generator=self.generator).tolist()
                yield from order[: self.num_samples - start]

    def __len__(self) -> int:
        return self.num_samples
# --8<-- [end:random_sampler]


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order each epoch."""

    def __init__(self, indices, generator: Generator | None = None):
        self.indices, self.generator = list(indices), generator

    def __iter__(self):
        for i in randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """num_samples indices drawn with probability proportional to `weights` (length N)."""

    def __init__(self, weights, num_samples: int, replacement: bool = True,
                 generator: Generator | None = None):
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError("replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        self.weights = as_tensor(weights, dtype=float64)
        if self.weights.dim() != 1:
            raise ValueError("weights should be a 1d sequence but given weights have shape "
                             f"{tuple(self.weights.shape)}")
        self.num_samples, self.replacement, self.generator = num_samples, replacement, generator

    def __iter__(self):
        draws = multinomial(self.weights, self.num_samples, self.replacement,
                            generator=self.generator)
        yield from draws.tolist()

    def __len__(self) -> int:
        return self.num_samples


# --8<-- [start:batch_sampler]
class BatchSampler(Sampler):
    """Group the indices of `sampler` into lists of batch_size (B); the last may be short."""

    def __init__(self, sampler: Iterable, batch_size: int, drop_last: bool):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError("batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
# --8<-- [end:batch_sampler]
