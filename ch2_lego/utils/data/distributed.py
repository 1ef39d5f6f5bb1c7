"""torch.utils.data.distributed for ch2_lego: DistributedSampler, each process's share of the data.

With R processes (replicas), process `rank` visits every R-th index of one common order (the
same seeded permutation in every process, or 0..N-1), padded by repeating its start so that all
shares are equally long, or cut (drop_last). ch2 runs in one process, so the number of replicas
and the rank must be given: there is no process group to ask.
Letters legend: N examples in the dataset, R replicas.
"""

import math

from ch2_lego.generator import Generator
from ch2_lego.rand import randperm
from ch2_lego.utils.data.sampler import Sampler


class DistributedSampler(Sampler):
    """The indices of replica `rank` out of `num_replicas`, ceil(N/R) of them (N//R if
    drop_last); reshuffled per epoch from seed + epoch when shuffle."""

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False):
        if num_replicas is None or rank is None:  # PyTorch would ask the process group
            raise RuntimeError("Requires distributed package to be available (ch2_lego has none:"
                               " pass num_replicas and rank)")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, seed, drop_last, 0
        n = len(dataset)
        self.num_samples = n // num_replicas if drop_last else math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:  # the same order in every process: seeded by seed + epoch only
            generator = Generator().manual_seed(self.seed + self.epoch)
            order = randperm(n, generator=generator).tolist()
        else:
            order = list(range(n))
        order = (order * math.ceil(self.total_size / n))[: self.total_size]  # pad or cut
        return iter(order[self.rank :: self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Call before each epoch, so that each epoch is shuffled differently."""
        self.epoch = epoch
