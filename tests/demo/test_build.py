"""The demo city loads the packaged real data exactly."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from envmon.cli.main import app
from envmon.demo.build import build_demo, read_air_rows
from envmon.measurements.models import Measurement
from envmon.quality.models import QcResult
from envmon.registry.models import Enterprise, Outlet, Station
from envmon.storage.db import create_engine_for, make_session_factory

EXTRACT = resources.files("envmon.demo").joinpath("data/beijing_air_2016.csv.gz")


def test_the_extract_is_the_full_year_of_12_stations() -> None:
    rows = list(
        csv.DictReader(io.StringIO(gzip.decompress(EXTRACT.read_bytes()).decode()))
    )
    assert len(rows) == 12 * 365 * 24
    assert rows[0] == {
        "station_code": "1001A",
        "time": "2016-03-01T00:00",
        "pm25": "70",
        "pm10": "71",
        "so2": "24",
        "no2": "76",
        "co": "1500",
        "o3": "4",
    }


def test_hour_ending_labels_become_interval_starts_and_co_becomes_mg() -> None:
    first = list(read_air_rows(EXTRACT.read_bytes(), days=1))[:6]
    # Labelled 2016-03-01 00:00 Beijing (hour-ending): covers 2016-02-29 23:00–24:00
    # Beijing = 15:00–16:00 UTC.
    assert {r["measured_at"] for r in first} == {datetime(2016, 2, 29, 15, tzinfo=UTC)}
    assert {r["parameter_code"]: r["value"] for r in first} == {
        "a34004": 70.0,
        "a34002": 71.0,
        "a21026": 24.0,
        "a21004": 76.0,
        "a21005": 1.5,
        "a05024": 4.0,
    }


def test_build_demo_loads_registry_users_and_data(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    steps: list[str] = []
    summary = build_demo(engine, air_days=2, progress=lambda s, d, t: steps.append(s))
    assert (summary.stations, summary.enterprises) == (12, 31)
    assert summary.outlets >= 50 and summary.devices >= 100
    assert {u[0] for u in summary.users} == {
        "admin",
        "centre",
        "chaoyang",
        "enterprise",
    }
    assert "registry" in steps and "air data" in steps and "quality control" in steps
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Measurement)) == (
            summary.measurements
        )
        # Every value has its QC verdict.
        assert session.scalar(select(func.count()).select_from(QcResult)) == (
            summary.measurements
        )
        assert summary.measurements > 12 * 48 * 5
        dongsi = session.scalars(select(Station).where(Station.code == "1003A")).one()
        assert (dongsi.name, dongsi.region.code) == ("东四", "110101")
        assert dongsi.mn is not None and len(dongsi.mn) == 24
        assert session.scalar(select(func.count()).select_from(Enterprise)) == 31
        ph = [
            limit
            for outlet in session.scalars(select(Outlet))
            for limit in outlet.limits
            if limit.parameter_code == "w01001"
        ]
        assert ph and all((p.lower_value, p.value) == (6, 9) for p in ph)


@pytest.mark.slow
def test_demo_command_refuses_a_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = CliRunner().invoke(
        app, ["demo", "--data-dir", str(tmp_path), "--no-serve"]
    )
    assert result.exit_code == 1 and "was not made by 'envmon demo'" in result.stderr
    assert (tmp_path / "precious.txt").exists()
    target = tmp_path / "demo"
    for _ in range(2):  # the second run rebuilds its own directory
        result = CliRunner().invoke(
            app, ["demo", "--data-dir", str(target), "--no-serve", "--days", "1"]
        )
        assert result.exit_code == 0, result.output
    assert "admin / envmon-demo" in result.output
    assert "2016-03-01 00:00" in result.output
