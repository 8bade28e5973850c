"""The work after ingest in ``envmon serve``: QC at once, then the recomputation."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import func, select

from envmon.bootstrap import migrate
from envmon.cli.serve import process_ingested
from envmon.evaluation.models import Aggregate
from envmon.ingest.bus import IngestedEvent, InProcessBus
from envmon.quality.models import QcResult
from envmon.registry.apply import apply_document
from envmon.registry.documents import parse_yaml
from envmon.registry.models import Station
from envmon.storage.db import create_engine_for, make_session_factory, session_scope
from tests.conftest import NOW
from tests.evaluation.conftest import PM25, add_hours, bj, registry_document


def test_committed_batches_are_qcd_then_evaluated(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'pipeline.sqlite3'}")
    migrate(engine)
    factory = make_session_factory(engine)
    text = yaml.safe_dump(registry_document(), allow_unicode=True, sort_keys=False)
    with session_scope(factory) as session:
        apply_document(
            session=session,
            document=parse_yaml(text, "pipeline.yaml"),
            actor="tester",
            source="pipeline.yaml",
            now=NOW,
        )
    with session_scope(factory) as session:
        station = session.scalars(
            select(Station.id).where(Station.code == "EV01A")
        ).one()
        values = [30.0 + (h % 7) * 3 for h in range(24)]
        values[6] = 2000.0  # beyond the PM2.5 monitor's range: FAIL
        add_hours(session, station, PM25, date(2016, 3, 1), values)

    async def run() -> None:
        bus = InProcessBus()
        task = asyncio.create_task(
            process_ingested(bus.subscribe(), factory, settle_s=0.2)
        )
        await bus.publish(
            IngestedEvent(
                batch_id=1,
                frames=24,
                points=frozenset({station}),
                kinds=frozenset({"hour"}),
                first_at=bj(2016, 3, 1),
                last_at=bj(2016, 3, 1, 23),
            )
        )
        for _ in range(200):
            await asyncio.sleep(0.05)
            with session_scope(factory) as session:
                if session.scalar(select(func.count()).select_from(Aggregate)):
                    break
        task.cancel()

    asyncio.run(run())
    with session_scope(factory) as session:
        flags = dict(
            session.execute(
                select(QcResult.measured_at, QcResult.flag).where(
                    QcResult.point_id == station
                )
            ).all()
        )
        assert len(flags) == 24 and flags[bj(2016, 3, 1, 6)] == 4
        hour = session.scalars(
            select(Aggregate).where(
                Aggregate.point_id == station,
                Aggregate.period == "hour",
                Aggregate.period_start == bj(2016, 3, 1, 6),
            )
        ).one_or_none()
        assert hour is None  # the failed value did not count
        day = session.scalars(
            select(Aggregate).where(
                Aggregate.point_id == station, Aggregate.period == "day"
            )
        ).first()
        assert day is not None and day.count < 24
    engine.dispose()
