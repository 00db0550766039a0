"""The explanation: a stable JSON shape, a reason for every achievement that did not count."""

from __future__ import annotations

import json
import re

import pytest

from models.rating.codes import NOTE_TEXT_RU, REASON_TEXT_RU, NoteCode, ReasonCode
from models.rating.engine import RatingResult, rate
from models.rating.explain import RatingExplanation
from models.rating.rules import RatingRules

from .conftest import SEASON, World

CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


@pytest.fixture
def busy(world: World, rules: RatingRules) -> RatingResult:
    """A season with every reason code in it."""
    world.participant("anon", verified=False)
    world.activity("s1", kind="olympiad_stage_individual", list_level=1)
    world.activity("s1b", kind="olympiad_stage_individual")
    world.activity("fin", kind="olympiad_final", directions={"python": 0.6, "robotics": 0.4})
    world.edge("s1", "fin")
    world.edge("s1b", "fin")
    world.activity("par", kind="olympiad_stage_individual")
    world.edge("par", "fin")
    world.achievement("p", "s1", "winner", score=90, ach_id="stage")
    world.achievement("p", "par", "winner", ach_id="par")
    world.achievement("p", "fin", "participant", ach_id="final")
    for i in range(5):
        world.activity(f"c{i}", kind="online_course", max_score=100)
        world.achievement("p", f"c{i}", "completed", score=50 + 10 * i, ach_id=f"c{i}")
    for i in range(6):
        world.activity(f"k{i}", kind="competition", level="regional")
        world.achievement("p", f"k{i}", "winner", ach_id=f"k{i}", team="t1" if i == 0 else None)
    world.achievement("p", "k0", "participant", ach_id="dup")
    world.activity("x", kind="hackathon")
    world.achievement("p", "x", "winner", status="pending", ach_id="pend")
    world.achievement("p", "x", "winner", status="rejected", ach_id="rej")
    world.achievement("p", "x", "winner", at="2025-07-01", ach_id="summer")
    world.achievement("p", "c0", "not_completed", ach_id="zero")
    world.achievement("anon", "fin", "winner", ach_id="anon")
    world.achievement("q", "fin", "prize_winner", ach_id="q")
    world.achievement("r", "s1b", "winner", ach_id="r1")
    world.achievement("r", "par", "prize_winner", ach_id="r2")  # same depth as s1b
    return rate(world.snapshot(), SEASON, rules)


def test_every_reason_code_appears_with_russian_text(busy: RatingResult) -> None:
    seen: dict[str, str] = {}
    for exp in busy.explanations():
        for c in exp.contributions:
            if c.counted:
                assert c.reason is None and c.credited_points > 0
            else:
                assert c.reason is not None and c.credited_points == 0
                assert CYRILLIC.search(c.reason.text_ru)
                seen[c.reason.code.value] = c.reason.text_ru
    expected = {code.value for code in ReasonCode} - {"no_counted_achievements"}
    assert set(seen) == expected
    assert seen["below_best_n"] == "Не вошло в 8 лучших достижений участника по направлению."


def test_codes_are_spelled_once_with_texts() -> None:
    assert set(REASON_TEXT_RU) == set(ReasonCode)
    assert set(NOTE_TEXT_RU) == set(NoteCode)
    values = [c.value for c in ReasonCode] + [c.value for c in NoteCode]
    assert len(values) == len(set(values))


def test_counted_points_add_up_to_raw_points(busy: RatingResult) -> None:
    for exp in busy.explanations():
        total = sum(c.credited_points for c in exp.contributions if c.counted)
        assert exp.raw_points == pytest.approx(total, abs=1e-3)
        assert sum(c.counted for c in exp.contributions) <= 8


def test_the_hand_computed_breakdown(busy: RatingResult) -> None:
    exp = busy.explain("p", "python")
    by_id = {c.achievement_id: c for c in exp.contributions}
    stage = by_id["stage"]
    # 10 x 1.0 x 1.0 x quality 1 (alone among scored) x list I 1.2
    assert stage.factors.model_dump() == {
        "base": 10.0,
        "level": 1.0,
        "result": 1.0,
        "quality": 1.0,
        "list_bonus": 1.2,
        "direction_weight": 1.0,
    }
    assert stage.points == 12.0 and stage.reason is not None
    assert stage.reason.code == "superseded_by_later_stage"
    final = by_id["final"]
    # 40 x 0.2 x 0.6 = 4.8, raised to the stage's 12
    assert (final.points, final.credited_points, final.counted) == (4.8, 12.0, True)
    assert by_id["par"].reason is not None
    assert by_id["par"].reason.code == "superseded_by_later_stage"
    # courses 8 x (0.5 + 0.5 x s/100): the cap keeps 90, 80, 70 (7.6, 7.2, 6.8); then best 8 of
    # six regional winners at 14, the final at 12 and those three courses keeps only the 7.6
    why = {k: (c.reason.code.value if c.reason else None) for k, c in by_id.items()}
    assert [why[f"c{i}"] for i in range(5)] == [
        "capped",
        "capped",
        "below_best_n",
        "below_best_n",
        None,
    ]
    counted = sorted((c.credited_points for c in exp.contributions if c.counted), reverse=True)
    assert counted == [14.0] * 6 + [12.0, 7.6]
    assert exp.raw_points == pytest.approx(103.6)
    assert exp.contributions[0].counted and not exp.contributions[-1].counted
    assert by_id["k0"].team_id == "t1"
    assert by_id["dup"].reason is not None and by_id["dup"].reason.code == "duplicate_role"
    assert by_id["zero"].reason is not None and by_id["zero"].reason.code == "no_points"


def test_json_shape_is_stable(busy: RatingResult) -> None:
    data = json.loads(busy.explain("p", "python").model_dump_json())
    assert list(data) == [
        "schema_version",
        "participant_id",
        "direction",
        "direction_title_ru",
        "season",
        "view",
        "rules_version",
        "rated",
        "not_rated_reason",
        "raw_points",
        "reference_points",
        "score",
        "place",
        "rated_count",
        "diploma",
        "diploma_text_ru",
        "tie_break",
        "summary_ru",
        "contributions",
    ]
    assert list(data["contributions"][0]) == [
        "achievement_id",
        "activity_id",
        "activity_title",
        "kind",
        "level",
        "result",
        "status",
        "achieved_at",
        "score",
        "team_id",
        "factors",
        "points",
        "credited_points",
        "counted",
        "reason",
        "notes",
    ]
    assert list(data["tie_break"]) == ["results_at_levels", "levels", "deciding_achieved_at"]
    assert data["schema_version"] == "1"
    assert data["direction_title_ru"] == "Программирование на Python"
    assert data["contributions"][-1]["reason"].keys() == {"code", "text_ru", "params"}


def test_bulk_dicts_equal_the_validated_models(busy: RatingResult) -> None:
    bulk = list(busy.explanation_dicts())
    pairs = [(d["participant_id"], d["direction"]) for d in bulk]
    assert pairs == sorted(pairs, key=lambda p: (p[0], busy.directions.index(p[1])))
    assert ("p", "python") in pairs and ("anon", "robotics") in pairs
    for data in bulk:
        model = busy.explain(data["participant_id"], data["direction"])
        assert json.loads(model.model_dump_json()) == json.loads(json.dumps(data))
        assert RatingExplanation.model_validate(data) == model


def test_not_rated_participants_are_explained(busy: RatingResult) -> None:
    anon = busy.explain("anon", "robotics")
    assert not anon.rated and anon.place is None and anon.diploma == "none"
    assert anon.not_rated_reason is not None and anon.not_rated_reason.code == "account_unverified"
    assert "не входит" in anon.summary_ru
    q = busy.explain("q", "robotics")
    assert q.rated and q.place is not None
    assert q.summary_ru.startswith("Сумма баллов 11.2")


def test_bulk_export_in_small_chunks_is_the_same(busy: RatingResult) -> None:
    from models.rating.explain import explanation_dicts

    assert list(explanation_dicts(busy, chunk_groups=1)) == list(explanation_dicts(busy))
    robotics = list(explanation_dicts(busy, "robotics", chunk_groups=2))
    assert robotics and all(d["direction"] == "robotics" for d in robotics)
