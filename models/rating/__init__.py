"""The rule-based contest rating «Талант 20.35».

Rules as data (:mod:`.rules`), one vectorised engine (:func:`rate`), stable explanations
(:mod:`.explain`) and what-ifs (:func:`what_if`).
"""

from models.rating.engine import RatingResult, UnknownParticipantError, rate
from models.rating.explain import RatingExplanation
from models.rating.rules import RatingRules, default_rules, load_rules
from models.rating.whatif import HypotheticalAchievement, WhatIf, what_if

__all__ = [
    "HypotheticalAchievement",
    "RatingExplanation",
    "RatingResult",
    "RatingRules",
    "UnknownParticipantError",
    "WhatIf",
    "default_rules",
    "load_rules",
    "rate",
    "what_if",
]
