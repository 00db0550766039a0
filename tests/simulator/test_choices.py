"""Where simulated participants go: offline events below national level only in their region."""

from __future__ import annotations

import pandas as pd

from footprint.columns import Columns as C
from footprint.enums import Format, Level
from models.recommend.feasibility import FeasibilityRules


def test_offline_events_below_travel_levels_draw_only_their_own_region(clean: dict) -> None:
    """The recommender's feasibility rules allow an offline event in another region only at a
    travel level; the simulated choices must keep to the same rule (they once broke it in 2-6%
    of the choices at the evaluation cut-offs)."""
    acts = clean["activities"].set_index(C.ACTIVITY_ID)
    travel = {lv.value for lv in FeasibilityRules().travel_levels}
    assert Level.REGIONAL.value not in travel
    local_only = acts[(acts[C.FORMAT] == Format.OFFLINE.value) & ~acts[C.LEVEL].isin(travel)]
    home = clean["participants"].set_index(C.PARTICIPANT_ID)[C.REGION]
    ach = clean["achievements"]
    ach = ach[ach[C.ACTIVITY_ID].isin(local_only.index)]
    assert len(ach) > 100  # the world has such entries at all
    where = local_only[C.REGION].reindex(ach[C.ACTIVITY_ID]).to_numpy()
    who = home.reindex(ach[C.PARTICIPANT_ID]).to_numpy()
    assert (pd.Series(where) == pd.Series(who)).all()
    far = acts[(acts[C.FORMAT] == Format.OFFLINE.value) & acts[C.LEVEL].isin(travel)]
    ach_far = clean["achievements"][clean["achievements"][C.ACTIVITY_ID].isin(far.index)]
    away = (
        far[C.REGION].reindex(ach_far[C.ACTIVITY_ID]).to_numpy()
        != home.reindex(ach_far[C.PARTICIPANT_ID]).to_numpy()
    )
    assert away.any()  # people still travel to national and international events
