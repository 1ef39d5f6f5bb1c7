"""nn.Embedding: a lookup table of num_embeddings rows of size embedding_dim.

Looking up row i is the same as multiplying a one-hot vector by the table, but costs a gather
instead of a matmul; the backward adds each output gradient into the row it came from. Rows are
initialised from N(0, 1), as in PyTorch; padding_idx's row starts at zero.
"""

from ch2_lego.creation import empty
from ch2_lego.grad_mode import no_grad
from ch2_lego.nn import functional as F
from ch2_lego.nn import init
from ch2_lego.nn.errors import LayerArgumentError
from ch2_lego.nn.module import Module
from ch2_lego.nn.parameter import Parameter
from ch2_lego.tensor import Tensor


class Embedding(Module):
    """Shapes: input (*) int64 -> (*, embedding_dim)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 device=None, dtype=None):
        super().__init__()
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise LayerArgumentError("Padding_idx must be within num_embeddings")
            padding_idx = padding_idx % num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_idx
        self.weight = Parameter(empty(num_embeddings, embedding_dim, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text if self.padding_idx is None else text + f", padding_idx={self.padding_idx}"
