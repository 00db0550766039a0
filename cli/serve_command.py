"""``talent serve`` runs the API and the moderators' pages; ``talent token`` makes an API token.

The service reads its settings from ``TALENT_*`` environment variables (docs/serving.md); they are
checked here before uvicorn starts, so a refused configuration (e.g. development secrets in
production mode) ends with one clear line and exit code 2 instead of a traceback per worker.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import secrets
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from uvicorn.config import STARTUP_FAILURE

from cli.output import JsonOpt, emit_json, fail
from core.errors import TalentError
from serving.auth import Role
from serving.core.config import ServingSettings, TokenEntry, token_sha256
from serving.workers import PortInUseError, WorkerPool


def register(app: typer.Typer) -> None:
    """Attach ``serve`` and ``token`` to the ``talent`` app."""
    app.command("serve")(serve_command)
    app.command("token")(token_command)
    app.command("signing-key")(signing_key_command)


def serve_command(
    host: Annotated[
        str, typer.Option(help="Address to listen on (loopback by default; a proxy goes in front).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(help="Worker processes (one BLAS thread each).", min=1, max=32)
    ] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn's own log level.")] = "warning",
    allow_dev_tokens_on_network: Annotated[
        bool,
        typer.Option(
            "--allow-dev-tokens-on-network",
            help="Accept the development tokens (printed in this repository) from other machines "
            "when --host is not a loopback address. Anyone who can reach the port is then "
            "admin; for a throwaway demo on a trusted network only.",
        ),
    ] = False,
) -> None:
    """Serve the API (/v1, docs at /docs) and the moderators' pages (/moderation/)."""
    if allow_dev_tokens_on_network:
        os.environ["TALENT_ALLOW_DEV_TOKENS_ON_NETWORK"] = "true"  # the workers read it too
    try:
        settings = ServingSettings()
    except ValidationError as exc:
        typer.echo(f"error: invalid settings: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    if not _loopback(host) and settings.serves_dev_tokens():
        if not settings.allow_dev_tokens_on_network:
            typer.echo(
                f"error: refusing to serve the development tokens on {host}, which other "
                "machines can reach: anyone could use dev-admin-token. Configure "
                "TALENT_API_TOKENS (`talent token`), bind 127.0.0.1, or pass "
                "--allow-dev-tokens-on-network for a throwaway demo.",
                err=True,
            )
            raise typer.Exit(code=2)
        typer.echo(
            "WARNING: the development tokens are accepted from any machine that reaches "
            f"{host}:{port} (--allow-dev-tokens-on-network): anyone can act as admin.",
            err=True,
        )
    # one BLAS thread per worker: several workers on two cores must not oversubscribe them
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    typer.echo(
        f"serving on http://{host}:{port} ({settings.mode.value}); "
        f"API docs http://{host}:{port}/docs, moderation http://{host}:{port}/moderation/"
    )
    config = uvicorn.Config(
        "serving.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,  # the service writes its own access log, without ids or tokens
        proxy_headers=False,
    )
    if workers > 1:
        # a listening socket per worker (SO_REUSEPORT), so the kernel spreads the connections
        # over the workers (serving/workers.py)
        try:
            code = WorkerPool(config, workers).run()
        except PortInUseError as exc:
            typer.echo(f"error: {exc.strerror}", err=True)
            raise typer.Exit(code=STARTUP_FAILURE) from exc
        if code:
            raise typer.Exit(code=code)
        return
    server = uvicorn.Server(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        raise typer.Exit(code=STARTUP_FAILURE)  # uvicorn's exit code for a failed start-up


def _loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name) only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name that resolves elsewhere, or all interfaces


def token_command(
    role: Annotated[Role, typer.Option(help="Role the token grants.")],
    name: Annotated[str, typer.Option(help="Who holds it (appears in logs and the audit trail).")],
    json_out: JsonOpt = False,
) -> None:
    """Make a random API token: print it once, with the entry for TALENT_API_TOKENS.

    Only the entry (with the token's SHA-256) goes into the configuration; hand the token itself
    to its holder and do not store it.
    """
    token = secrets.token_urlsafe(32)
    try:
        entry = TokenEntry(name=name, role=role, sha256=token_sha256(token))
    except ValidationError as exc:
        raise fail(TalentError(f"{exc.errors()[0]['msg']} (name)"), as_json=json_out) from exc
    if json_out:
        emit_json({"token": token, "entry": entry.model_dump(mode="json")})
        return
    typer.echo(f"token (give it to {name}, it is not stored): {token}")
    typer.echo("entry for TALENT_API_TOKENS (a JSON list of such entries):")
    typer.echo(json.dumps(entry.model_dump(mode="json")))


def signing_key_command(json_out: JsonOpt = False) -> None:
    """Make a new Ed25519 key for signed portfolios: print the TALENT_PORTFOLIO_SIGNING_KEY value
    and its public key.

    To rotate, set the new key and append the old public key to
    TALENT_PORTFOLIO_RETIRED_PUBLIC_KEYS (a JSON list): documents signed before stay verifiable.
    """
    from serving.services.signing import Signer, new_private_key_b64

    private = new_private_key_b64()
    signer = Signer(private, [])
    public = signer.public_keys[signer.key_id].as_dict()
    if json_out:
        emit_json(
            {
                "TALENT_PORTFOLIO_SIGNING_KEY": private,
                "key_id": signer.key_id,
                "public_key": public["public_key"],
            }
        )
        return
    typer.echo(f"TALENT_PORTFOLIO_SIGNING_KEY={private}")
    typer.echo(
        f"key id {signer.key_id}; public key (base64, for the retired list after a "
        f"rotation): {public['public_key']}"
    )
