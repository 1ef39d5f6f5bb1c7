"""torch.backends.openmp for ch2_lego: ch2's own code starts no OpenMP threads."""


def is_available() -> bool:
    return False
