"""CSV exports never hand a spreadsheet a formula (CSV injection)."""

from __future__ import annotations

import io

import pandas as pd

from footprint.spreadsheet import neutralise_formulas, write_csv


def test_formula_like_text_cells_are_escaped_and_numbers_left_alone() -> None:
    frame = pd.DataFrame(
        {
            "participant_id": pd.array(
                ['=HYPERLINK("http://x")', "+7", "-1", "@SUM(A1)", "\tx", "\rq", "p1", None],
                dtype="string",
            ),
            "note": ["=1+1", "ok", "a-b", "", "x", "y", "z", "w"],
            "points": [-1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        }
    )
    out = neutralise_formulas(frame)
    assert out["participant_id"].tolist()[:7] == [
        '\'=HYPERLINK("http://x")',
        "'+7",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "'\rq",
        "p1",
    ]
    assert out["participant_id"].isna().tolist()[7]
    assert out["note"].tolist()[:3] == ["'=1+1", "ok", "a-b"]
    assert out["points"].tolist()[0] == -1.5  # a negative number stays a number
    assert frame["participant_id"].iloc[0].startswith("=")  # the input is not changed
    buffer = io.StringIO()
    write_csv(frame, buffer)
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "participant_id,note,points"
    assert lines[1].startswith('"\'=HYPERLINK(""http://x"")",\'=1+1,-1.5')
