"""``--snapshot`` takes what ``talent snapshot`` prints: a snapshot id (or a unique prefix of at
least 8 characters, the folder name is the first 16) or a snapshot folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer

from core.settings import FootprintSettings

MANIFEST = "manifest.json"
MIN_PREFIX = 8
_HEX = re.compile(r"[0-9a-f]+")


def _manifest_id(folder: Path) -> str | None:
    try:
        return str(json.loads((folder / MANIFEST).read_text("utf-8"))["snapshot_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def snapshot_path(value: str | Path) -> Path:
    """The folder of the snapshot ``value`` names: an existing folder, or an id (or prefix) of a
    snapshot under ``$TALENT_DATA_DIR/snapshots``. Raises :class:`typer.BadParameter` otherwise."""
    if isinstance(value, Path):
        return value
    text = value.strip()
    path = Path(text).expanduser()
    if path.is_dir():
        return path
    root = FootprintSettings().snapshot_dir
    if "/" in text or path.exists():
        raise typer.BadParameter(f"not a snapshot folder: {text}")
    if not _HEX.fullmatch(text) or len(text) < MIN_PREFIX:
        raise typer.BadParameter(
            f"{text!r} is neither a snapshot folder nor a snapshot id (hex, at least "
            f"{MIN_PREFIX} characters; `talent snapshot` prints it)"
        )
    found = []
    if root.is_dir():
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            if not (folder.name.startswith(text) or text.startswith(folder.name)):
                continue
            full = _manifest_id(folder)
            if full is not None and full.startswith(text):
                found.append(folder)
    if not found:
        raise typer.BadParameter(f"no snapshot with id {text} under {root}")
    if len(found) > 1:
        raise typer.BadParameter(
            f"snapshot id {text} is ambiguous under {root}: " + ", ".join(p.name for p in found)
        )
    return found[0]
