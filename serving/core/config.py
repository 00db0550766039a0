"""The service's typed settings, read once from ``TALENT_*`` environment variables and checked at
start-up.

One :class:`ServingSettings` holds everything the service needs. Outside ``development`` mode it
refuses the development defaults (tokens, session secret, erasure salt, bundle key) and secrets of
little entropy, so a production service never starts with a secret that is printed in this
repository or that can be guessed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import math
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.artifacts import DEV_BUNDLE_KEY
from core.settings import FootprintSettings
from serving.auth import Role
from serving.services.signing import private_key_from_b64, public_key_from_b64

DEV_SESSION_SECRET = "development-only-session-secret-change-me"
DEV_ERASURE_SALT = FootprintSettings.model_fields["erasure_salt"].default
# Known tokens for a development service (and the demo); refused in production.
DEV_TOKENS: dict[Role, str] = {
    Role.PLATFORM: "dev-platform-token",
    Role.MODERATOR: "dev-moderator-token",
    Role.DATA_SCIENTIST: "dev-data-scientist-token",
    Role.ADMIN: "dev-admin-token",
    Role.UNIVERSITY: "dev-university-token",
}
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 96
"""The least estimated entropy a production secret may have. The estimate is the string's length
times the Shannon entropy of its own character frequencies: 40 identical characters score 0,
``abab...`` of 40 scores 40, while ``secrets.token_hex(16)`` (32 hex digits, 128 real bits) scores
about 120 and ``secrets.token_urlsafe(32)`` (what ``talent token`` makes) about 200. It is an
upper bound for patterned strings, not a proof of randomness: it catches the careless, not the
clever (``0123456789`` four times scores 133 and passes)."""


def estimated_bits(secret: str) -> float:
    """Length times the per-character Shannon entropy of ``secret`` (see
    :data:`MIN_SECRET_BITS`)."""
    if not secret:
        return 0.0
    n = len(secret)
    return n * sum(c / n * math.log2(n / c) for c in Counter(secret).values())


def secret_problem(name: str, value: str, default: str) -> str | None:
    """Why ``value`` of setting ``name`` may not be used in production, or None when it may (the
    server's check, also applied by the CLI to the erasure salt)."""
    if value == default or len(value) < MIN_SECRET_LENGTH:
        return f"{name} is the development default or shorter than {MIN_SECRET_LENGTH} characters"
    if estimated_bits(value) < MIN_SECRET_BITS:
        return (
            f"{name} has too little entropy (about {estimated_bits(value):.0f} bits, at "
            f'least {MIN_SECRET_BITS} needed): use e.g. `python -c "import secrets; '
            'print(secrets.token_urlsafe(32))"`'
        )
    return None


# the portfolio signing key of a development service (base64 of a 32-byte Ed25519 seed; printed
# here, so refused in production): make a real one with `talent signing-key`
DEV_PORTFOLIO_KEY = base64.b64encode(
    hashlib.sha256(b"development-only-portfolio-signing-key").digest()
).decode()


class Mode(StrEnum):
    """``development`` accepts the shipped defaults; ``production`` refuses them."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


def token_sha256(token: str) -> str:
    """The hex SHA-256 of a bearer token, which is what the configuration stores.

    Tokens are random strings of high entropy, so a plain hash is enough: it cannot be reversed by
    guessing, and comparing hashes keeps the clear token out of configuration and memory dumps.
    """
    return hashlib.sha256(token.encode()).hexdigest()


class TokenEntry(BaseModel):
    """One configured token: who holds it (a name for logs and audit), its role and its hash."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9_.@-]+$")]
    role: Role
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


def development_tokens() -> list[TokenEntry]:
    """The development tokens (names ``dev-<role>``); see :data:`DEV_TOKENS`."""
    return [
        TokenEntry(name=f"dev-{role.value}", role=role, sha256=token_sha256(token))
        for role, token in DEV_TOKENS.items()
    ]


MODEL_URI = r"^models:/[A-Za-z0-9_.-]+@[A-Za-z0-9_-]+$"
"""A registered model's alias (``models:/<name>@<alias>``), the form serving loads."""


class ServingSettings(BaseSettings):
    """Settings of the serving API (environment variables ``TALENT_<FIELD>``).

    ``TALENT_API_TOKENS`` is a JSON list of ``{"name", "role", "sha256"}`` objects; make a token
    and its entry with ``talent token --role ROLE --name NAME``. The store URL and erasure salt
    come from the footprint's own settings (``TALENT_DATABASE_URL``, ``TALENT_DATA_DIR``,
    ``TALENT_ERASURE_SALT``).
    """

    model_config = SettingsConfigDict(env_prefix="TALENT_", extra="ignore")

    mode: Mode = Mode.DEVELOPMENT
    database_url: str | None = None
    data_dir: Path = Path("data")
    erasure_salt: str = DEV_ERASURE_SALT
    api_tokens: list[TokenEntry] = Field(default_factory=list)
    session_secret: str = DEV_SESSION_SECRET
    session_hours: Annotated[int, Field(ge=1, le=24 * 14)] = 12
    # request bodies above this are refused with 413 before they are read whole
    max_request_bytes: Annotated[int, Field(ge=1024, le=256 * 1024 * 1024)] = 8 * 1024 * 1024
    # rating: the rules file (default: the shipped rules of the season) and the instant the live
    # store is read as of (default: the moment of each rebuild)
    rating_rules: Path | None = None
    live_as_of: dt.datetime | None = None
    # how often (seconds) a worker applies the store's change log (footprint.changes) to its
    # in-memory state, on requests and on a timer; a push is visible in every worker's answers
    # within this (0: on every request, no timer)
    live_check_seconds: Annotated[float, Field(ge=0)] = 0.1
    # how often (seconds) a worker follows the model reloads other workers took (0: never)
    admin_check_seconds: Annotated[float, Field(ge=0)] = 1.0
    # how often (seconds) the footprint's erasure log is checked for erasures made outside the
    # API, whose participants' rows in the service's own tables are then deleted
    erasure_check_seconds: Annotated[float, Field(gt=0, le=3600)] = 5.0
    # the competence bundle to serve (optional): a .joblib file, or the folder `talent train
    # competence` writes (its latest.txt names the bundle); the file's SHA-256 is checked against
    # this setting or a `<bundle>.sha256` file beside it when either exists
    competence_bundle: Path | None = None
    competence_bundle_sha256: Annotated[str | None, Field(pattern=r"^[0-9a-f]{64}$")] = None
    # the recommender to serve (optional): a file from `talent train recommend`, or a folder whose
    # latest.txt names one; checksum as for the competence bundle
    recommend_bundle: Path | None = None
    recommend_bundle_sha256: Annotated[str | None, Field(pattern=r"^[0-9a-f]{64}$")] = None
    # or either model from an MLflow model registry instead of the folder: an alias URI such as
    # `models:/talent-recommend@champion` (downloaded under <data_dir>/models/registry; the
    # registry's store is MLFLOW_TRACKING_URI, else training's sqlite:///<data_dir>/mlruns/mlflow.db)
    competence_model_uri: Annotated[str | None, Field(pattern=MODEL_URI)] = None
    recommend_model_uri: Annotated[str | None, Field(pattern=MODEL_URI)] = None
    # look for a newly promoted bundle every N seconds and switch to it (0: only on admin calls)
    model_watch_seconds: Annotated[float, Field(ge=0)] = 0.0
    # threads per worker that run the plain ``def`` handlers which mostly wait on the store
    # (pushes, moderation, pages, admin); anyio's default is 40
    handler_threads: Annotated[int, Field(ge=1, le=64)] = 4
    # threads per worker that run the CPU-bound routes (competence, recommendations,
    # trajectories, rating): their work holds the GIL, so a second thread only takes turns with
    # the first and with the event loop (bench/load.py, 250k world, 2 workers, 16 connections:
    # 330 recommendations/s with 1 thread against 239/s with 2; docs/benchmarks.md)
    model_threads: Annotated[int, Field(ge=1, le=16)] = 1
    # after start-up and a snapshot rebuild: collect, then freeze the long-lived objects so
    # the collector's full passes skip them (serving/memory.py); off in the tests,
    # whose process holds far more objects than a worker and would pay for it at every start
    gc_freeze: bool = True
    log_json: bool = False
    cookie_secure: bool | None = None
    # the key bundles are signed with when published (``TALENT_BUNDLE_KEY``, the same variable
    # the training CLI signs with); a bundle without its signature is refused before it is read
    bundle_key: str = DEV_BUNDLE_KEY
    # development tokens are served only on a loopback address unless this says otherwise
    # (``talent serve --allow-dev-tokens-on-network``; a warning is logged at every start)
    allow_dev_tokens_on_network: bool = False
    # signed portfolios: the active Ed25519 key (base64 of its 32-byte seed) and the public keys
    # of earlier ones (base64 of the raw 32 bytes), which keep verifying the documents they signed
    portfolio_signing_key: str = DEV_PORTFOLIO_KEY
    portfolio_retired_public_keys: list[str] = Field(default_factory=list)
    # the public verify endpoint: requests per minute per client address (per worker), and the
    # least time an answer takes, so an unknown code answers as fast as a known one
    portfolio_verify_per_minute: Annotated[int, Field(ge=1, le=100_000)] = 30
    portfolio_verify_floor_ms: Annotated[float, Field(ge=0, le=2000)] = 60.0
    # talent search: rebuild a stale index in a thread while the old one answers (withdrawals
    # still apply at once); false makes the request that finds it stale wait for the rebuild
    talent_index_background: bool = True
    # the batch refresh of everyone's competence estimates on Apache Spark: when set (a master
    # such as local[2] or spark://host:7077), a refresh of everyone runs `talent spark estimate`
    # in a child process on the live snapshot and loads its Parquet in one transaction; unset,
    # the service estimates in its own process (docs/scaling.md). Needs the `spark` extra.
    refresh_spark_master: str | None = None

    @field_validator("portfolio_signing_key")
    @classmethod
    def _signing_key(cls, value: str) -> str:
        private_key_from_b64(value)  # ValueError says what a key looks like
        return value

    @field_validator("portfolio_retired_public_keys")
    @classmethod
    def _retired_keys(cls, value: list[str]) -> list[str]:
        for key in value:
            public_key_from_b64(key)
        return value

    @model_validator(mode="after")
    def _no_default_secrets(self) -> Self:
        if self.mode is Mode.DEVELOPMENT:
            return self
        problems = []
        if not self.api_tokens:
            problems.append("TALENT_API_TOKENS is empty")
        dev = {token_sha256(t) for t in DEV_TOKENS.values()}
        if any(t.sha256 in dev for t in self.api_tokens):
            problems.append("TALENT_API_TOKENS holds a development token")
        for name, value, default in (
            ("TALENT_SESSION_SECRET", self.session_secret, DEV_SESSION_SECRET),
            ("TALENT_ERASURE_SALT", self.erasure_salt, DEV_ERASURE_SALT),
            ("TALENT_BUNDLE_KEY", self.bundle_key, DEV_BUNDLE_KEY),
        ):
            problem = secret_problem(name, value, default)
            if problem is not None:
                problems.append(problem)
        if self.portfolio_signing_key == DEV_PORTFOLIO_KEY:
            problems.append("TALENT_PORTFOLIO_SIGNING_KEY is the development key")
        if problems:
            raise ValueError(
                f"refusing to start in {self.mode.value} mode: "
                + "; ".join(problems)
                + " (set them, or TALENT_MODE=development for a local service)"
            )
        return self

    def resolved_database_url(self) -> str:
        """The store URL, resolved exactly as the footprint package resolves it."""
        return FootprintSettings(
            database_url=self.database_url, data_dir=self.data_dir, erasure_salt=self.erasure_salt
        ).resolved_database_url()

    def loopback_only_tokens(self) -> set[str]:
        """Hashes of the tokens accepted only from a loopback peer: the development tokens,
        unless ``TALENT_ALLOW_DEV_TOKENS_ON_NETWORK`` says otherwise."""
        if self.allow_dev_tokens_on_network:
            return set()
        return {token_sha256(t) for t in DEV_TOKENS.values()}

    def serves_dev_tokens(self) -> bool:
        """Whether a development token would be accepted at all."""
        dev = {token_sha256(t) for t in DEV_TOKENS.values()}
        return any(t.sha256 in dev for t in self.tokens())

    def dev_tokens_on_network(self) -> bool:
        """Development tokens accepted from any peer: worth a warning at every start."""
        return self.allow_dev_tokens_on_network and self.serves_dev_tokens()

    def tokens(self) -> list[TokenEntry]:
        """Configured tokens; in development mode without any, the development tokens."""
        if not self.api_tokens and self.mode is Mode.DEVELOPMENT:
            return development_tokens()
        return list(self.api_tokens)

    @property
    def secure_cookies(self) -> bool:
        """Session cookies carry ``Secure`` outside development unless set explicitly."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.mode is not Mode.DEVELOPMENT
