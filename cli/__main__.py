"""``python -m cli``: the ``talent`` command where its script is not on PATH (the service starts
``talent spark estimate`` this way, with its own interpreter)."""

from cli.main import app

app(prog_name="talent")
