"""Rating commands: ``talent rate`` computes the contest rating of a season from a snapshot."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.output import JsonOpt, emit_json, fail
from cli.snapshots import snapshot_path
from core.errors import TalentError
from core.logs import get_logger
from core.settings import FootprintSettings
from footprint.columns import Columns as C
from footprint.spreadsheet import write_csv
from models.rating.codes import DIPLOMA_TEXT_RU, Diploma
from models.rating.columns import RatingColumns as RC
from models.rating.engine import RatingResult, rate
from models.rating.rules import load_rules

log = get_logger(__name__)


def default_out(season: str) -> Path:
    """``$TALENT_DATA_DIR/ratings/2025-26`` (``data/ratings/2025-26`` by default) for season
    ``2025/26`` (no slash inside a folder name): where the erasure sweep looks for them."""
    return FootprintSettings().rating_dir / season.replace("/", "-")


def output_names(provisional: bool) -> dict[str, str]:
    """File names written into the output folder; the provisional view never overwrites the
    official one."""
    suffix = "-provisional" if provisional else ""
    return {
        "parquet": f"rating{suffix}.parquet",
        "csv": f"rating{suffix}.csv",
        "thresholds": f"thresholds{suffix}.csv",
        "explanations": f"explanations{suffix}.jsonl",
    }


def write_rating(result: RatingResult, out: Path, explanations: bool = True) -> dict[str, Path]:
    """Write the table (Parquet, CSV), thresholds (CSV) and explanations (JSON Lines) into ``out``.

    Each file is written under a temporary name and renamed, so a reader never sees half a file.
    CSV text cells that a spreadsheet would run as formulas are neutralised
    (:mod:`footprint.spreadsheet`).
    """
    out.mkdir(parents=True, exist_ok=True)
    names = output_names(result.provisional)
    paths = {key: out / name for key, name in names.items()}
    tmp = {key: path.with_name(f".{path.name}.tmp") for key, path in paths.items()}
    result.table.to_parquet(tmp["parquet"], index=False)
    write_csv(result.table, tmp["csv"])
    write_csv(result.thresholds, tmp["thresholds"])
    written = ["parquet", "csv", "thresholds"]
    if explanations:
        with tmp["explanations"].open("w", encoding="utf-8") as fh:
            for data in result.explanation_dicts():
                fh.write(json.dumps(data, ensure_ascii=False))
                fh.write("\n")
        written.append("explanations")
    for key in written:
        os.replace(tmp[key], paths[key])
    return {key: paths[key] for key in written}


def print_top(result: RatingResult, top: int, console: Console) -> None:
    """Print the first ``top`` rows of each direction's table."""
    view = "provisional" if result.provisional else "official"
    for direction in result.directions:
        part = result.top(direction, top)
        thr = result.thresholds[result.thresholds[C.DIRECTION] == direction]
        n_rated = int(thr[RC.N_RATED].iloc[0]) if len(thr) else 0
        table = Table(title=f"{direction} · {result.season} · {view} · {n_rated} rated")
        for name, justify in (
            ("place", "right"),
            ("participant", "left"),
            ("raw points", "right"),
            ("S", "right"),
            ("diploma", "left"),
        ):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for record in part.to_dict("records"):
            table.add_row(
                str(record[RC.PLACE]),
                str(record[C.PARTICIPANT_ID]),
                f"{record[RC.RAW_POINTS]:.2f}",
                f"{record[RC.SCORE]:.1f}",
                DIPLOMA_TEXT_RU[Diploma(record[RC.DIPLOMA])],
            )
        console.print(table)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the ``talent`` app."""

    @app.command("rate")
    def rate_command(
        season: Annotated[str, typer.Option(help="Season to rate, e.g. 2025/26.")],
        snapshot: Annotated[
            Path,
            typer.Option(
                help="Snapshot id (as `talent snapshot` prints it) or folder.",
                parser=snapshot_path,
                metavar="ID|DIR",
            ),
        ],
        direction: Annotated[
            list[str] | None,
            typer.Option(help="Direction code to rate; repeat for several (default: all)."),
        ] = None,
        rules: Annotated[
            Path | None, typer.Option(help="Rules TOML (default: the shipped rules of the season).")
        ] = None,
        out: Annotated[
            Path | None,
            typer.Option(
                help=(
                    "Output folder (default: $TALENT_DATA_DIR/ratings/<YYYY-YY>, data/ by default)."
                )
            ),
        ] = None,
        provisional: Annotated[
            bool,
            typer.Option(help="Rate as if pending achievements and accounts were verified."),
        ] = False,
        top: Annotated[int, typer.Option(help="Rows of each direction's table to print.")] = 10,
        explanations: Annotated[
            bool, typer.Option(help="Also write explanations.jsonl (one line per participant).")
        ] = True,
        json_out: JsonOpt = False,
    ) -> None:
        """Compute the «Талант 20.35» rating of a season; write Parquet, CSV and explanations."""
        from footprint.progress import progress_bar
        from footprint.snapshot import load_snapshot

        console = Console()
        try:
            loaded_rules = load_rules(rules, season=season)
            with progress_bar(3, "talent rate") as bar:
                bar.note("reading the snapshot")
                snap = load_snapshot(snapshot)
                bar.advance()
                bar.note("rating")
                result = rate(
                    snap, season, loaded_rules, provisional=provisional, directions=direction
                )
                bar.advance()
                bar.note("writing")
                paths = write_rating(result, out or default_out(season), explanations=explanations)
                bar.advance()
        except TalentError as exc:
            raise fail(exc, as_json=json_out) from exc
        if json_out:
            emit_json(
                {
                    "season": season,
                    "provisional": provisional,
                    "files": paths,
                    "top": {d: result.top(d, top) for d in result.directions},
                }
            )
            return
        print_top(result, top, console)
        for path in paths.values():
            console.print(f"wrote {path}")
