"""torch.utils for ch2_lego: datasets and data loaders."""
