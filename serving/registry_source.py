"""A bundle source that reads an MLflow model registry: ``models:/<name>@<alias>``.

The training pipeline registers every bundle as an MLflow model whose artifacts hold the bundle
file with its ``.sha256`` and ``.sig`` beside it, and tags the version with the bundle's file name
and SHA-256. This source asks the registry which version the alias points at, downloads that
version's artifacts once into a cache folder (one sub-folder per version, filled beside and
renamed into place, so a half-finished download is never taken for a version), and hands the
:class:`~serving.bundles.BundleHolder` the bundle file with the checksum recorded in the registry
and the signature shipped with it: the holder then checks both before unpickling, exactly as for
an exported folder. A registry that cannot be reached, an alias that is not set or a version that
is not such a model gives a reference that the holder refuses, and the bundle being served stays.

This is an alternative to the exported folders (``TALENT_RECOMMEND_BUNDLE``), chosen by
``TALENT_RECOMMEND_MODEL_URI`` / ``TALENT_COMPETENCE_MODEL_URI``; MLflow is imported only when a
source of this kind is used. Serving never imports training: the version tags read here are
spelled by the registry module of training and repeated below (the registry is the contract).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.artifacts import read_signature
from core.logs import get_logger
from core.settings import DEFAULT_DATA_DIR, default_tracking_uri
from serving.bundles import BundleRef

log = get_logger(__name__)
SHA_TAG = "sha256"
FILE_TAG = "bundle_file"
_URI = re.compile(r"^models:/(?P<name>[A-Za-z0-9_.-]+)@(?P<alias>[A-Za-z0-9_-]+)$")
_SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")


def parse_model_uri(uri: str) -> tuple[str, str]:
    """``models:/<name>@<alias>`` -> (name, alias); ValueError for anything else."""
    found = _URI.match(uri.strip())
    if found is None:
        raise ValueError(
            f"{uri!r} is not a registered model alias URI such as "
            "'models:/talent-recommend@champion'"
        )
    return found["name"], found["alias"]


@dataclass(frozen=True)
class RegistrySource:
    """The bundle of the version an alias of a registered model points at.

    Parameters
    ----------
    uri
        ``models:/<name>@<alias>``.
    cache
        Folder the versions are downloaded to (``<cache>/<name>/<version>/``).
    tracking_uri
        The registry's store; None: ``MLFLOW_TRACKING_URI``, else training's default under
        ``data_dir`` (:func:`core.settings.default_tracking_uri`).
    data_dir
        The data folder whose ``mlruns/`` training uses when ``MLFLOW_TRACKING_URI`` is unset.
    """

    uri: str
    cache: Path
    tracking_uri: str | None = None
    data_dir: Path = DEFAULT_DATA_DIR

    def __post_init__(self) -> None:
        parse_model_uri(self.uri)

    def _store(self) -> str:
        return (
            self.tracking_uri
            or os.environ.get("MLFLOW_TRACKING_URI")
            or default_tracking_uri(self.data_dir)
        )

    def resolve(self) -> BundleRef:
        name, alias = parse_model_uri(self.uri)
        try:
            from mlflow import MlflowClient

            store = self._store()
            version = MlflowClient(
                tracking_uri=store, registry_uri=store
            ).get_model_version_by_alias(name, alias)
            tags = dict(version.tags)
            folder = self._download(store, name, str(version.version), str(version.source))
        except Exception as exc:  # MLflow, network and store errors alike: refused below
            log.error("registry_unavailable", uri=self.uri, error=str(exc)[:300])
            return BundleRef(self.cache / f"{name}@{alias} could not be read from the registry")
        file_name = tags.get(FILE_TAG, "")
        found = sorted(folder.rglob(file_name)) if _SAFE.match(file_name) else []
        if not found:
            return BundleRef(folder / f"version {version.version} holds no bundle file")
        path = found[0]
        return BundleRef(path, tags.get(SHA_TAG) or "no checksum recorded", read_signature(path))

    def _download(self, store: str, name: str, version: str, source: str) -> Path:
        """The version's artifacts in the cache (downloaded on first use)."""
        import mlflow

        target = self.cache / name / version
        if target.is_dir():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".download-", dir=target.parent))
        try:
            mlflow.artifacts.download_artifacts(
                artifact_uri=source, dst_path=str(staging), tracking_uri=store, registry_uri=store
            )
            try:
                staging.rename(target)
            except OSError:
                if not target.is_dir():  # not another worker's finished download
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        log.info("registry_version_downloaded", model=name, version=version)
        return target
