"""training.simworld tests."""
