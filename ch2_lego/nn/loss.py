"""Loss layers: CrossEntropyLoss and MSELoss, thin wrappers over nn.functional."""

from ch2_lego.nn import functional as F
from ch2_lego.nn.module import Module
from ch2_lego.tensor import Tensor


class CrossEntropyLoss(Module):
    """-log softmax(input)[target], averaged; class indices, ignore_index, label smoothing.

    Shapes: input (B,V) or (B,V,*), target (B,) or (B,*) int64 -> () with reduction='mean'.
    """

    def __init__(self, weight: Tensor | None = None, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__()
        self.register_buffer("weight", weight)
        self.ignore_index, self.reduction = ignore_index, reduction
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        kwargs = dict(ignore_index=self.ignore_index, reduction=self.reduction,
                      label_smoothing=self.label_smoothing)
        if self.weight is not None:
            kwargs["weight"] = self.weight
        return F.cross_entropy(input, target, **kwargs)


class MSELoss(Module):
    """mean((input - target)^2) with reduction='mean'."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)
