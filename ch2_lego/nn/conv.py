"""nn.Conv1d/2d/3d, nn.ConvTranspose2d/3d: convolution layers over nn/conv_ops.py.

Weights are (O, C/G, *kernel) for convolution and (C, O/G, *kernel) for the transposed one, as in
PyTorch, initialised like Linear with fan_in = weight.shape[1] * prod(kernel).
"""

import math

from ch2_lego.creation import empty
from ch2_lego.nn import conv_ops, init
from ch2_lego.nn.errors import LayerArgumentError
from ch2_lego.nn.module import Module
from ch2_lego.nn.parameter import Parameter
from ch2_lego.tensor import Tensor


def _tuple(value, n: int) -> tuple:
    return (value,) * n if isinstance(value, int) else tuple(value)


class _ConvNd(Module):
    """Common set-up: shapes checked, weight and bias allocated and initialised."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, transposed, n, output_padding=0, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__()
        if padding_mode != "zeros":
            raise NotImplementedError(f"padding_mode={padding_mode!r}: only 'zeros' is supported")
        if in_channels % groups != 0:
            raise LayerArgumentError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise LayerArgumentError("out_channels must be divisible by groups")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.padding_mode = padding_mode
        self.kernel_size, self.stride = _tuple(kernel_size, n), _tuple(stride, n)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, n)
        self.dilation, self.output_padding = _tuple(dilation, n), _tuple(output_padding, n)
        shape = ((in_channels, out_channels // groups) if transposed
                 else (out_channels, in_channels // groups))
        self.weight = Parameter(empty(*shape, *self.kernel_size, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        n = len(self.kernel_size)
        if self.padding != (0,) * n:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + (", bias=False" if self.bias is None else "")


class Conv1d(_ConvNd):
    """Shapes: (B,C,L) -> (B,O,OL)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, False, 1, padding_mode=padding_mode, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor) -> Tensor:
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return conv_ops.conv1d(input, self.weight, self.bias, self.stride[0], padding,
                               self.dilation[0], self.groups)


class Conv2d(_ConvNd):
    """Shapes: (B,C,H,W) -> (B,O,OH,OW)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, False, 2, padding_mode=padding_mode, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor) -> Tensor:
        return conv_ops.conv2d(input, self.weight, self.bias, self.stride, self.padding,
                               self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """Shapes: (B,C,H,W) -> (B,O,OH,OW), OH = (H-1)*s - 2p + d(K-1) + output_padding + 1."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, True, 2, output_padding, padding_mode, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor) -> Tensor:
        return conv_ops.conv_transpose2d(input, self.weight, self.bias, self.stride,
                                         self.padding, self.output_padding, self.groups,
                                         self.dilation)


class Conv3d(_ConvNd):
    """Shapes: (B,C,D,H,W) -> (B,O,OD,OH,OW)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, False, 3, padding_mode=padding_mode, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor) -> Tensor:
        return conv_ops.conv3d(input, self.weight, self.bias, self.stride, self.padding,
                               self.dilation, self.groups)


class ConvTranspose3d(_ConvNd):
    """Shapes: (B,C,D,H,W) -> (B,O,OD,OH,OW), OD = (D-1)*s - 2p + d(K-1) + output_padding + 1."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, True, 3, output_padding, padding_mode, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor) -> Tensor:
        return conv_ops.conv_transpose3d(input, self.weight, self.bias, self.stride,
                                         self.padding, self.output_padding, self.groups,
                                         self.dilation)
