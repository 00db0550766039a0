"""Bundles as MLflow ``python_function`` models: the recommender and the competence model.

MLflow's own tooling (``mlflow models serve``, ``mlflow.pyfunc.load_model``, batch scoring) can
then run a bundle written by ``talent train recommend``: the bundle file travels as the model's
artifact, :meth:`Recommender.load` reads it, and ``predict`` calls the same
:meth:`Recommender.recommend` as ``talent recommend`` and the service. The service itself does not
use this wrapper (it loads bundles without MLflow, see docs/serving.md); ``bench/load.py`` serves it
with ``mlflow models serve`` to compare the two.

The bundle holds parameters only, so the model needs data to score: the footprint snapshot named
by the model config's ``snapshot`` (a folder path, given to :func:`log_recommender`; a path, not
the data: nothing about participants enters MLflow), else the footprint store as it is when the
model is loaded (``footprint``'s own database setting). The dataset is built once at load by the
same ``dataset_from_snapshot`` as training and the service.

Request: a frame with one ``participant_id`` per row; ``k`` (default 10) and ``as_of`` (an ISO
date or instant; empty = the data's instant) are MLflow *params*, so one call is one question::

    {"dataframe_records": [{"participant_id": "p0000042"}], "params": {"k": 10}}

Answer: the library's recommendation frame (``RECOMMENDATION_COLUMNS``), reason codes as lists.

The competence model (:class:`CompetencePyfunc`) takes the same request and answers one row per
participant and direction: the estimate, its 90% interval, the model version and the review flags
(what ``GET /v1/competence`` returns without the evidence), from the same data source.

:func:`log_bundle_model` is what the training pipeline registers: the bundle, its ``.sha256`` and
its ``.sig`` travel as the model's artifacts (so serving can load the champion straight from the
registry, checksum and signature checked, without this package), with a signature and an input
example whose id names nobody.
"""

from __future__ import annotations

import datetime as dt
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd
from mlflow.pyfunc import PythonModel

from core.errors import TalentError
from core.instants import to_naive_utc, utc_now
from footprint.columns import Columns as C
from footprint.frames import Snapshot
from models.recommend.base import Recommender
from models.recommend.columns import RecColumns as RC
from models.recommend.dataset import RecommendDataset, dataset_from_snapshot

ARTIFACT = "recommender"
"""Name of the bundle file among the model's artifacts."""
BUNDLE = "bundle"
"""Name of the bundle among a registered model's artifacts (its ``.sha256``/``.sig`` beside)."""
EXAMPLE_ID = "example-participant"
"""The input example's participant: an id no store issues (ids are ``p`` and digits or hashes),
so a logged example never names anyone."""
DEFAULT_K = 10
# the project's own packages the model needs at load time, copied beside it (MLflow code_paths)
CODE_PACKAGES = ("footprint", "features", "models", "training")
# pinned from the running environment so the model's requirements match what it was tested with
REQUIREMENTS = (
    "mlflow",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "scikit-learn",
    "lightgbm",
    "implicit",
    "joblib",
    "pydantic",
    "structlog",
    "SQLAlchemy",
)


def _as_of(value: Any) -> dt.datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return to_naive_utc(pd.Timestamp(value).to_pydatetime())


class RecommenderModel(PythonModel):  # type: ignore[misc]
    """``python_function`` flavour of a saved :class:`Recommender` (its file is an artifact)."""

    def load_context(self, context: Any) -> None:
        artifacts = context.artifacts
        self.recommender_: Recommender[Any] = Recommender.load(
            artifacts[BUNDLE] if BUNDLE in artifacts else artifacts[ARTIFACT]
        )
        config = getattr(context, "model_config", None) or {}
        snapshot = _data(config.get("snapshot"))
        self.dataset_: RecommendDataset = dataset_from_snapshot(
            snapshot, snapshot.as_of, ability=self.recommender_.ability_model or False
        )

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Top-``k`` feasible activities for every participant of ``model_input``.

        Parameters
        ----------
        context
            MLflow's model context (unused once loaded).
        model_input
            A frame with a ``participant_id`` column (MLflow converts JSON records to it).
        params
            ``k`` (recommendations per participant) and ``as_of`` (request instant).

        Returns
        -------
        pandas.DataFrame
            The library's recommendation frame; ``reason_codes`` as lists (JSON arrays).
        """
        del context
        params = params or {}
        frame = pd.DataFrame(model_input)
        if C.PARTICIPANT_ID not in frame.columns:
            raise TalentError(f"the input needs a {C.PARTICIPANT_ID!r} column")
        k = int(params.get("k") or DEFAULT_K)
        out = self.recommender_.recommend(
            frame[C.PARTICIPANT_ID].astype(str).tolist(),
            k=k,
            as_of=_as_of(params.get("as_of")),
            dataset=self.dataset_,
        )
        out[RC.REASON_CODES] = out[RC.REASON_CODES].map(list)
        return out


class CompetencePyfunc(PythonModel):  # type: ignore[misc]
    """``python_function`` flavour of a saved :class:`CompetenceBundle` (its file is an
    artifact); the data to estimate from as for :class:`RecommenderModel`."""

    def load_context(self, context: Any) -> None:
        from features.schema import RATING_COLUMNS
        from models.competence.bundle import CompetenceBundle
        from models.competence.rating_features import rating_frame

        self.bundle_ = CompetenceBundle.load(context.artifacts[BUNDLE])
        config = getattr(context, "model_config", None) or {}
        self.snapshot_ = _data(config.get("snapshot"))
        # a rating is relative to everyone rated: computed once, on the whole snapshot
        self.rating_ = (
            rating_frame(self.snapshot_, self.snapshot_.as_of)
            if set(RATING_COLUMNS) & set(self.bundle_.model.features_)
            else None
        )

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Estimates (0-100, with the 90% interval) per participant and direction.

        Parameters
        ----------
        context
            MLflow's model context (unused once loaded).
        model_input
            A frame with a ``participant_id`` column.
        params
            ``as_of`` (an ISO instant; empty: the data's instant).

        Returns
        -------
        pandas.DataFrame
            ``participant_id``, ``direction``, ``competence``, ``lower``, ``upper``,
            ``model_version`` and ``flags`` (codes, as lists); no rows for unknown ids.
        """
        del context
        from models.competence.columns import CompetenceColumns as CC

        params = params or {}
        frame = pd.DataFrame(model_input)
        if C.PARTICIPANT_ID not in frame.columns:
            raise TalentError(f"the input needs a {C.PARTICIPANT_ID!r} column")
        ids = set(frame[C.PARTICIPANT_ID].astype(str))
        snap = self.snapshot_
        people = snap.participants[snap.participants[C.PARTICIPANT_ID].astype(str).isin(ids)]
        records = snap.achievements[snap.achievements[C.PARTICIPANT_ID].astype(str).isin(ids)]
        columns = [
            C.PARTICIPANT_ID,
            C.DIRECTION,
            CC.COMPETENCE,
            CC.LOWER,
            CC.UPPER,
            CC.MODEL_VERSION,
            CC.FLAGS,
        ]
        if people.empty:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        rating = None
        if self.rating_ is not None:
            rating = self.rating_[self.rating_[C.PARTICIPANT_ID].astype(str).isin(ids)]
        out = self.bundle_.estimate(
            records,
            people,
            as_of=_as_of(params.get("as_of")) or snap.as_of,
            rating=rating,
            evidence=False,
        )
        out = out[columns].copy()
        out[CC.FLAGS] = out[CC.FLAGS].map(list)
        return out.reset_index(drop=True)


KINDS: dict[str, type[PythonModel]] = {
    "recommend": RecommenderModel,
    "competence": CompetencePyfunc,
}
"""The model class of each bundle kind."""


def log_bundle_model(kind: str, bundle: Path, snapshot: Path | None, name: str = "model") -> Any:
    """Log a published bundle (``.sha256`` and ``.sig`` beside it) as a pyfunc model of the
    active run, with a signature and an input example; returns MLflow's ``ModelInfo`` (its
    ``model_uri`` and ``model_id`` are what a model version is registered from).

    ``snapshot``: the snapshot folder the model scores (its path is the model config and can be
    replaced at load, ``mlflow.pyfunc.load_model(uri, model_config={"snapshot": ...})``); None
    scores the footprint store as it is at load time. The project's packages are not copied into
    the model: it loads where this project is installed (``mlflow models serve --env-manager
    local`` from the project's environment).
    """
    import mlflow
    from mlflow.models import infer_signature

    from core.artifacts import signature_path
    from training.bundles import sidecar

    model = KINDS[kind]()
    example = pd.DataFrame({C.PARTICIPANT_ID: [EXAMPLE_ID]})
    params: dict[str, Any] = {"as_of": ""} | ({"k": DEFAULT_K} if kind == "recommend" else {})
    signature = infer_signature(example, params=params)
    artifacts = {BUNDLE: str(bundle), "sha256": str(sidecar(bundle))}
    if signature_path(bundle).is_file():
        artifacts["signature"] = str(signature_path(bundle))
    return mlflow.pyfunc.log_model(
        name=name,
        python_model=model,
        artifacts=artifacts,
        signature=signature,
        input_example=(example, params),
        pip_requirements=_requirements(),
        model_config={"snapshot": str(snapshot.resolve())} if snapshot is not None else None,
    )


def _data(snapshot: str | None) -> Snapshot:
    """The footprint to score: a snapshot folder, or the store as it is now."""
    if snapshot:
        from footprint.snapshot import load_snapshot

        return load_snapshot(Path(snapshot))
    from footprint.snapshot import read_frames
    from footprint.store import open_store

    now = utc_now(seconds=True)
    return Snapshot.from_frames(
        now, read_frames(open_store(None), now), snapshot_id=f"store@{now.isoformat()}"
    )


def _requirements() -> list[str]:
    pins = []
    for name in REQUIREMENTS:
        try:
            pins.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            continue
    return pins


def log_recommender(bundle: Path, name: str = "recommender", snapshot: Path | None = None) -> str:
    """Log ``bundle`` (a file saved by ``talent train recommend``) as a pyfunc model in the active
    MLflow run; returns the model's URI (``models:/...``) for ``mlflow models serve -m``.

    ``snapshot``: the footprint snapshot folder it scores (its path is the model config; the
    data stays where it is); None scores the footprint store as it is at load time.

    The bundle is checked to load as a :class:`Recommender` first, so a wrong file never becomes a
    model. The project's packages are copied into the model (``code_paths``), so it loads in any
    environment with the pinned requirements installed.
    """
    import mlflow
    from mlflow.models import infer_signature

    Recommender.load(bundle)  # refuse anything that is not a recommender bundle
    root = Path(__file__).resolve().parent.parent
    example = pd.DataFrame({C.PARTICIPANT_ID: ["p0000000"]})
    signature = infer_signature(example, params={"k": DEFAULT_K, "as_of": ""})
    info = mlflow.pyfunc.log_model(
        name=name,
        python_model=RecommenderModel(),
        artifacts={ARTIFACT: str(bundle)},
        signature=signature,
        code_paths=[str(root / p) for p in CODE_PACKAGES],
        pip_requirements=_requirements(),
        model_config={"snapshot": str(snapshot)} if snapshot is not None else None,
    )
    return str(info.model_uri)
