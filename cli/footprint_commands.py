"""Footprint commands: ingest, snapshot, erase, quarantine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from pydantic_settings import BaseSettings, SettingsConfigDict
from rich.console import Console
from rich.table import Table

from cli.output import EXIT_REFUSED, JsonOpt, emit_json
from cli.output import fail as report_failure
from core import instants
from core.errors import ConfigError, TalentError, UnknownIdError
from core.settings import FootprintSettings
from footprint.ingest.run import BatchSummary, FailedFile, ingest_all
from footprint.store import Store, open_store
from footprint.sweep import SweepReport, sweep_erased

# wide enough for the summary tables when output is piped (rich assumes 80 columns then)
console = Console(width=max(Console().width, 120))

SUMMARY_FIELDS = (
    "rows",
    "added",
    "updated",
    "unchanged",
    "merged",
    "quarantined",
    "erased",
    "retried",
)


def fail(exc: Exception, *, as_json: bool = False) -> typer.Exit:
    """Print a project error the way a user should read it, and exit non-zero
    (:func:`cli.output.fail`)."""
    return report_failure(exc, as_json=as_json)


def parse_instant(value: str) -> dt.datetime:
    """``2026-01-31`` (midnight UTC, that day excluded) or a full ISO timestamp, as naive UTC; a
    bad value is the command line's error (exit 2), not a traceback."""
    try:
        return instants.parse_instant(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def erasure_salt() -> str:
    """``TALENT_ERASURE_SALT``, refused in production mode exactly as the server refuses it: a
    command run with the development salt would key tombstones nobody else can match."""
    from serving.core.config import DEV_ERASURE_SALT, Mode, secret_problem

    class _ModeSetting(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="TALENT_", extra="ignore")

        mode: Mode = Mode.DEVELOPMENT

    salt = FootprintSettings().erasure_salt
    if _ModeSetting().mode is not Mode.DEVELOPMENT:
        problem = secret_problem("TALENT_ERASURE_SALT", salt, DEV_ERASURE_SALT)
        if problem is not None:
            raise ConfigError(
                f"refusing to run in production mode: {problem} (set it, or "
                "TALENT_MODE=development for a local store)"
            )
    return salt


def sweep(store: Store, salt: str) -> SweepReport:
    """Delete or rewrite the files under the data folder that name an erased participant."""
    return sweep_erased(store, salt, FootprintSettings().data_dir)


def print_summaries(summaries: list[BatchSummary]) -> None:
    table = Table(title="Ingestion summary")
    table.add_column("source")
    table.add_column("file")
    for name in SUMMARY_FIELDS:
        table.add_column(name, justify="right")
    for s in summaries:
        table.add_row(s.source, Path(s.file).name, *(str(getattr(s, n)) for n in SUMMARY_FIELDS))
    console.print(table)


def print_failures(failed: list[FailedFile]) -> None:
    """One line per refused file (a table would cut the error text)."""
    for f in failed:
        console.print(f"[bold red]refused[/] {Path(f.file).name}: {f.error}", soft_wrap=True)


def ingest(
    path: Annotated[Path, typer.Argument(help="A file (<entity>.csv|jsonl|parquet) or a folder")],
    source: Annotated[
        str,
        typer.Option(
            help="Name of the sending system, e.g. olympiad_org (one the store knows, or "
            "--new-source)"
        ),
    ],
    new_source: Annotated[
        bool,
        typer.Option(
            "--new-source",
            help="Register --source as a new sending system (an unknown name is "
            "refused otherwise, so a typo does not start a new source)",
        ),
    ] = False,
    database_url: Annotated[
        str | None,
        typer.Option(envvar="TALENT_DATABASE_URL", help="Store URL (default: SQLite in data/)"),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Validate and store footprint files; bad rows go to the quarantine with their reasons.

    Every file of a folder is tried (consent withdrawals first), each in its own transaction; the
    summary lists what committed and what was refused, and the exit code is 1 if any file was
    refused.
    """
    from footprint.sources import check_source

    try:
        salt = erasure_salt()
        store = open_store(database_url)
        check_source(store, source, new=new_source)
        report = ingest_all(store, path, source, progress=True, salt=salt)
        if any(s.erased for s in report.committed):
            sweep(store, salt)
    except TalentError as exc:
        raise fail(exc, as_json=json_out) from exc
    if json_out:
        emit_json({"committed": report.committed, "failed": report.failed})
        if report.failed:
            raise typer.Exit(code=EXIT_REFUSED)
        return
    print_summaries(report.committed)
    if report.failed:
        print_failures(report.failed)
        console.print(
            f"[bold red]{len(report.failed)} file(s) refused[/], {len(report.committed)} committed"
        )
        raise typer.Exit(code=EXIT_REFUSED)


def snapshot(
    as_of: Annotated[str, typer.Option(help="Cut-off: YYYY-MM-DD (00:00 UTC) or ISO timestamp")],
    out: Annotated[
        Path | None, typer.Option(help="Snapshot root (default: data/snapshots)")
    ] = None,
    database_url: Annotated[str | None, typer.Option(envvar="TALENT_DATABASE_URL")] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the snapshot id (for scripts)")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Write an immutable, content-addressed Parquet snapshot of what was known as of a date.

    Other commands' ``--snapshot`` take the printed id (or a unique prefix) or the folder."""
    from footprint.snapshot import create_snapshot, load_manifest

    instant = parse_instant(as_of)
    try:
        store = open_store(database_url)
        path = create_snapshot(
            store, instant, out or FootprintSettings().snapshot_dir, progress=True
        )
        manifest = load_manifest(path)
    except TalentError as exc:
        raise fail(exc, as_json=json_out) from exc
    if quiet:
        typer.echo(manifest.snapshot_id)
        return
    if json_out:
        emit_json(
            {
                "id": manifest.snapshot_id,
                "path": path,
                "as_of": instant,
                "rows": {n: m.rows for n, m in manifest.tables.items()},
            }
        )
        return
    table = Table(title=f"Snapshot {manifest.snapshot_id}")
    table.add_column("frame")
    table.add_column("rows", justify="right")
    for name, meta in manifest.tables.items():
        table.add_row(name, str(meta.rows))
    console.print(table)
    console.print(f"as of {instant.isoformat()} -> {path}")


def erase(
    participant_ids: Annotated[list[str], typer.Argument(help="Canonical participant ids")],
    actor: Annotated[str, typer.Option(help="Who requests the erasure (role or system, no names)")],
    database_url: Annotated[str | None, typer.Option(envvar="TALENT_DATABASE_URL")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Erase participants who withdrew consent, leaving tombstones and an audit entry.

    Ids erased before are reported as such. An id the store has never held refuses the whole
    command (nothing is erased) with exit 3 and the code ``not_found``, as the API's 404."""
    from footprint.consent import erase_participants, erasure_targets

    try:
        salt = erasure_salt()
        store = open_store(database_url)
        with store.transaction() as conn:
            targets = erasure_targets(conn, participant_ids, salt)
            if targets.unknown:
                raise UnknownIdError(
                    "not in the store and never erased: "
                    + ", ".join(targets.unknown)
                    + " (nothing was erased)",
                    targets.unknown,
                )
            report = None
            if targets.stored:
                report = erase_participants(
                    conn,
                    list(targets.stored),
                    actor=actor,
                    reason_code="consent_withdrawn",
                    salt=salt,
                )
        swept = sweep(store, salt)
    except TalentError as exc:
        raise fail(exc, as_json=json_out) from exc
    if json_out:
        emit_json(
            {
                "erasure_id": report.erasure_id if report else None,
                "erased": list(targets.stored),
                "already_erased": list(targets.already_erased),
                "rows_deleted": report.rows_deleted if report else {},
                "swept": swept,
            }
        )
        return
    console.print(
        f"derived files: {swept.snapshots_deleted} snapshot(s) deleted, "
        f"{swept.files_rewritten} rating file(s) rewritten without {swept.rows_removed} row(s)"
    )
    if targets.already_erased:
        console.print("already erased: " + ", ".join(targets.already_erased))
    if report is not None:
        console.print(
            f"erasure {report.erasure_id}: {report.subjects} participant(s); rows deleted: "
            + ", ".join(f"{k}={v}" for k, v in sorted(report.rows_deleted.items()))
        )


def quarantine(
    source: Annotated[str | None, typer.Option(help="Only this source")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 20,
    waiting: Annotated[
        bool,
        typer.Option(
            "--waiting",
            help="Show what rows wait for (a participant or activity not yet stored) instead",
        ),
    ] = False,
    database_url: Annotated[str | None, typer.Option(envvar="TALENT_DATABASE_URL")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Show quarantined rows with the file, row, field and reason.

    Rows waiting for a participant or activity the store does not hold yet are retried
    automatically when a later ingest supplies it; ``--waiting`` lists what is missing.
    """
    from footprint.quarantine import list_quarantine, waiting_summary

    try:
        store = open_store(database_url)
        if waiting:
            frame = waiting_summary(store)
            if source is not None:
                frame = frame[frame["source"] == source]
            if json_out:
                emit_json({"waiting": frame.head(limit)})
                return
            table = Table(title=f"Rows waiting for a reference ({int(frame['rows'].sum())} rows)")
            for col in ("source", "entity", "waits_for", "id", "rows"):
                table.add_column(col, justify="right" if col == "rows" else "left")
            for row in frame.head(limit).itertuples(index=False):
                table.add_row(*(str(v) for v in row))
            console.print(table)
            return
        frame = list_quarantine(store, source=source, limit=limit)
    except TalentError as exc:
        raise fail(exc, as_json=json_out) from exc
    if json_out:
        emit_json({"quarantine": frame})
        return
    table = Table(title=f"Quarantine (newest {limit})")
    for col in ("source", "file_name", "row_number", "field", "reason_code", "reason"):
        table.add_column(col)
    for row in frame.itertuples(index=False):
        values = (row.source, row.file_name, row.row_number, row.field, row.reason_code, row.reason)
        table.add_row(*(str(v) for v in values))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the ``talent`` app."""
    app.command()(ingest)
    app.command()(snapshot)
    app.command()(erase)
    app.command()(quarantine)
