"""torch.backends.mkldnn for ch2_lego: oneDNN, which ch2 does not use (`enabled` reads back)."""

enabled = True


def is_available() -> bool:
    return False
