"""State shared by the appliers of one batch, and the helpers they all use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Connection, select

from footprint import tables
from footprint.bulk import read_frame, read_in
from footprint.columns import Columns as C
from footprint.hashing import subject_hashes
from footprint.ingest.validate import PROBLEM_COLUMNS

ERASED = "erased"
SMALL_BATCH = 2_000
"""Up to this many keys, an applier looks up only the batch's own keys in the store (IN lists on
indexed columns) instead of reading a whole column or a source's every reference: an API push of
5 achievements read all 250,000 participant ids and took 10-25 s on the 250k store; a file of
hundreds of thousands of rows still reads the column once, which is cheaper than that many
lookups."""


@dataclass
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    erased: int = 0


@dataclass
class BatchContext:
    """What an applier needs: the open transaction, the sending source and batch bookkeeping."""

    conn: Connection
    source: str
    batch_id: str
    salt: str
    now: dt.datetime
    progress: bool = False
    counts: Counts = field(default_factory=Counts)
    problems: list[pd.DataFrame] = field(default_factory=list)
    applied: pd.DataFrame | None = None
    """The rows handed to the applier (valid, not refused as erased): what the change log
    records as touched."""

    def bar(self, label: str) -> str | None:
        """The progress-bar label for a bulk write, or None when this batch shows no progress."""
        return label if self.progress else None

    def reject(self, rows: pd.Index, fld: str, code: str, reason: str | pd.Series) -> None:
        """Quarantine ``rows`` (row numbers) for ``fld`` with a reason."""
        if len(rows) == 0:
            return
        text = reason if isinstance(reason, pd.Series) else pd.Series(reason, index=rows)
        self.problems.append(
            pd.DataFrame(
                {
                    "row_number": rows,
                    "field": fld,
                    "reason_code": code,
                    "reason": text.loc[rows].values,
                },
                columns=PROBLEM_COLUMNS,
            )
        )

    def resolve(self, refs: pd.Series) -> pd.Series:
        """Canonical participant ids for this source's ids (the identity map, else the id as is)."""
        idmap = read_frame(
            self.conn,
            select(
                tables.source_identities.c[C.SOURCE_PARTICIPANT_ID],
                tables.source_identities.c[C.PARTICIPANT_ID],
            ).where(
                tables.source_identities.c[C.SOURCE] == self.source,
                tables.source_identities.c[C.SOURCE_PARTICIPANT_ID]
                != tables.source_identities.c[C.PARTICIPANT_ID],
            ),
        )
        if idmap.empty:
            return refs.copy()
        mapping = pd.Series(
            idmap[C.PARTICIPANT_ID].to_numpy(), index=idmap[C.SOURCE_PARTICIPANT_ID].to_numpy()
        )
        return refs.map(mapping).fillna(refs)

    def erased_rows(self, raw: pd.DataFrame, columns: tuple[str, ...]) -> pd.Index:
        """Row numbers of ``raw`` (unvalidated values) naming an erased participant in any of
        ``columns``, directly or through this source's identity map.

        Runs before validation's verdict is used, so such a row is refused as ``erased`` whatever
        else is wrong with it, and none of its content is kept (152-FZ).
        """
        none = pd.Index([], name=raw.index.name)
        col_hash = tables.erasure_tombstones.c.subject_hash
        if raw.empty or self.conn.execute(select(col_hash).limit(1)).first() is None:
            return none
        named = []
        for col in columns:
            ids = raw[col].map(lambda v: None if v is None or v != v else str(v).strip())
            canon = self.resolve(ids.dropna()).reindex(ids.index)
            hashes = subject_hashes(self.salt, pd.concat([ids, canon]).dropna().unique())
            named.append((ids, canon, hashes))
        wanted = sorted({h for _, _, hashes in named for h in hashes.values()})
        if len(wanted) <= SMALL_BATCH:  # the batch's own hashes, not every erasure so far
            found = read_in(self.conn, lambda hs: select(col_hash).where(col_hash.in_(hs)), wanted)
        else:
            found = read_frame(self.conn, select(col_hash))
        dead = set(found["subject_hash"]) if len(found) else set()
        hit = pd.Series(False, index=raw.index)
        for ids, canon, hashes in named:
            hit |= ids.map(hashes).isin(dead) | canon.map(hashes).isin(dead)
        return raw.index[hit.to_numpy()] if dead else none

    def reject_duplicates(self, frame: pd.DataFrame, keys: list[str], fld: str) -> pd.DataFrame:
        """Quarantine later rows repeating an earlier row's key within this file."""
        dup = frame.duplicated(keys, keep="first")
        if dup.any():
            first = frame.reset_index().groupby(keys, sort=False)["row_number"].transform("first")
            first.index = frame.index
            self.reject(
                frame.index[dup],
                fld,
                "duplicate_in_file",
                first[dup].map(lambda r: f"{fld} repeats row {r} of this file"),
            )
        return frame.loc[~dup]

    def known_ids(
        self, table: tables.Table, col: str, among: Iterable[object] | None = None
    ) -> set[str]:
        """The values of ``table.col`` in the store; with ``among`` (a small batch's keys,
        :data:`SMALL_BATCH`), only those of them that are stored."""
        if among is not None:
            keys = sorted({str(v) for v in among if v is not None and v == v})
            if not keys:
                return set()
            if len(keys) <= SMALL_BATCH:
                column = table.c[col]
                found = read_in(self.conn, lambda ids: select(column).where(column.in_(ids)), keys)
                return {str(v) for v in found[col]}
        return set(read_frame(self.conn, select(table.c[col]))[col])
