"""torch.optim for ch2_lego: optimizers and learning-rate schedules."""
