"""Realism figures of a written world, read back from its files (used by tests and the benchmark).

Everything here reads the output as a consumer would (the clean sources plus the truth file), so
the figures check what was written, not the simulator's internal state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.json as pjson
import pyarrow.parquet as pq

from footprint.columns import Columns as C
from footprint.enums import ActivityKind, EdgeType, Entity
from simulator import clock
from simulator.config import REFERENCE_SIZES, scaled_size_range
from simulator.kinds import Source


def read_table(path: Path) -> pa.Table:
    """Read a written file of any supported format, every column as written (CSV and JSON Lines
    are read with all columns as strings, so nothing is re-typed behind the reader's back)."""
    if path.suffix == ".parquet":
        return pq.read_table(path)
    if path.suffix == ".csv":
        names = pcsv.read_csv(
            path, read_options=pcsv.ReadOptions(autogenerate_column_names=False)
        ).column_names
        opts = pcsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True
        )
        return pcsv.read_csv(path, convert_options=opts)
    return pjson.read_json(path)


def source_file(out_dir: Path, source: Source, entity: Entity) -> Path:
    """The written file of ``entity`` from ``source`` (whatever its format)."""
    matches = sorted((out_dir / "sources" / source.value).glob(f"{entity.value}.*"))
    if not matches:
        raise FileNotFoundError(f"no {entity.value} file from {source.value} under {out_dir}")
    return matches[0]


def load_frames(out_dir: Path) -> dict[str, pd.DataFrame]:
    """Participants, activities, edges and all achievements (with a ``source`` column) as frames."""
    frames = {
        e.value: read_table(source_file(out_dir, Source.PLATFORM, e)).to_pandas()
        for e in (Entity.PARTICIPANTS, Entity.ACTIVITIES, Entity.ACTIVITY_EDGES)
    }
    parts = []
    for src in (Source.OLYMPIAD, Source.COURSES, Source.EVENTS):
        df = read_table(source_file(out_dir, src, Entity.ACHIEVEMENTS)).to_pandas()
        parts.append(df.assign(**{C.SOURCE: src.value}))
    frames[Entity.ACHIEVEMENTS.value] = pd.concat(parts, ignore_index=True)
    return frames


@dataclass(frozen=True)
class WorldStats:
    """Headline realism figures of a world (see :func:`world_stats`)."""

    funnel_share: float
    stage1_entrants_median: float
    final_size_median: float
    ability_correlation: float
    sizes: dict[str, tuple[float, int, int]]
    size_in_range_share: dict[str, float]
    activities_per_season: dict[str, float]
    no_activity_share: float

    def lines(self) -> list[str]:
        out = [
            f"funnel share (finalists / stage-1 entrants): {self.funnel_share:.4f}",
            f"stage-1 entrants per profile and season (median): {self.stage1_entrants_median:.0f}",
            f"finalists per final (median): {self.final_size_median:.0f}",
            f"ability correlation across directions: {self.ability_correlation:.3f}",
            f"participants with no achievement: {self.no_activity_share:.3f}",
            "activities per active participant and season: "
            + ", ".join(f"{k}={v:.3g}" for k, v in self.activities_per_season.items()),
            "edition sizes by kind (median, min, max; share in the scaled range):",
        ]
        for kind, (med, lo, hi) in self.sizes.items():
            share = self.size_in_range_share.get(kind, float("nan"))
            out.append(f"  {kind}: {med:.0f} ({lo}-{hi}); {share:.3f}")
        return out


def world_stats(out_dir: Path, frames: dict[str, pd.DataFrame] | None = None) -> WorldStats:
    """Compute :class:`WorldStats` of the clean world in ``out_dir``."""
    frames = frames or load_frames(out_dir)
    acts = frames[Entity.ACTIVITIES.value].set_index(C.ACTIVITY_ID)
    ach = frames[Entity.ACHIEVEMENTS.value]
    edges = frames[Entity.ACTIVITY_EDGES.value]
    n_participants = len(frames[Entity.PARTICIPANTS.value])
    sizes_all = ach.groupby(C.ACTIVITY_ID).size().reindex(acts.index, fill_value=0)

    finals = acts.index[acts[C.KIND] == ActivityKind.OLYMPIAD_FINAL.value]
    stage1 = acts.index[acts[C.KIND] == ActivityKind.OLYMPIAD_STAGE_INDIVIDUAL.value]
    funnel = float(sizes_all[finals].sum() / max(1, sizes_all[stage1].sum()))

    nested = set(edges.loc[edges[C.EDGE_TYPE] == EdgeType.NESTING.value, C.TO_ACTIVITY_ID])
    sizes: dict[str, tuple[float, int, int]] = {}
    in_range: dict[str, float] = {}
    for kind, group in sizes_all.groupby(acts[C.KIND]):
        sizes[str(kind)] = (float(group.median()), int(group.min()), int(group.max()))
        if ActivityKind(kind) in REFERENCE_SIZES:
            lo, hi = scaled_size_range(ActivityKind(kind), n_participants)
            free = group[~group.index.isin(nested)]
            in_range[str(kind)] = float(((free >= lo) & (free <= hi)).mean())

    achieved = pd.to_datetime(ach[C.ACHIEVED_AT]).to_numpy().astype("datetime64[s]")
    season = clock.season_year_of(achieved)
    per = ach.groupby([ach[C.PARTICIPANT_ID], season]).size()
    counts = per.to_numpy()
    activities = {
        "median": float(np.median(counts)),
        "mean": float(counts.mean()),
        "share_1_3": float(((counts >= 1) & (counts <= 3)).mean()),
        "share_15_plus": float((counts >= 15).mean()),
        "max": float(counts.max()),
    }
    no_activity = 1.0 - ach[C.PARTICIPANT_ID].nunique() / n_participants
    return WorldStats(
        funnel_share=funnel,
        stage1_entrants_median=float(sizes_all[stage1].median()),
        final_size_median=float(sizes_all[finals].median()),
        ability_correlation=ability_correlation(out_dir),
        sizes=sizes,
        size_in_range_share=in_range,
        activities_per_season=activities,
        no_activity_share=float(no_activity),
    )


def ability_correlation(out_dir: Path) -> float:
    """Mean off-diagonal correlation of true abilities across directions, over all checkpoints."""
    truth = pq.read_table(out_dir / "truth" / "competence.parquet").to_pandas()
    values = []
    for _, snap in truth.groupby(C.AS_OF):
        wide = snap.pivot(index=C.PARTICIPANT_ID, columns=C.DIRECTION, values=C.TRUE_ABILITY)
        corr = wide.corr().to_numpy()
        values.append(corr[~np.eye(len(corr), dtype=bool)].mean())
    return float(np.mean(values))


def manifest(out_dir: Path) -> dict:
    return json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
