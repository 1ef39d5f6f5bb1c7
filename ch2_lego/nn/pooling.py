"""nn.MaxPool2d and nn.AvgPool2d: pooling layers over nn/conv_ops.py."""

from ch2_lego.nn import conv_ops
from ch2_lego.nn.module import Module
from ch2_lego.tensor import Tensor


class MaxPool2d(Module):
    """Shapes: (B,C,H,W) -> (B,C,OH,OW); stride defaults to kernel_size."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        return conv_ops.max_pool2d(input, self.kernel_size, self.stride, self.padding,
                                   self.dilation, self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Shapes: (B,C,H,W) -> (B,C,OH,OW); stride defaults to kernel_size."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return conv_ops.avg_pool2d(input, self.kernel_size, self.stride, self.padding,
                                   self.ceil_mode, self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool1d(MaxPool2d):
    """Shapes: (B,C,L) -> (B,C,OL); stride defaults to kernel_size."""

    def forward(self, input: Tensor) -> Tensor:
        return conv_ops.max_pool1d(input, self.kernel_size, self.stride, self.padding,
                                   self.dilation, self.ceil_mode, self.return_indices)


class AvgPool1d(AvgPool2d):
    """Shapes: (B,C,L) -> (B,C,OL); torch keeps its arguments as 1-tuples."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True):
        one = lambda v: (v,) if isinstance(v, int) else tuple(v)  # noqa: E731
        super().__init__(one(kernel_size), one(stride if stride is not None else kernel_size),
                         one(padding), ceil_mode, count_include_pad)

    def forward(self, input: Tensor) -> Tensor:
        return conv_ops.avg_pool1d(input, self.kernel_size, self.stride, self.padding,
                                   self.ceil_mode, self.count_include_pad)


class AdaptiveAvgPool2d(Module):
    """Shapes: (B,C,H,W) -> (B,C,*output_size); output_size=1 is global average pooling."""

    pool = staticmethod(conv_ops.adaptive_avg_pool2d)

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return type(self).pool(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    pool = staticmethod(conv_ops.adaptive_avg_pool1d)


class AdaptiveMaxPool2d(AdaptiveAvgPool2d):
    pool = staticmethod(conv_ops.adaptive_max_pool2d)
