"""torch.cuda.amp: the older spelling of torch.amp with the device fixed to "cuda"."""

from ch2_lego import amp


class GradScaler(amp.GradScaler):
    """torch.cuda.amp.GradScaler(...) == torch.amp.GradScaler("cuda", ...)."""

    _caller = 3

    def __init__(self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval,
                         enabled)


class autocast(amp.autocast):  # noqa: N801 (torch's name)
    """torch.cuda.amp.autocast(...) == torch.autocast("cuda", ...)."""

    _caller = 3

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        super().__init__("cuda", dtype or "float16", enabled, cache_enabled)
