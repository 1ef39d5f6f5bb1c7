"""torch.backends.cudnn for ch2_lego: flags scripts assign (`cudnn.benchmark = True`), kept so
they read back, and changing nothing: ch2 uses no cuDNN."""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    return False


def version() -> None:
    return None
