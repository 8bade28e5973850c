"""The ``envmon`` command (Typer). Exit codes: 0 ok, 1 domain error, 2 usage error."""
