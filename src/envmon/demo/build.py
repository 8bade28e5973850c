"""Build the demo city into a database: registry, users and a year of real air data."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Final

import yaml
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from envmon.bootstrap import migrate
from envmon.evaluation import flows
from envmon.ingest import service as ingest
from envmon.ledger.flows import publish_line, sign_tree_head
from envmon.ledger.signing import KeyPair
from envmon.measurements import service as measurements
from envmon.measurements.models import DataKind
from envmon.quality.live import LiveQC
from envmon.registry.flows import import_file
from envmon.registry.models import Station
from envmon.storage.db import make_session_factory, session_scope
from envmon.timeutil import BEIJING
from envmon.users import service as users
from envmon.users.models import Role
from envmon.users.schemas import UserCreate

__all__ = ["AIR_COLUMNS", "DEMO_USERS", "DemoSummary", "build_demo", "read_air_rows"]

DATA = resources.files("envmon.demo")

AIR_COLUMNS: Final = {
    "pm25": "a34004",
    "pm10": "a34002",
    "so2": "a21026",
    "no2": "a21004",
    "co": "a21005",
    "o3": "a05024",
}
"""Extract column → HJ 212 parameter code."""

STATION_OPERATOR: Final = "91110108MA0QJWYLXN"
"""The demo O&M agency operating the air stations (see city.yaml)."""

DEMO_USERS: Final = (
    # username, password, role, region, enterprise, display name
    ("admin", "envmon-demo", Role.ADMIN, "110000", None, "平台管理员"),
    ("centre", "envmon-demo", Role.MONITORING_CENTRE, "110000", None, "市监测中心"),
    ("chaoyang", "envmon-demo", Role.TOWNSHIP, "110105", None, "朝阳区网格员"),
)

Progress = Callable[[str, int, int], None]
"""Progress callback: (step, done, total)."""


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What the demo build put in the database."""

    stations: int
    enterprises: int
    outlets: int
    devices: int
    measurements: int
    first_hour: datetime | None
    last_hour: datetime | None
    users: tuple[tuple[str, str, str], ...]
    aqi_values: int = 0
    qc_suspect: int = 0
    qc_failed: int = 0


def _station_records() -> list[dict[str, Any]]:
    text = DATA.joinpath("data/stations.csv").read_text("utf-8")
    records = []
    for row in csv.DictReader(io.StringIO(text)):
        records.append(
            {
                "code": row["station_code"],
                # 24-character MN in the HJ 212-2017 style: region + station code + serial.
                "mn": f"110000{row['station_code']}{'0' * 10}{row['station_code'][:3]}",
                "password": "123456",
                "name": row["name_zh"],
                "element": "air",
                "control_level": "national",
                "region": row["district_adcode"],
                "lon": float(row["lon"]),
                "lat": float(row["lat"]),
                "operator": STATION_OPERATOR,
                "status": "active",
                "parameters": list(AIR_COLUMNS.values()),
                # The background (对照点) station is not a city assessment station.
                "city_assessment": row["is_background"] != "Y",
            }
        )
    return records


def registry_document() -> bytes:
    """Returns the demo registry as one YAML document: city.yaml plus the 12 stations."""
    city = yaml.safe_load(DATA.joinpath("city.yaml").read_text("utf-8"))
    city["stations"] = _station_records()
    return yaml.safe_dump(city, allow_unicode=True, sort_keys=False).encode("utf-8")


def read_air_rows(content: bytes, days: int | None = None) -> Iterator[dict[str, Any]]:
    """Yields (station, hour start UTC, parameter, value) from the packaged extract.

    The extract labels each hour by its end in Beijing time (hour-ending), so the value
    labelled 01:00 covers 00:00–01:00 and is stored with ``measured_at`` = 00:00 Beijing.
    CO is given in µg/m³ there and stored in mg/m³, the unit HJ 633 and the catalogue use.
    """
    reader = csv.DictReader(io.StringIO(gzip.decompress(content).decode("utf-8")))
    first: datetime | None = None
    for row in reader:
        label = datetime.fromisoformat(row["time"]).replace(tzinfo=BEIJING)
        start = (label - timedelta(hours=1)).astimezone(UTC)
        first = first or start
        if days is not None and start >= first + timedelta(days=days):
            continue
        for column, code in AIR_COLUMNS.items():
            text = row[column]
            if not text:
                continue  # missing in the source: no value was received
            value = float(text)
            yield {
                "station": row["station_code"],
                "parameter_code": code,
                "measured_at": start,
                "value": value / 1000.0 if column == "co" else value,
            }


def build_demo(
    engine: Engine,
    *,
    progress: Progress | None = None,
    air_days: int | None = None,
    now: datetime | None = None,
    ledger_key: KeyPair | None = None,
    witness_path: Path | None = None,
) -> DemoSummary:
    """Migrates ``engine``'s database and loads the demo city into it.

    With ``ledger_key`` the build ends by signing a tree head over everything it recorded
    (and appending it to ``witness_path``), so the public tree head is there from the start.
    """
    report = progress or (lambda _step, _done, _total: None)
    now = now or datetime.now(UTC)
    migrate(engine)
    factory = make_session_factory(engine)
    report("registry", 0, 1)
    outcome = import_file(
        session_factory=factory,
        name="demo-city.yaml",
        content=registry_document(),
        actor="demo",
        source="envmon demo",
        now=now,
    )
    report("registry", 1, 1)
    created_users = _add_users(factory, now)
    loaded, first, last = _load_air(factory, now, report, air_days)
    report("quality control", 0, 1)
    with session_scope(factory) as session:
        checked = LiveQC(actor="demo").process(
            session=session, now=now, since=first or now
        )
    report("quality control", 1, 1)
    report("evaluation", 0, 1)
    with session_scope(factory) as session:
        evaluated = flows.process_changes(session=session, now=now)
    report("evaluation", 1, 1)
    if ledger_key is not None:
        with session_scope(factory) as session:
            head = sign_tree_head(session=session, key=ledger_key, now=now)
            if head is not None and witness_path is not None:
                publish_line(witness_path, head)
    counts = outcome.report.as_dict()
    return DemoSummary(
        stations=counts.get("stations", {}).get("created", 0),
        enterprises=counts.get("enterprises", {}).get("created", 0),
        outlets=counts.get("outlets", {}).get("created", 0),
        devices=counts.get("devices", {}).get("created", 0),
        measurements=loaded,
        first_hour=first,
        last_hour=last,
        users=created_users,
        aqi_values=evaluated.aqi_values,
        qc_suspect=checked.suspect,
        qc_failed=checked.failed,
    )


def _add_users(
    factory: sessionmaker[Session], now: datetime
) -> tuple[tuple[str, str, str], ...]:
    created = []
    with session_scope(factory) as session:
        enterprise_user = _enterprise_user(session)
        for username, password, role, region, enterprise, name in (
            *DEMO_USERS,
            enterprise_user,
        ):
            users.create(
                session=session,
                user_in=UserCreate(
                    username=username,
                    display_name=name,
                    password=password,
                    role=role,
                    region=region,
                    enterprise=enterprise,
                ),
                now=now,
                actor="demo",
            )
            created.append((username, password, role.value))
    return tuple(created)


def _enterprise_user(session: Session) -> tuple[str, str, Role, None, str, str]:
    from envmon.registry.models import Enterprise

    enterprise = session.scalars(
        select(Enterprise).order_by(Enterprise.credit_code)
    ).first()
    assert enterprise is not None, "the demo registry has enterprises"
    return (
        "enterprise",
        "envmon-demo",
        Role.ENTERPRISE,
        None,
        enterprise.credit_code,
        f"{enterprise.name} 环保负责人",
    )


def _load_air(
    factory: sessionmaker[Session],
    now: datetime,
    report: Progress,
    days: int | None,
) -> tuple[int, datetime | None, datetime | None]:
    content = DATA.joinpath("data/beijing_air_2016.csv.gz").read_bytes()
    with session_scope(factory) as session:
        raw = ingest.keep_raw_file(
            session=session,
            name="beijing_air_2016.csv.gz",
            content=content,
            media_type="application/gzip",
            source="UCI Beijing Multi-Site Air-Quality Data (CC BY 4.0), demo extract",
            actor="demo",
            now=now,
        )
        raw_id = raw.id
        point_ids = {s.code: s.id for s in session.scalars(select(Station))}
    rows = list(read_air_rows(content, days))
    total, loaded, chunk = len(rows), 0, 20_000
    report("air data", 0, total)
    for offset in range(0, total, chunk):
        with session_scope(factory) as session:
            loaded += measurements.add_many(
                session=session,
                rows=(
                    {
                        "point_id": point_ids[row["station"]],
                        "parameter_code": row["parameter_code"],
                        "kind": DataKind.HOUR,
                        "measured_at": row["measured_at"],
                        "value": row["value"],
                        "device_flag": "N",
                        "raw_file_id": raw_id,
                    }
                    for row in rows[offset : offset + chunk]
                ),
            )
        report("air data", loaded, total)
    first = min((r["measured_at"] for r in rows), default=None)
    last = max((r["measured_at"] for r in rows), default=None)
    return loaded, first, last
