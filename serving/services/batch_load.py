"""Hand the competence refresh of everyone to Spark, and load what it wrote.

The service never imports Spark: :func:`spark_estimates` writes the live snapshot and the stored
estimates as Parquet into a working folder and runs ``talent spark estimate`` in a child process
(the same interpreter, ``python -m cli``), which writes its estimates as a folder of Parquet part
files with a ``_SUCCESS`` marker last. :func:`load_estimates` takes the folder only with its
marker and records every row in one transaction (chunk by chunk inside it), so a job killed
midway, or a load that fails halfway, leaves the service's tables as they were.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from sqlalchemy import select

from core.errors import TalentError
from core.logs import get_logger
from footprint.columns import Columns as C
from footprint.frames import FRAME_DTYPES, Snapshot
from footprint.snapshot import write_snapshot
from footprint.store import Store
from models.competence.columns import CompetenceColumns as CC
from serving.services.reviews import Recorded, record_estimates_in
from serving.tables import competence_estimates

log = get_logger(__name__)
SUCCESS = "_SUCCESS"
CHUNK = 2000
JOB_TIMEOUT_S = 6 * 3600


class BatchLoadError(TalentError):
    """The Spark job failed, or its output is incomplete."""


def read_estimates(folder: Path) -> pd.DataFrame:
    """The estimates a finished job wrote (the lists decoded from JSON).

    Raises
    ------
    BatchLoadError
        The folder has no ``_SUCCESS`` marker: the job did not finish.
    """
    if not (folder / SUCCESS).is_file():
        raise BatchLoadError(f"{folder} has no {SUCCESS} marker: the job did not finish")
    frame = pq.read_table(folder).to_pandas()
    for column in CC.LIST_COLUMNS:
        frame[column] = [json.loads(v) for v in frame[column]]
    return frame.sort_values([C.PARTICIPANT_ID, C.DIRECTION], kind="stable").reset_index(drop=True)


def load_estimates(
    store: Store, folder: Path, now: dt.datetime, only: set[str] | None = None
) -> Recorded:
    """Record the estimates of ``folder`` in one transaction (all of them or none); of the
    participants ``only`` names when given."""
    frame = read_estimates(folder)
    if only is not None:
        keep = frame[C.PARTICIPANT_ID].astype(object).isin(only).to_numpy()
        frame = frame[keep].reset_index(drop=True)
    pids = frame[C.PARTICIPANT_ID].astype(object).to_numpy()
    starts = [0] + [i for i in range(1, len(frame)) if pids[i] != pids[i - 1]]
    estimates = opened = refreshed = 0
    with store.transaction() as conn:
        for i in range(0, len(starts), CHUNK):  # whole participants per chunk
            lo = starts[i]
            hi = starts[i + CHUNK] if i + CHUNK < len(starts) else len(frame)
            done = record_estimates_in(conn, frame.iloc[lo:hi], now)
            estimates += done.estimates
            opened += done.opened
            refreshed += done.refreshed
    return Recorded(estimates, opened, refreshed)


def stored_estimates(store: Store) -> pd.DataFrame:
    """The estimates the service keeps (the ``large_change`` flag's reference)."""
    t = competence_estimates
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.c.participant_id, t.c.direction, t.c.competence)).all()
    return pd.DataFrame(
        [tuple(r) for r in rows], columns=[C.PARTICIPANT_ID, C.DIRECTION, CC.COMPETENCE]
    )


def spark_command(
    snapshot: Path, bundle: Path, previous: Path, out: Path, master: str
) -> list[str]:
    """The child process: ``talent spark estimate`` with this interpreter."""
    return [
        sys.executable,
        "-m",
        "cli",
        "--quiet",
        "spark",
        "estimate",
        "--snapshot",
        str(snapshot),
        "--bundle",
        str(bundle),
        "--previous",
        str(previous),
        "--out",
        str(out),
        "--master",
        master,
    ]


def spark_estimates(
    store: Store,
    snapshot: Snapshot,
    bundle: Path,
    work: Path,
    master: str,
    command: Callable[[Path, Path, Path, Path, str], list[str]] = spark_command,
) -> Path:
    """Run the Spark estimate job on ``snapshot`` in a child process; the folder it wrote.

    ``command`` makes the child's command line from the snapshot folder, the bundle, the earlier
    estimates' file, the output folder and the master. Raises :class:`BatchLoadError` when the
    child fails."""
    frames = {name: getattr(snapshot, name) for name in FRAME_DTYPES}
    folder = write_snapshot(frames, snapshot.as_of, work / "snapshot")
    previous = work / "previous.parquet"
    stored_estimates(store).to_parquet(previous, index=False)
    out = work / "estimates"
    run = subprocess.run(
        command(folder, bundle, previous, out, master),
        capture_output=True,
        text=True,
        timeout=JOB_TIMEOUT_S,
        check=False,
    )
    if run.returncode != 0:
        tail = (run.stderr or "").strip().splitlines()[-5:]
        raise BatchLoadError(
            f"the Spark estimate job exited with {run.returncode}: {' | '.join(tail)}"
        )
    return out
