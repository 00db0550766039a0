"""Training and evaluation of the competence model: cut-offs, labels, the
evaluation report, dated-score tables."""
