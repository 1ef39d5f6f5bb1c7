"""torch.backends.mps for ch2_lego: Apple's Metal device, which ch2 does not have."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
