"""torch.optim for ch2_lego: the Optimizer base, SGD, Adam, AdamW and lr_scheduler."""

from ch2_lego.optim import lr_scheduler
from ch2_lego.optim.adam import Adam, AdamW
from ch2_lego.optim.optimizer import Optimizer
from ch2_lego.optim.sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "lr_scheduler"]
