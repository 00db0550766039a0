"""CLI-wide conventions: the lazy command table matches the modules, --version, --quiet/--verbose
and TALENT_LOG_LEVEL, and ``talent --help`` imports none of the heavy libraries."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from cli.main import COMMANDS, app, full_app


def test_the_table_lists_every_command_of_the_modules_with_its_help() -> None:
    group = typer.main.get_group(full_app())
    assert set(group.commands) == set(COMMANDS)
    for name, (_, short) in COMMANDS.items():
        real = group.commands[name]
        text = " ".join((real.help or real.short_help or "").split())
        assert text.startswith(short.rstrip(".")[:40]), name


def test_version_and_help() -> None:
    runner = CliRunner()
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output.startswith("talent ")
    listing = runner.invoke(app, ["--help"])
    assert listing.exit_code == 0
    assert all(name in listing.output for name in COMMANDS)


def test_an_unknown_command_and_a_bad_level_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["nosuch"]).exit_code == 2
    monkeypatch.setenv("TALENT_LOG_LEVEL", "LOUD")
    bad = runner.invoke(app, ["quarantine"])
    assert bad.exit_code == 2 and "TALENT_LOG_LEVEL" in bad.output


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys; from cli.main import app; sys.argv = ['talent', *sys.argv[1:]]; "
        "app(prog_name='talent')"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=os.environ | env,
        timeout=300,
        check=False,
    )


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\nfrom cli.main import app\ntry:\n    app(['--help'], prog_name='talent')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pandas', 'sqlalchemy', 'lightgbm', 'mlflow', 'fastapi',"
        " 'numpy', 'markdown_it') if m in sys.modules), file=sys.stderr)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.stderr.strip().splitlines()[-1] == "[]", run.stderr


def test_quiet_hides_info_logs_and_verbose_or_the_variable_shows_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = str(tmp_path / "w")
    args = ("simulate", "--participants", "200", "--seasons", "1", "--out", world)
    loud = _run(*args)
    assert loud.returncode == 0, loud.stderr
    assert "simulated" in loud.stderr
    quiet = _run("--quiet", *args)
    assert quiet.returncode == 0 and "simulated" not in quiet.stderr
    by_env = _run(*args, TALENT_LOG_LEVEL="warning")
    assert by_env.returncode == 0 and "simulated" not in by_env.stderr


def test_version_prints_the_package_version() -> None:
    from importlib.metadata import version

    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0, res.output
    assert res.output.strip() == f"talent {version('talent-trajectories')}"


def test_commands_still_run_after_the_callback() -> None:
    res = CliRunner().invoke(app, ["rate", "--help"])
    assert res.exit_code == 0 and "--season" in res.output
