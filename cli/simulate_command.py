"""``talent simulate``: write a seeded simulated world (sources, truth, manifest) to a folder."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from cli.output import JsonOpt, emit_json, fail
from core.errors import TalentError
from simulator import SimulationConfig, SimulationSummary, simulate
from simulator.config import REFERENCE_PARTICIPANTS


class OutputFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    PARQUET = "parquet"


def register(app: typer.Typer) -> None:
    """Attach ``simulate`` to the ``talent`` app."""
    app.command("simulate")(simulate_command)


def simulate_command(
    out: Annotated[
        Path,
        typer.Option("--out", help="Output folder (empty, new, or an earlier simulator output)."),
    ],
    participants: Annotated[
        int, typer.Option(help="Participants registered by the end of the last season.")
    ] = 250_000,
    seasons: Annotated[int, typer.Option(help="Number of seasons (September to May).")] = 4,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed and options give identical files.")
    ] = 0,
    messy: Annotated[
        bool, typer.Option("--messy", help="Inject duplicates, aliases, malformed rows and more.")
    ] = False,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="File format of the sources.")
    ] = OutputFormat.PARQUET,
    first_season: Annotated[
        int, typer.Option(help="Start year of the first season (2022 = 2022/23).")
    ] = 2022,
    chunk_size: Annotated[
        int,
        typer.Option(
            help="Participants simulated and written at a time; a bigger world is split into "
            "chunks so memory follows the chunk (a world this size or smaller is one chunk)."
        ),
    ] = REFERENCE_PARTICIPANTS,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr.")] = True,
    json_out: JsonOpt = False,
) -> None:
    """Simulate NTI Kruzhok seasons; write the sources' export files, the truth and a manifest."""
    try:
        config = SimulationConfig(
            participants=participants,
            seasons=seasons,
            seed=seed,
            messy=messy,
            format=fmt.value,
            first_season=first_season,
            chunk_size=chunk_size,
        )
    except ValidationError as exc:
        raise typer.BadParameter(_first_error(exc)) from None
    try:
        summary = simulate(config, out, progress=progress)
    except TalentError as exc:
        raise fail(exc, as_json=json_out) from None
    if json_out:
        emit_json(summary)
        return
    typer.echo(render_summary(summary))


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"])
    return f"{field}: {err['msg']}"


def render_summary(summary: SimulationSummary) -> str:
    """A plain table of rows per written file, then the injected mess (if any)."""
    width = max(len(path) for path in summary.rows)
    lines = [f"{'file':<{width}}  {'rows':>10}", f"{'-' * width}  {'-' * 10}"]
    lines += [f"{path:<{width}}  {n:>10,}" for path, n in sorted(summary.rows.items())]
    lines.append(f"{'achievements, all sources':<{width}}  {summary.achievements:>10,}")
    injected = {k: v for k, v in summary.messy.items() if v}
    if injected:
        lines.append("")
        lines.append("injected mess (rows):")
        lines += [f"  {kind:<26}{n:>10,}" for kind, n in sorted(injected.items())]
    lines.append(f"\nwritten to {summary.out_dir}")
    return "\n".join(lines)
