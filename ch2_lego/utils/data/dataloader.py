"""torch.utils.data.dataloader for ch2_lego: DataLoader, batches of a dataset in a sampler's order.

A DataLoader is three pieces: a sampler gives the order of the indices (in order, shuffled, or
any Sampler), a batch sampler groups them into lists of B, and collate_fn turns the B examples
of a list into one batch. Worker processes and pinned memory are accepted and ignored: every
batch is loaded in the main process, so the batches are the same, only the speed differs.
Letters legend: N examples in the dataset, B batch size.
"""

import operator

from ch2_lego.creation import tensor
from ch2_lego.generator import Generator
from ch2_lego.utils.data.collate import default_collate, default_convert
from ch2_lego.utils.data.dataset import DataError, Dataset, IterableDataset, TensorDataset
from ch2_lego.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
)

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]


def get_worker_info():
    """None: there are no worker processes (PyTorch's answer in the main process)."""
    return None


# --8<-- [start:dataloader]
class DataLoader:
    """Iterate over a dataset in batches of B examples, optionally reshuffled every epoch."""

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | None = None, batch_sampler: Sampler | None = None,
                 num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None,
                 multiprocessing_context=None, generator: Generator | None = None, *,
                 prefetch_factor=None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise DataError("num_workers option should be non-negative; use num_workers=0 to "
                            "disable multiprocessing.")
        if isinstance(dataset, IterableDataset) and (shuffle or sampler or batch_sampler):
            raise DataError("DataLoader with IterableDataset: expected unspecified shuffle, "
                            "sampler and batch_sampler options")
        if sampler is not None and shuffle:
            raise DataError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise DataError("batch_sampler option is mutually exclusive with batch_size, "
                                "shuffle, sampler, and drop_last")
            batch_size = None
        elif batch_size is None and drop_last:
            raise DataError("batch_size=None option disables auto-batching and is mutually "
                            "exclusive with drop_last")
        if sampler is None and not isinstance(dataset, IterableDataset):
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None and sampler is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)  # checks batch_size
        elif batch_size is not None and (isinstance(batch_size, bool) or
                                         not isinstance(batch_size, int) or batch_size <= 0):
            raise DataError("batch_size should be a positive integer value, but got "
                            f"batch_size={batch_size}")
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.num_workers, self.pin_memory = num_workers, pin_memory
        auto = batch_size is not None or batch_sampler is not None
        self.collate_fn = collate_fn or (default_collate if auto else default_convert)

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # a TypeError when the stream has no length, as in PyTorch
            b = self.batch_size or 1
            return n // b if self.drop_last else -(-n // b)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)
    # --8<-- [end:dataloader]

    # --8<-- [start:dataloader_iter]
    def __iter__(self):
        if isinstance(self.dataset, IterableDataset):
            yield from self._iter_stream()
        elif self.batch_sampler is None:  # batch_size=None: one example at a time
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
        else:
            for indices in self.batch_sampler:
                yield self._fetch(indices)

    def _fetch(self, indices: list):
        """One batch. For a TensorDataset with the default collate, one gather per tensor
        (t[indices], a copy, as the stack of B examples is) replaces B single-example fetches
        and a stack: the same batch, faster. A subclass may redefine __getitem__, so it (and
        an empty list of indices) takes the general path."""
        if (type(self.dataset) is TensorDataset and self.collate_fn is default_collate
                and len(indices) > 0):
            index = tensor([operator.index(i) for i in indices])  # ints, as a list indexes
            return [t[index] for t in self.dataset.tensors]
        return self.collate_fn([self.dataset[i] for i in indices])
    # --8<-- [end:dataloader_iter]

    def _iter_stream(self):
        """Batches of an IterableDataset: consecutive examples, B at a time."""
        if self.batch_size is None:
            yield from (self.collate_fn(example) for example in self.dataset)
            return
        batch = []
        for example in self.dataset:
            batch.append(example)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)
