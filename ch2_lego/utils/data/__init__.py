"""torch.utils.data for ch2_lego: datasets, samplers, collation and the DataLoader.

The submodules carry PyTorch's paths, so `from torch.utils.data.dataloader import DataLoader`
and `from torch.utils.data.sampler import BatchSampler` work as they do there:
dataset.py (Dataset, TensorDataset, Subset, ConcatDataset, random_split), sampler.py (the
orders), collate.py (examples to batches), dataloader.py (DataLoader, which uses the other three);
distributed.py (DistributedSampler) is imported by its path, as in torch.
"""

from ch2_lego.utils.data.collate import default_collate, default_convert
from ch2_lego.utils.data.dataloader import DataLoader, get_worker_info
from ch2_lego.utils.data.dataset import (
    ConcatDataset,
    DataError,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from ch2_lego.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = ["BatchSampler", "ConcatDataset", "DataError", "DataLoader", "Dataset",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "Subset",
           "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "default_collate",
           "default_convert", "get_worker_info", "random_split"]
