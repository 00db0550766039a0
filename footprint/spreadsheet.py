"""CSV exports that a spreadsheet opens as data, never as formulas.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula
by Excel, LibreOffice and Google Sheets (CSV injection: an id such as ``=HYPERLINK(...)`` in an
export would run when an organiser opens it). Every CSV the project writes for people goes through
:func:`neutralise_formulas`, which prefixes such text cells with an apostrophe, the usual escape
that spreadsheets show as nothing and that keeps the value readable. Only text columns are touched:
numbers (a negative number starts with ``-``) stay numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Final

import pandas as pd

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
ESCAPE: Final = "'"


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells starting like a formula begin with an apostrophe."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
            continue
        text = column.astype("string")
        risky = text.str.startswith(FORMULA_STARTS).fillna(False).to_numpy(bool)
        if risky.any():
            fixed = column.astype(object).copy()
            fixed[risky] = ESCAPE + text[risky].astype(object)
            out[name] = fixed.astype(column.dtype)
    return out


def write_csv(frame: pd.DataFrame, target: str | Path | IO[str]) -> None:
    """``frame.to_csv(target, index=False)`` after :func:`neutralise_formulas`."""
    neutralise_formulas(frame).to_csv(target, index=False)
