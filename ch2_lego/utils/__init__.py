"""torch.utils for ch2_lego: data (datasets, samplers, DataLoader) and tensorboard (scalar
logging to CSV). `import ch2_lego.utils.tensorboard` is needed to use the latter, as in torch."""

from ch2_lego.utils import data

__all__ = ["data"]
