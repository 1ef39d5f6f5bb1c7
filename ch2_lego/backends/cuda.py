"""torch.backends.cuda for ch2_lego: the TF32 and attention-kernel switches scripts set.

`torch.backends.cuda.matmul.allow_tf32` is another view of the float32 matmul precision (see
set_float32_matmul_precision in backends/__init__.py); ch2 computes float32 in float32 whatever
it says. ch2 has one attention (math), so only that kernel reads as enabled.
"""


class _Matmul:
    """torch.backends.cuda.matmul: `precision` is torch.get_float32_matmul_precision()."""

    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True

    def __init__(self):
        self.precision = "highest"

    @property
    def allow_tf32(self) -> bool:
        return self.precision != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value: bool) -> None:
        self.precision = "high" if value else "highest"


matmul = _Matmul()


def is_built() -> bool:
    return False


def flash_sdp_enabled() -> bool:
    return False


def mem_efficient_sdp_enabled() -> bool:
    return False


def math_sdp_enabled() -> bool:
    return True
