"""torch.nn for ch2_lego: modules, layers, functional and init (filled by chapter 2 part 2)."""
