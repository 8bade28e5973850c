"""``python -m envmon`` runs the ``envmon`` command."""

from envmon.cli.main import app

app()
