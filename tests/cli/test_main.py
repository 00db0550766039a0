"""The ``talent`` entry point itself."""

from __future__ import annotations

from importlib.metadata import version

from typer.testing import CliRunner

from cli.main import app


def test_version_prints_the_package_version() -> None:
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0, res.output
    assert res.output.strip() == f"talent {version('talent-trajectories')}"


def test_commands_still_run_after_the_callback() -> None:
    res = CliRunner().invoke(app, ["rate", "--help"])
    assert res.exit_code == 0 and "--season" in res.output
