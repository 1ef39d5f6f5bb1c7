"""torch.nn for ch2_lego: Module and Parameter, containers, layers, functional, init, utils.

Files in the order the book builds them: parameter.py and module.py (the tree of parameters),
containers.py, linear.py, embedding.py, activation.py, normalization.py, dropout.py, loss.py,
conv_ops.py (convolution as a strided view) with conv.py and pooling.py, functional.py, init.py,
utils.py (gradient clipping), errors.py. The transformer pieces (attention with a KV cache, the
block) live with the GPT in ch2_lego/models/gpt.py, so that file runs on torch unchanged.
"""

from ch2_lego.nn import functional, init, utils
from ch2_lego.nn.activation import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    CosineSimilarity,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PairwiseDistance,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from ch2_lego.nn.containers import ModuleDict, ModuleList, Sequential
from ch2_lego.nn.conv import Conv1d, Conv2d, Conv3d, ConvTranspose2d, ConvTranspose3d
from ch2_lego.nn.dropout import Dropout, Dropout1d, Dropout2d, Dropout3d
from ch2_lego.nn.embedding import Embedding
from ch2_lego.nn.interpolate import Upsample
from ch2_lego.nn.linear import Flatten, Identity, Linear, Unflatten
from ch2_lego.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from ch2_lego.nn.module import Module
from ch2_lego.nn.normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm, RMSNorm
from ch2_lego.nn.parameter import Parameter
from ch2_lego.nn.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
from ch2_lego.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

__all__ = [
    "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv1d", "Conv2d", "ConvTranspose2d",
    "CrossEntropyLoss", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "Embedding", "Flatten",
    "Unflatten", "Upsample", "GELU", "GroupNorm", "Identity", "LayerNorm",
    "Linear", "LogSoftmax", "MSELoss", "MaxPool2d", "Module", "ModuleDict", "ModuleList",
    "Parameter", "RMSNorm", "ReLU", "Sequential", "SiLU", "Sigmoid", "Softmax", "Tanh",
    "functional", "init", "utils",
    "CELU", "CosineSimilarity", "ELU", "GLU", "Hardshrink", "Hardsigmoid", "Hardswish",
    "Hardtanh", "LeakyReLU", "LogSigmoid", "Mish", "PReLU", "PairwiseDistance", "ReLU6", "SELU",
    "Softmin", "Softplus", "Softshrink", "Softsign", "Tanhshrink", "Threshold", "Conv3d",
    "ConvTranspose3d", "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell",
    "BCELoss", "BCEWithLogitsLoss", "HuberLoss", "KLDivLoss", "L1Loss", "MarginRankingLoss",
    "NLLLoss", "SmoothL1Loss", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d",
    "AvgPool1d", "MaxPool1d",
]
