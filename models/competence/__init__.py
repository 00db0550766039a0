"""Competence per direction on one 0-100 scale, with intervals, level bands, evidence and flags.

Public API: :class:`~models.competence.model.CompetenceModel` (LightGBM per direction),
:class:`~models.competence.bundle.CompetenceBundle` (statistics + calibration + model, what
serving loads) and :func:`~models.competence.rating_features.rating_frame` (the rule-based rating
as features).
"""
