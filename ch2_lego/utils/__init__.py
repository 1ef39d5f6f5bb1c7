"""torch.utils for ch2_lego: datasets and data loaders (ch2_lego.utils.data)."""

from ch2_lego.utils import data

__all__ = ["data"]
