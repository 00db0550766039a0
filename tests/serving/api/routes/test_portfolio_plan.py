"""The planned trajectory in the portfolio (JSON, the signed export, the page) and the portfolio
as a PDF (WeasyPrint): a PDF with the Russian text and the export's verification code."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from serving.auth import Role
from serving.core.config import ServingSettings
from serving.services.portfolio_plan import default_goal
from tests.serving.bundle_factory import world_push_records
from tests.serving.conftest import REC_AS_OF, bearer, push, settings_for

PLATFORM = bearer(Role.PLATFORM)
P = "p000000"
GOAL = "python:prize_winner"


@pytest.fixture
def settings(tmp_path: Path, recommender: Path) -> ServingSettings:
    # the store read as of the recommender's cut-off, as the trajectory tests ask for plans
    return settings_for(
        f"sqlite:///{tmp_path / 'talent.db'}", recommend_bundle=recommender, live_as_of=REC_AS_OF
    )


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict[str, Any]]]:
    return world_push_records()


@pytest.fixture
def rec_world(client: TestClient, records: dict[str, list[dict[str, Any]]]) -> TestClient:
    for entity, rows in records.items():
        assert push(client, entity, rows, source="world").json()["quarantined"] == 0
    return client


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_default_goal_is_the_next_band_in_the_strongest_direction() -> None:
    est = [
        {"direction": "python", "competence": 60.0},
        {"direction": "robotics", "competence": 30.0},
    ]
    assert default_goal(est) == "python:advanced"
    assert default_goal([{"direction": "robotics", "competence": 97.0}]) == "robotics:winner"
    assert default_goal([{"direction": "python", "competence": None}]) is None
    assert default_goal([]) is None


def test_the_portfolio_carries_the_participant_s_plan(rec_world: TestClient) -> None:
    got = rec_world.get(f"/v1/participants/{P}/portfolio", params={"goal": GOAL}, headers=PLATFORM)
    assert got.status_code == 200, got.text
    trajectory = got.json()["trajectory"]
    plan = rec_world.post(
        f"/v1/participants/{P}/trajectory", json={"goal": GOAL}, headers=PLATFORM
    ).json()["plan"]
    assert trajectory["goal"] == GOAL and trajectory["chosen_by"] == "participant"
    assert trajectory["summary_ru"] == plan["summary_ru"]
    assert [s["activity_id"] for s in trajectory["steps"]] == [
        s["activity_id"] for s in plan["steps"]
    ]
    assert trajectory["steps"] and trajectory["goal_ru"] == "диплома «призёр»"
    # the export signs it, and the page and the PDF show it
    signed = rec_world.post(
        f"/v1/participants/{P}/portfolio/exports", params={"goal": GOAL}, headers=PLATFORM
    ).json()
    assert signed["document"]["portfolio"]["trajectory"] == trajectory
    pdf = rec_world.get(
        f"/v1/participants/{P}/portfolio", params={"goal": GOAL, "format": "pdf"}, headers=PLATFORM
    )
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = _text(pdf.content)
    assert "Планируемая траектория" in text and trajectory["steps"][0]["title"][:20] in text
    # no goal given and no competence model to choose one from: no plan, and no error
    plain = rec_world.get(f"/v1/participants/{P}/portfolio", headers=PLATFORM)
    assert plain.status_code == 200 and plain.json()["trajectory"] is None
    bad = rec_world.get(
        f"/v1/participants/{P}/portfolio", params={"goal": "python:genius"}, headers=PLATFORM
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "goal"]


def test_pdf_export_is_a_pdf_with_the_russian_text_and_the_code(world: TestClient) -> None:
    r = world.post(
        "/v1/participants/p1/portfolio/exports", params={"format": "pdf"}, headers=PLATFORM
    )
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(r.content))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4 portrait
    text = _text(r.content)
    assert "Портфолио участника" in text and "Подтверждённые достижения" in text
    code = r.headers["content-disposition"].split("portfolio-p1-")[1].split(".pdf")[0]
    assert code.replace("-", "") in text.replace("-", "").replace(" ", "")
    # no recommender served here: the page says there is no plan
    assert "Планируемой траектории нет" in text
    # the code printed in the PDF is a real, current one
    v = world.post("/v1/portfolio/verify", json={"code": code})
    assert v.json()["status"] == "genuine"
    unsigned = world.get(
        "/v1/participants/p2/portfolio", params={"format": "pdf"}, headers=PLATFORM
    )
    assert unsigned.status_code == 200 and "Участник: p2" in _text(unsigned.content)
