"""The one recommender interface, and the pipeline that joins scoring to ranking.

Every recommender follows scikit-learn's estimator rules and RecTools' shape: ``__init__`` only
stores a validated pydantic config (``extra="forbid"``); ``fit(dataset)`` replaces any previous
fit and returns ``self``; fitted attributes end in ``_``; ``get_config``/``from_config`` and
``save``/``load`` round-trip. A model only *scores* (participants x candidate activities, NaN =
no opinion); :meth:`Recommender.recommend` does the rest the same way for every model: candidate
activities open at ``as_of``, the shared feasibility filter, cold-start fallback for
participants the model knows nothing about, top-k, reason codes, one fixed frame.

**A model is parameters; the dataset is data.** A fitted model keeps what fitting learned (item
factors, the item-item matrix, the booster, the ability scale's item parameters, its config),
never the dataset it was fitted on: ``recommend`` scores whatever dataset it is given (the live
store's at request time, built by the same ``dataset_from_snapshot`` training uses), and a saved
file holds no participant id or history. Right after ``fit`` the training dataset is remembered
in memory only (so evaluation can call ``recommend`` without passing it again); a loaded model
must be given one.
"""

from __future__ import annotations

import datetime as dt
import io
import pickle
import zlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Literal, NamedTuple, Self, TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from core.artifacts import BUNDLE_HEADER
from core.errors import NotFittedError, TalentError
from models.base import ModelBase
from models.recommend.ability import AbilityModel
from models.recommend.codes import ReasonCode
from models.recommend.columns import RECOMMENDATION_COLUMNS
from models.recommend.dataset import DecisionPoint, RecommendDataset
from models.recommend.feasibility import FeasibilityRules, feasible
from models.recommend.reasons import Reason, describe, reason

__all__ = ["NotFittedError", "Recommender", "RecommenderConfig"]

BATCH_ROWS = 8_192
"""Participants scored at once in batch mode (bounds memory at rows x candidates)."""
BUNDLE_ZLIB_LEVEL = 3


class RecommenderConfig(BaseModel):
    """Base of every model's config: strict and immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


ConfigT = TypeVar("ConfigT", bound=RecommenderConfig)


class _Batch(NamedTuple):
    """One batch's recommendations as plain columns, in :data:`RECOMMENDATION_COLUMNS` order."""

    pids: list[str]
    acts: list[str]
    score: np.ndarray
    rank: np.ndarray
    model: str
    conditional: np.ndarray
    codes: list[tuple[str, ...]]
    texts: list[str]

    def frame(self) -> pd.DataFrame:
        # built in column order from arrays in one step
        columns = (
            pd.array(self.pids, dtype=_STRING),
            pd.array(self.acts, dtype=_STRING),
            np.asarray(self.score, np.float64),
            np.asarray(self.rank, np.int64),
            pd.array([self.model] * len(self.pids), dtype=_STRING),
            np.asarray(self.conditional, bool),
            pd.Series(self.codes, dtype=object),
            pd.array(self.texts, dtype=_STRING),
        )
        return pd.DataFrame(dict(zip(RECOMMENDATION_COLUMNS, columns, strict=True)), copy=False)

    def records(self) -> list[dict[str, Any]]:
        """One dict per row, with plain Python values (what ``frame().to_dict("records")``
        gives, without building the frame)."""
        scores = self.score.tolist()
        ranks = np.asarray(self.rank).tolist()
        conditional = np.asarray(self.conditional).tolist()
        return [
            dict(zip(RECOMMENDATION_COLUMNS, values, strict=True))
            for values in zip(
                self.pids,
                self.acts,
                scores,
                ranks,
                [self.model] * len(scores),
                conditional,
                self.codes,
                self.texts,
                strict=True,
            )
        ]


_STRING: Literal["string"] = "string"
_EMPTY = _Batch([], [], np.zeros(0), np.zeros(0, np.int64), "", np.zeros(0, bool), [], [])


def empty_recommendations() -> pd.DataFrame:
    """A frame with the fixed columns and no rows."""
    return _EMPTY.frame()


READ_PIECE = 1 << 20
"""Bytes inflated (and copied) per step when loading: the GIL is held for one step at a time."""


class _Inflating(io.RawIOBase):
    """The decompressed bytes of a zlib stream, inflated a piece at a time as they are read.

    Unpickling from it instead of ``pickle.loads(zlib.decompress(data))``: the decompressor
    releases the GIL, but its 330 MB result was then joined into one bytes object with the GIL
    held (~100 ms in which no request of the worker could run; bench/bundle_load.py)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._inflate = zlib.decompressobj()
        self._out = memoryview(b"")

    def readable(self) -> bool:
        return True

    def _inflate_piece(self) -> bytes:
        """Up to :data:`READ_PIECE` more decompressed bytes (call only before the end)."""
        data = self._inflate.unconsumed_tail or self._raw.read(READ_PIECE)
        if not data:
            raise zlib.error("the compressed stream ends early (a truncated file)")
        return self._inflate.decompress(data, READ_PIECE)

    def check_end(self) -> None:
        """Inflate what is left, so the stream's own checksum is checked (raises
        ``zlib.error`` on a truncated or corrupted file)."""
        while not self._inflate.eof:
            self._inflate_piece()

    def readinto(self, buffer: Any) -> int:
        target = memoryview(buffer).cast("B")
        done = 0
        while done < len(target):
            if not self._out:
                if self._inflate.eof:
                    break
                self._out = memoryview(self._inflate_piece())
                continue
            n = min(len(self._out), len(target) - done)
            target[done : done + n] = self._out[:n]
            self._out = self._out[n:]
            done += n
        return done


class Recommender(ModelBase[ConfigT], ABC):
    """Config in, ``fit`` returns self, ``recommend`` returns a frame with fixed columns.

    Subclasses set ``name`` and ``config_class`` and implement :meth:`_fit` and :meth:`score`;
    they may override :meth:`primary_reasons` (why a cell is recommended) and declare what they
    need: ``fallback_class`` (the model that scores participants they cannot, e.g. without
    history; None when their scores are meaningful for everyone), ``needs_ability`` (the
    dataset's ability scale), ``needs_decisions`` (past decision points, given to ``fit``) and
    ``needs_content`` (the catalogue's content: directions, kinds, levels, dates; a plain
    interaction log has none). Callers read these through :mod:`models.recommend.registry`
    instead of checking model names.
    """

    name: ClassVar[str]
    config_class: ClassVar[type[RecommenderConfig]]

    @property
    def label(self) -> str:
        """The name the service and the ``model`` column report: :attr:`name`, or the variant
        a config makes of it (``popular_direction``), so a served baseline says which it is."""
        return self.name

    fallback_class: ClassVar[type[Recommender[Any]] | None] = None
    needs_ability: ClassVar[bool] = False
    needs_decisions: ClassVar[bool] = False
    needs_content: ClassVar[bool] = False

    # --- state -----------------------------------------------------------------------------------
    @property
    def is_fitted(self) -> bool:
        return "cutoff_" in vars(self)

    @property
    def ability_model(self) -> AbilityModel | None:
        """The ability scale's fitted parameters, which the dataset to recommend from must be
        built with (``dataset_from_snapshot(..., ability=model.ability_model)``); None when the
        model does not use abilities."""
        return vars(self).get("ability_")

    def __getstate__(self) -> dict[str, Any]:
        """What is saved: the config and the fitted parameters; never the training dataset or any
        other private in-memory state (names starting with ``_``: caches rebuilt on use)."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def fit(self, dataset: RecommendDataset, decisions: tuple[DecisionPoint, ...] = ()) -> Self:
        """Fit on ``dataset``, replacing any earlier fit; returns ``self``.

        ``decisions`` are past decision points (:func:`~models.recommend.dataset.
        decision_points`), the training input of a model that declares ``needs_decisions`` and
        of no other."""
        if self.needs_decisions and not decisions:
            raise TalentError(
                f"{self.label} learns from past decision points: "
                "fit(dataset, decision_points(snapshot, as_of, instants))"
            )
        if decisions and not self.needs_decisions:
            raise TalentError(f"{self.label} does not learn from decision points")
        self._reset()
        if self.needs_decisions:
            self._fit_decisions(dataset, decisions)
        else:
            self._fit(dataset)
        self._fitted_on(dataset)
        return self

    def _fit_decisions(
        self, dataset: RecommendDataset, decisions: tuple[DecisionPoint, ...]
    ) -> None:
        """The fit of a model that declares ``needs_decisions`` (it overrides this)."""
        raise NotImplementedError

    def _fitted_on(self, dataset: RecommendDataset) -> None:
        """The bookkeeping every fit ends with: the fallback model, the cut-off (provenance) and
        the training dataset, remembered in memory only (never saved)."""
        if self.fallback_class is not None:
            self.fallback_ = self.fallback_class().fit(dataset)
        if self.needs_ability and dataset.ability is not None and dataset.ability.model is not None:
            self.ability_ = dataset.ability.model
        self.cutoff_ = dataset.as_of
        self._fit_data = dataset

    @abstractmethod
    def _fit(self, dataset: RecommendDataset) -> None: ...

    @abstractmethod
    def score(self, dataset: RecommendDataset, rows: np.ndarray, acts: np.ndarray) -> np.ndarray:
        """Scores of participants ``rows`` (-1 = unknown) for activities ``acts``: higher is
        better, NaN where the model has no opinion (the row then falls back to cold start)."""

    def score_at(
        self,
        dataset: RecommendDataset,
        rows: np.ndarray,
        acts: np.ndarray,
        as_of: dt.datetime | None,
    ) -> np.ndarray:
        """:meth:`score` for a request at ``as_of``. Models whose scores do not depend on the
        instant (all but the re-ranker, whose features include the time to deadlines and what is
        open) answer :meth:`score`."""
        del as_of
        return self.score(dataset, rows, acts)

    def primary_reasons(
        self, dataset: RecommendDataset, rows: np.ndarray, sel: np.ndarray, valid: np.ndarray
    ) -> list[list[Reason]]:
        """The model's reason for each selected cell (``sel``: rows x k activity indices)."""
        del dataset, valid
        r = reason(ReasonCode.SIMILAR_PARTICIPANTS)
        return [[r] * sel.shape[1] for _ in range(len(rows))]

    # --- recommending --------------------------------------------------------------------------
    def recommend(
        self,
        participants: list[str] | pd.Index | np.ndarray,
        k: int = 10,
        as_of: dt.datetime | None = None,
        *,
        dataset: RecommendDataset | None = None,
        rules: FeasibilityRules | None = None,
        reasons: bool = True,
    ) -> pd.DataFrame:
        """Top-``k`` feasible activities for each participant.

        Parameters
        ----------
        participants
            External participant ids; unknown ones get cold-start recommendations.
        k
            Recommendations per participant (fewer when fewer are feasible).
        as_of
            The request instant (the dataset's cut-off when None).
        dataset
            The catalogue and histories to recommend from (the live store's in the service);
            when None, the dataset the model was just fitted on (a loaded model has none).
        rules
            Feasibility rules.
        reasons
            Build reason codes and texts (skip for evaluation speed).

        Returns
        -------
        pandas.DataFrame
            :data:`~models.recommend.columns.RECOMMENDATION_COLUMNS`, ordered by the input
            participants, then rank (1 = best).
        """
        parts = [b.frame() for b in self._batches(participants, k, as_of, dataset, rules, reasons)]
        if not parts:
            return empty_recommendations()
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]

    def recommend_records(
        self,
        participants: list[str] | pd.Index | np.ndarray,
        k: int = 10,
        as_of: dt.datetime | None = None,
        *,
        dataset: RecommendDataset | None = None,
        rules: FeasibilityRules | None = None,
        reasons: bool = True,
    ) -> list[dict[str, Any]]:
        """:meth:`recommend`'s rows as plain dicts (keys :data:`RECOMMENDATION_COLUMNS`, Python
        values), without building a frame: the service's per-request path, where the frame
        cost as much as a quarter of the model's work."""
        out: list[dict[str, Any]] = []
        for batch in self._batches(participants, k, as_of, dataset, rules, reasons):
            out += batch.records()
        return out

    def _batches(
        self,
        participants: list[str] | pd.Index | np.ndarray,
        k: int,
        as_of: dt.datetime | None,
        dataset: RecommendDataset | None,
        rules: FeasibilityRules | None,
        reasons: bool,
    ) -> list[_Batch]:
        self.check_fitted()
        if k < 1:
            raise TalentError(f"k must be at least 1, got {k}")
        data = dataset if dataset is not None else self._fit_data_or_fail()
        as_of = as_of if as_of is not None else data.as_of
        pids = pd.Index(np.asarray(participants, dtype=object))
        rows = data.rows(pids)
        acts = data.catalog.open_at(as_of)
        return [
            self._recommend_batch(
                data,
                pids[lo : lo + BATCH_ROWS],
                rows[lo : lo + BATCH_ROWS],
                acts,
                k,
                as_of,
                rules,
                reasons,
            )
            for lo in range(0, len(rows), BATCH_ROWS)
        ]

    def _fit_data_or_fail(self) -> RecommendDataset:
        data = vars(self).get("_fit_data")
        if data is None:
            raise TalentError(
                "a loaded recommender holds parameters only: pass the dataset to recommend from "
                "(dataset_from_snapshot(snapshot, as_of, ability=model.ability_model))"
            )
        return data  # type: ignore[no-any-return]

    def scores_with_fallback(
        self,
        data: RecommendDataset,
        rows: np.ndarray,
        acts: np.ndarray,
        as_of: dt.datetime | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Model scores at ``as_of`` (default: the dataset's cut-off), with rows the model cannot
        score filled by the cold-start model (returned mask marks those rows)."""
        at = as_of if as_of is not None else data.as_of
        scores: np.ndarray = (
            self.score_at(data, rows, acts, at) if len(acts) else np.zeros((len(rows), 0))
        )
        cold = np.isnan(scores).all(axis=1) if scores.shape[1] else np.zeros(len(rows), bool)
        if cold.any() and "fallback_" in vars(self):
            scores[cold] = self.fallback_.score(data, rows[cold], acts)
        return scores, cold

    def _recommend_batch(
        self,
        data: RecommendDataset,
        pids: pd.Index,
        rows: np.ndarray,
        acts: np.ndarray,
        k: int,
        as_of: dt.datetime | None,
        rules: FeasibilityRules | None,
        with_reasons: bool,
    ) -> _Batch:
        n = len(rows)
        if len(acts) == 0 or n == 0:
            return _EMPTY
        mask = feasible(data, rows, acts, as_of, rules)
        scores, cold = self.scores_with_fallback(data, rows, acts, as_of)
        # NaN scores rank below every real score, above infeasible cells
        key = np.where(np.isnan(scores), -1e300, scores)
        key = np.where(mask.feasible, key, -np.inf)
        kk = min(k, len(acts))
        top = (
            np.argpartition(-key, kk - 1, axis=1)[:, :kk]
            if kk < len(acts)
            else np.tile(np.arange(len(acts)), (n, 1))
        )
        top_key = np.take_along_axis(key, top, axis=1)
        # ties: by activity index, so results are deterministic
        order = np.lexsort((acts[top], -top_key), axis=1)
        top = np.take_along_axis(top, order, axis=1)
        top_key = np.take_along_axis(top_key, order, axis=1)
        valid = np.isfinite(top_key)
        sel = acts[top]
        score = np.take_along_axis(np.nan_to_num(scores, nan=-np.inf), top, axis=1)
        cond = np.take_along_axis(mask.conditional, top, axis=1)
        counts = valid.sum(axis=1)
        r_idx = np.repeat(np.arange(n), counts)
        ranks = np.concatenate([np.arange(1, c + 1) for c in counts]) if n else np.zeros(0, int)
        if with_reasons:
            primary = self.primary_reasons(data, rows, sel, valid)
            if cold.any() and "fallback_" in vars(self):
                cold_rows = np.flatnonzero(cold)
                fb = self.fallback_.primary_reasons(
                    data, rows[cold_rows], sel[cold_rows], valid[cold_rows]
                )
                for i, r in zip(cold_rows.tolist(), fb, strict=True):
                    primary[i] = r
            codes, texts = describe(data, rows, sel, valid, cond, primary, as_of)
        else:
            codes = [()] * int(valid.sum())
            texts = [""] * int(valid.sum())
        return _Batch(
            pids.to_numpy()[r_idx].tolist(),
            data.catalog.activity_ids.to_numpy()[sel[valid]].tolist(),
            score[valid],
            ranks,
            self.label,
            cond[valid],
            codes,
            texts,
        )

    # --- persistence ---------------------------------------------------------------------------
    def save(self, path: Path | str) -> Path:
        """Write the fitted parameters to ``path``: a header line, then a zlib-compressed pickle
        (protocol 5) of the model without its training dataset (:meth:`__getstate__`).

        The file holds no participant id and no history (``tests/models/recommend/contract.py``
        searches the decompressed bytes for every participant of the training data), so an
        erasure needs no retraining and the file may live in a shared artifact store.

        Not joblib: joblib unpickles with the pure-Python unpickler, which holds the GIL for the
        whole load; :meth:`load` reads with the C unpickler from a stream inflated a megabyte at
        a time, so no step holds the GIL for long (docs/benchmarks.md, "Model switches").
        """
        self.check_fitted()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = pickle.dumps({"class": type(self).__name__, "model": self}, protocol=5)
        with path.open("wb") as f:
            f.write(BUNDLE_HEADER)
            f.write(zlib.compress(payload, BUNDLE_ZLIB_LEVEL))
        return path

    @classmethod
    def load(cls, path: Path | str) -> Self:
        """Read a model written by :meth:`save`; refuses a file holding another class and the
        files written before 2026-12-03 (they carried the training dataset: retrain). Unpickling
        runs code: load only files whose checksum was verified (the service and ``talent
        promote`` do)."""
        path = Path(path)
        if not path.is_file():
            raise TalentError(f"model file {path} does not exist")
        with path.open("rb") as f:
            header = f.read(len(BUNDLE_HEADER))
            if header == BUNDLE_HEADER:
                try:
                    stream = _Inflating(f)
                    payload = pickle.load(io.BufferedReader(stream, READ_PIECE))
                    stream.check_end()
                except (zlib.error, pickle.UnpicklingError, EOFError) as exc:
                    raise TalentError(f"model file {path} is damaged: {exc}") from exc
            else:
                raise TalentError(
                    f"{path} is not a parameters-only recommender file (files written before "
                    "2026-12-03 carried the training dataset with participants' histories); "
                    "retrain it with `talent train recommend`"
                )
        obj = payload.get("model") if isinstance(payload, dict) else None
        if not isinstance(obj, cls):
            raise TalentError(f"{path} does not hold a {cls.__name__}")
        return obj
