"""Training: face-set batches with augmentation, losses, the optimisation loop, checkpoints."""
