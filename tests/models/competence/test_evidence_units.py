"""Feature values as moderators read them: units and plain-Russian names."""

from __future__ import annotations

import math

from features.schema import Feat
from models.competence.evidence import feature_value_ru


def test_units_and_names() -> None:
    assert feature_value_ru(Feat.PERF_MEAN, 0.534) == "53 % участников мероприятия позади"
    assert feature_value_ru(Feat.VERIFIED_SHARE, 0.5) == "50 %"
    assert feature_value_ru(Feat.DAYS_SINCE_LAST, 120.0) == "120 дн."
    assert feature_value_ru(Feat.GRADE, 9.0) == "9 класс"
    assert feature_value_ru(Feat.BEST_RESULT, 4.0) == "«призёр»"  # 5 winner .. 0 not completed
    assert feature_value_ru(Feat.BEST_RESULT, -1.0) == "нет"
    assert feature_value_ru(Feat.MAX_LEVEL, 3.0) == "«всероссийский»"
    assert feature_value_ru(Feat.ABILITY, 0.5).startswith("+0.50 (0 — средний уровень")
    assert feature_value_ru(Feat.RATING_SCORE_CURRENT, 71.6) == "72 из 100"
    assert feature_value_ru(Feat.N_RECORDS, math.nan) == "нет данных"
    assert feature_value_ru(Feat.N_RECORDS, 3.0) == "3"
