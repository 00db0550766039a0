"""Training and evaluation of the recommenders: temporal splits, ranking
metrics, settings chosen on validation, the re-ranker's tuning (the trajectory replay is in
training.simworld)."""
