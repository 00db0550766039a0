"""The API's numbers are rounded by one rule (``serving.schemas.common.round_score``): every float
field of every output model is a ``Score``, and the library models and free-form evidence inside
an answer are rounded by the same function."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import json
import pkgutil
from types import ModuleType
from typing import Annotated, Any, get_args, get_origin

import pytest
from pydantic import BaseModel, PlainSerializer

import serving.api.routes
import serving.schemas
from serving.schemas.common import SCORE_DIGITS, Strict, round_score, rounded
from serving.schemas.competence import CompetenceEstimate, LatentInterval, NextResultInterval
from serving.schemas.portfolio import PlannedStep
from serving.schemas.recommend import Recommendation

UGLY = 29.802500000000002


def _modules(package: ModuleType) -> list[ModuleType]:
    return [
        importlib.import_module(f"{package.__name__}.{m.name}")
        for m in pkgutil.iter_modules(package.__path__)
    ]


def _output_models() -> list[type[BaseModel]]:
    """Models the API answers with: those of the schemas and routes modules that are not request
    bodies (requests are ``Strict``: they refuse unknown fields)."""
    found = []
    for module in _modules(serving.schemas) + _modules(serving.api.routes):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, BaseModel)
                and cls.__module__ == module.__name__
                and not issubclass(cls, Strict)
            ):
                found.append(cls)
    return found


def _rounds(metadata: Any) -> bool:
    return any(isinstance(m, PlainSerializer) and m.func is round_score for m in metadata)


def _bare_float(tp: Any, metadata: Any = ()) -> bool:
    """Whether ``tp`` holds a float written without the rounding rule."""
    if tp is float:
        return not _rounds(metadata)
    if get_origin(tp) is Annotated:
        base, *meta = get_args(tp)
        return _bare_float(base, [*metadata, *meta])
    return any(_bare_float(arg) for arg in get_args(tp))


def test_every_float_an_output_model_writes_is_a_rounded_score() -> None:
    models = _output_models()
    assert len(models) > 30  # the walk finds the API's models
    bare = [
        f"{m.__module__}.{m.__name__}.{name}"
        for m in models
        for name, field in m.model_fields.items()
        if _bare_float(field.annotation, field.metadata)
    ]
    assert bare == []


def test_the_check_sees_a_bare_float() -> None:
    class Out(BaseModel):
        value: float | None

    assert _bare_float(Out.model_fields["value"].annotation, Out.model_fields["value"].metadata)


def test_scores_intervals_and_probabilities_come_out_rounded() -> None:
    estimate = CompetenceEstimate.model_validate(
        {
            "direction": "python",
            "competence": UGLY,
            "lower": 1 / 3,
            "upper": 2 / 3 * 100,
            "latent_interval": LatentInterval(lower=1 / 3, upper=200 / 3, level=0.9),
            "next_result_interval": NextResultInterval(
                expected=100 / 7, lower=1 / 7, upper=600 / 7, level=0.9, text_ru="..."
            ),
            "level": "basic",
            "level_title_ru": "...",
            "cold_start": False,
            "n_records": 2,
            "flags": [{"code": "far_from_results", "text_ru": "...", "params": {"gap": 1 / 3}}],
            "top_features": [
                {"code": "feature", "text_ru": "...", "value": 2 / 3, "effect": -1 / 7}
            ],
            "top_achievements": [],
        }
    )
    body = json.loads(estimate.model_dump_json())
    assert body["competence"] == 29.8025
    assert body["lower"] == 0.3333 and body["upper"] == 66.6667
    assert body["latent_interval"] == {"lower": 0.3333, "upper": 66.6667, "level": 0.9}
    assert body["next_result_interval"]["expected"] == 14.2857
    assert body["flags"][0]["params"] == {"gap": 0.3333}
    assert body["top_features"][0]["value"] == 0.6667
    assert body["top_features"][0]["effect"] == -0.1429
    assert estimate.competence == UGLY  # only the written answer is rounded

    rec = Recommendation(
        activity_id="a1",
        rank=1,
        score=UGLY,
        conditional=False,
        reason_codes=[],
        reason_text_ru="",
        title=None,
        kind=None,
        level=None,
        format=None,
        start_at=None,
        registration_deadline=None,
    )
    assert json.loads(rec.model_dump_json())["score"] == 29.8025
    step = PlannedStep.model_validate(
        {
            "activity_id": "a1",
            "title": "t",
            "kind": "k",
            "level": "l",
            "format": "f",
            "start_at": None,
            "end_at": None,
            "registration_deadline": None,
            "projected": False,
            "conditional": True,
            "success_chance": 0.123456789,
            "expected_competence_gain": UGLY,
            "expected_rating_points": 1 / 3,
            "reasons_ru": "",
        }
    )
    written = json.loads(step.model_dump_json())
    assert written["success_chance"] == 0.1235
    assert written["expected_competence_gain"] == 29.8025


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"a": [1 / 3, {"b": UGLY}], "n": 3, "ok": True, "at": dt.date(2026, 1, 1)},
            {"a": [0.3333, {"b": 29.8025}], "n": 3, "ok": True, "at": dt.date(2026, 1, 1)},
        ),
        ([0.00004, 2.5, 12.0, -1 / 3], [0.0, 2.5, 12.0, -0.3333]),
    ],
)
def test_free_form_parts_are_rounded_by_the_same_rule(data: Any, expected: Any) -> None:
    assert rounded(data) == expected
    assert SCORE_DIGITS == 4
