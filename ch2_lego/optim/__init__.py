"""torch.optim for ch2_lego: the Optimizer base, SGD, Adam, AdamW, Adagrad, RMSprop, Adadelta
and lr_scheduler."""

from ch2_lego.optim import lr_scheduler
from ch2_lego.optim.adadelta import Adadelta
from ch2_lego.optim.adagrad import Adagrad
from ch2_lego.optim.adam import Adam, AdamW
from ch2_lego.optim.optimizer import Optimizer
from ch2_lego.optim.rmsprop import RMSprop
from ch2_lego.optim.sgd import SGD

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
