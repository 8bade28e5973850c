"""The FastAPI application."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine, text

from envmon import __version__
from envmon.accountability import views as accountability_views
from envmon.api.deps import SessionDep, get_current_user
from envmon.api.errors import install_error_handlers
from envmon.config import Settings
from envmon.evaluation import views as evaluation_views
from envmon.ingest import views as ingest_views
from envmon.ledger import views as ledger_views
from envmon.ledger.flows import publish_line, sign_tree_head
from envmon.ledger.keystore import load_or_create_key
from envmon.quality import views as quality_views
from envmon.registry import views as registry_views
from envmon.storage.db import create_engine_for, make_session_factory, session_scope
from envmon.users import views as users_views

__all__ = ["create_app"]

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"

HOME = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>envmon 生态环境监测监管平台</title>
<style>body{{font-family:system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem}}
a{{color:#0b5cad}}</style></head><body>
<h1>envmon 生态环境监测监管平台</h1>
<p>生态环境监测数据真、准、全：原始数据直传、质量控制、弄虚作假识别、评价与预警、全程留痕。<br>
Ecological-environment monitoring and supervision platform, version {version}.</p>
<ul>
<li><a href="/docs">接口文档 API documentation (OpenAPI)</a></li>
<li><a href="/api/v1/parameters">监测因子目录 HJ 212 parameter catalogue</a> (公开 public)</li>
<li><a href="/health">运行状态 Health</a></li>
</ul></body></html>"""


def _publish_once(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    key = load_or_create_key(settings.resolved_ledger_key_path)
    with session_scope(app.state.session_factory) as session:
        head = sign_tree_head(session=session, key=key, now=datetime.now(UTC))
        if head is not None:
            publish_line(settings.resolved_ledger_witness_path, head)


async def _publish_tree_heads(app: FastAPI, interval_s: float) -> None:
    """Signs and publishes a tree head whenever the ledger grew, every ``interval_s``."""
    while True:
        try:
            await asyncio.to_thread(_publish_once, app)
        except Exception:  # an edge loop: log and keep witnessing
            log.exception("could not sign a tree head")
        await asyncio.sleep(interval_s)


def create_app(
    settings: Settings,
    engine: Engine | None = None,
    *,
    publish_tree_heads: bool = False,
) -> FastAPI:
    """Returns the API app bound to ``engine`` (or one made from ``settings``).

    With ``publish_tree_heads`` the app signs and publishes a tree head every
    ``ENVMON_LEDGER_SIGN_INTERVAL_S`` seconds while it runs (``envmon serve``).
    """
    engine = engine or create_engine_for(settings.resolved_database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = None
        if publish_tree_heads:
            task = asyncio.create_task(
                _publish_tree_heads(app, settings.ledger_sign_interval_s)
            )
        yield
        if task is not None:
            task.cancel()

    app = FastAPI(
        lifespan=lifespan,
        title="envmon 生态环境监测监管平台",
        version=__version__,
        description="Registry, users and data of the ecological-environment monitoring "
        "platform. Log in at POST /api/v1/auth/token and send the token as "
        "'Authorization: Bearer <token>'.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    install_error_handlers(app)

    @app.get("/health", tags=["public 公开"])
    def health(session: SessionDep) -> dict[str, Any]:
        """Liveness and database reachability (public)."""
        session.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__, "database": engine.dialect.name}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> str:
        return HOME.format(version=__version__)

    authenticated = [Depends(get_current_user)]
    for module in (users_views, registry_views, ledger_views, evaluation_views):
        app.include_router(module.public_router, prefix=API_PREFIX)
    for module in (
        users_views,
        registry_views,
        ingest_views,
        ledger_views,
        accountability_views,
        evaluation_views,
        quality_views,
    ):
        app.include_router(module.router, prefix=API_PREFIX, dependencies=authenticated)
    return app
