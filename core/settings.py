"""Typed settings shared by every package (the data folder, the store, the erasure salt), read
from the environment once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("data")
MLRUNS_SUBDIR = "mlruns"
"""MLflow's local store under the data folder: ``mlflow.db``, run artifacts, bundles, studies."""


def default_tracking_uri(data_dir: Path) -> str:
    """MLflow's store when ``MLFLOW_TRACKING_URI`` is unset: ``<data_dir>/mlruns/mlflow.db``.

    The data folder holds everything the project writes (store, snapshots, ratings, exported
    bundles), so the tracking store lives there too: one folder to back up, to sweep after an
    erasure and to point a second checkout at. MLflow 3 keeps its plain ``./mlruns`` file store
    in maintenance mode, so the store is SQLite; the artifacts go beside it
    (:func:`training.tracking.use_experiment`).
    """
    return f"sqlite:///{data_dir / MLRUNS_SUBDIR / 'mlflow.db'}"


class FootprintSettings(BaseSettings):
    """``TALENT_DATABASE_URL`` selects the store (SQLite file by default, PostgreSQL by URL such as
    ``postgresql+psycopg://user:pass@127.0.0.1/talent``); ``TALENT_DATA_DIR`` holds the default
    SQLite file and snapshots; ``TALENT_ERASURE_SALT`` keys the hashes kept in tombstones;
    ``TALENT_DIRECTIONS_FILE`` names the deployment's list of directions (TOML or CSV, see
    :mod:`footprint.directions`; the packaged three when unset)."""

    model_config = SettingsConfigDict(env_prefix="TALENT_", extra="ignore")

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    erasure_salt: str = "development-only-salt"
    directions_file: Path | None = None
    # dates outside [plausible_from, ingest time + plausible_years_ahead] are quarantined as
    # implausible: 1900 and 2999 were accepted once and leaked into snapshots (docs/data-model.md)
    plausible_from: dt.date = dt.date(2000, 1, 1)
    plausible_years_ahead: int = 3

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'talent.db'}"

    @property
    def snapshot_dir(self) -> Path:
        return self.data_dir / "snapshots"

    @property
    def mlruns_dir(self) -> Path:
        """MLflow's local store (:func:`default_tracking_uri`), Optuna's studies and the
        pipeline's bundles."""
        return self.data_dir / MLRUNS_SUBDIR

    @property
    def rating_dir(self) -> Path:
        """``talent rate``'s default output root (swept after every erasure)."""
        return self.data_dir / "ratings"
