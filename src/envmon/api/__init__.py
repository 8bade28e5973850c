"""The HTTP API (FastAPI): ``create_app`` mounts each domain's router under ``/api/v1``.

Every route needs a bearer token except ``/health``, the login route and routes marked
public. Domain errors map to status codes in :mod:`envmon.api.errors`.
"""

from envmon.api.app import create_app

__all__ = ["create_app"]
