"""``envmon aqi``, ``water-class``, ``noise`` and ``evaluate``, run in-process."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from envmon.bootstrap import open_database
from envmon.cli.main import app
from envmon.config import get_settings
from envmon.measurements import service as measurements
from envmon.measurements.models import DataKind
from envmon.registry.models import Station
from envmon.storage.db import session_scope

runner = CliRunner()

# The daily HJ 633-2012 worked example of tests/indices/test_aqi.py (evaluate doctest).
WORKED_EXAMPLE = {"pm25_24h": 140, "pm10_24h": 180, "no2_24h": 68}


def lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines()]


def run_lines(args: list[str], *records: object) -> list[dict[str, Any]]:
    text = "".join(
        (record if isinstance(record, str) else json.dumps(record)) + "\n"
        for record in records
    )
    result = runner.invoke(app, args, input=text)
    assert result.exit_code == 0, result.output
    return lines(result.stdout)


def test_aqi_evaluates_every_line_and_reports_bad_ones_in_place() -> None:
    out = run_lines(
        ["aqi", "--standard", "HJ633-2012", "--mode", "daily"],
        WORKED_EXAMPLE,
        "",
        "{not json",
        {"pm25": 35},
        "[1, 2]",
        {"pm25_24h": 35, "o3_8h_max": None},
    )
    assert len(out) == 5
    example = out[0]
    assert (example["aqi"], example["level"], example["category"]) == (
        186,
        4,
        "中度污染",
    )
    assert example["primary"] == ["pm25_24h"]
    assert example["exceeding"] == ["pm10_24h", "pm25_24h"]
    assert example["iaqi"] == {"no2_24h": 85, "pm10_24h": 115, "pm25_24h": 186}
    assert out[1]["error"].startswith("line 3: not JSON")
    assert out[2]["error"].startswith("line 4: unknown indicators ['pm25']")
    assert out[3] == {"error": "line 5: expected a JSON object, got [1, 2]"}
    assert (out[4]["aqi"], out[4]["primary"]) == (50, [])


def test_aqi_writes_chinese_categories_as_characters() -> None:
    result = runner.invoke(
        app,
        ["aqi", "--standard", "HJ633-2012", "--mode", "daily"],
        input=json.dumps(WORKED_EXAMPLE) + "\n",
    )
    assert '"category": "中度污染"' in result.stdout


def test_aqi_auto_chooses_the_standard_in_force_at_the_time() -> None:
    out = run_lines(
        ["aqi", "--mode", "daily"],
        {"time": "2026-02-28T00:00", "pm25_24h": 60},
        {"time": "2026-03-01T00:00", "pm25_24h": 60},
        {"pm25_24h": 60},
    )
    assert [(r["standard"], r["aqi"]) for r in out[:2]] == [
        ("HJ633-2012", 82),
        ("HJ633-2026", 100),
    ]
    assert "standard 'auto' needs it" in out[2]["error"]


def test_aqi_hourly_is_the_default_and_input_may_be_a_file(tmp_path: Path) -> None:
    source = tmp_path / "hours.jsonl"
    source.write_text(json.dumps({"pm25_1h": 60, "pm10_1h": 50}) + "\n", "utf-8")
    result = runner.invoke(
        app, ["aqi", "--standard", "HJ633-2026", "--input", str(source)]
    )
    assert result.exit_code == 0, result.output
    [out] = lines(result.stdout)
    assert (out["mode"], out["standard"]) == ("hourly", "HJ633-2026")


@pytest.mark.parametrize(
    "args",
    [
        ["aqi", "--mode", "weekly"],
        ["aqi", "--standard", "HJ633-2000"],
        ["aqi", "--input", "missing.jsonl"],
        ["water-class", "--waterbody", "sea"],
        ["noise", "--zone", "5"],
    ],
)
def test_a_bad_option_is_a_usage_error(args: list[str]) -> None:
    assert runner.invoke(app, args, input="").exit_code == 2


def test_water_class_of_a_river_record_and_a_bad_line() -> None:
    out = run_lines(
        ["water-class", "--waterbody", "river"],
        {"NH3N": 0.4, "DO": 8.0},
        {"NH3N": "a lot"},
        {"pH": 7.5, "DO": 6.0, "NH3N": 1.25, "TP": 0.1},
    )
    assert (out[0]["class"], out[0]["class_number"]) == ("Ⅱ类", 2)
    assert out[1] == {"error": "line 2: NH3N: value 'a lot' is not a number"}
    assert (out[2]["class"], out[2]["limiting_items"]) == ("Ⅳ类", ["NH3N"])


def test_noise_against_the_zone_limits() -> None:
    out = run_lines(
        ["noise", "--zone", "2"],
        {"day": 60.1, "night": 50},
        {"night": None},
        {"day": "loud"},
        {"evening": 55},
    )
    assert out[0]["limits"] == {"day": 60.0, "night": 50.0}
    assert out[0]["day"] == {"leq": 60.1, "exceedance": 0.1, "compliant": False}
    assert (out[0]["night"]["compliant"], out[0]["compliant"]) == (True, False)
    assert out[1]["compliant"] is None
    assert out[2] == {"error": "line 3: 'day' must be a number of dB(A), got 'loud'"}
    assert "unknown key 'evening'" in out[3]["error"]


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo city with one day of air data, built once for the module."""
    target = tmp_path_factory.mktemp("demo") / "data"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("ENVMON_DATABASE_URL", raising=False)
        get_settings.cache_clear()
        result = runner.invoke(
            app, ["demo", "--data-dir", str(target), "--no-serve", "--days", "1"]
        )
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return target


@pytest.fixture()
def demo_dir(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    data = tmp_path / "data"
    shutil.copytree(demo_template, data)
    monkeypatch.setenv("ENVMON_DATA_DIR", str(data))
    monkeypatch.delenv("ENVMON_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield data
    get_settings.cache_clear()


def summary(args: list[str]) -> dict[str, Any]:
    result = runner.invoke(app, ["evaluate", *args])
    assert result.exit_code == 0, result.output
    [out] = lines(result.stdout)
    return out


@pytest.mark.usefixtures("demo_dir")
def test_evaluate_pending_recomputes_what_late_data_changed() -> None:
    # The demo evaluated what it loaded: nothing is pending.
    assert summary(["pending"])["marks"] == 0
    late_hour = datetime(2016, 3, 1, 2, tzinfo=UTC)  # 10:00-11:00 Beijing
    _engine, factory = open_database(get_settings())
    with session_scope(factory) as session:
        station = session.scalars(select(Station).where(Station.code == "1003A")).one()
        measurements.add_many(
            session=session,
            rows=[
                {
                    "point_id": station.id,
                    "parameter_code": "a01001",  # air temperature: not in the demo data
                    "kind": DataKind.HOUR,
                    "measured_at": late_hour,
                    "value": 4.5,
                    "device_flag": "N",
                    "raw_file_id": None,
                }
            ],
        )
    first = summary(["pending"])
    assert first["marks"] == 1 and first["runs"] >= 1
    assert first["aggregates"] > 0 and first["aqi_values"] > 0
    again = summary(["pending"])
    assert (again["marks"], again["runs"], again["aggregates"]) == (0, 0, 0)


@pytest.mark.usefixtures("demo_dir")
def test_evaluate_recompute_over_days_and_points() -> None:
    every = summary(["recompute", "--from", "2016-03-01", "--to", "2016-03-01"])
    assert (every["first_day"], every["runs"]) == ("2016-03-01", 1)
    assert every["aggregates"] > 0 and every["aqi_values"] > 0
    one = summary(
        [
            "recompute",
            "--from",
            "2016-03-01",
            "--to",
            "2016-03-01",
            "--point",
            "1003A",
            "--standard",
            "HJ633-2012",
        ]
    )
    assert 0 < one["points"] < every["points"] and one["aqi_values"] > 0


@pytest.mark.usefixtures("demo_dir")
def test_evaluate_recompute_refuses_unknown_points_and_reversed_days() -> None:
    result = runner.invoke(
        app,
        ["evaluate", "recompute", "--from", "2016-03-01", "--to", "2016-03-01"]
        + ["--point", "1003A", "--point", "NOSUCH"],
    )
    assert result.exit_code == 1
    assert "unknown point NOSUCH" in result.stderr
    result = runner.invoke(
        app, ["evaluate", "recompute", "--from", "2016-03-02", "--to", "2016-03-01"]
    )
    assert result.exit_code == 2


@pytest.mark.usefixtures("demo_dir")
def test_evaluate_finalize_twice_is_refused() -> None:
    summary(["pending"])
    final = summary(["finalize", "2016-03", "--actor", "auditor"])
    assert final["month"] == "2016-03" and final["rows"] > 0
    result = runner.invoke(app, ["evaluate", "finalize", "2016-03"])
    assert result.exit_code == 1
    assert "month 2016-03 is already final" in result.stderr
    assert runner.invoke(app, ["evaluate", "finalize", "2016-13"]).exit_code == 2


@pytest.mark.usefixtures("demo_dir")
def test_evaluate_bulletin_writes_html_and_pdf(tmp_path: Path) -> None:
    for fmt in ("html", "pdf"):
        out = tmp_path / f"bulletin.{fmt}"
        result = runner.invoke(
            app,
            ["evaluate", "bulletin", "--region", "110100", "--month", "2016-03",
             "--format", fmt, "-o", str(out)],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        content = out.read_bytes()
        assert (
            content.startswith(b"%PDF-") if fmt == "pdf" else "月报" in content.decode()
        )
    unknown = runner.invoke(
        app,
        ["evaluate", "bulletin", "--region", "999999", "--month", "2016-03",
         "-o", str(tmp_path / "x.html")],
    )  # fmt: skip
    assert unknown.exit_code == 1 and "999999" in unknown.output


@pytest.mark.usefixtures("demo_dir")
def test_measurements_import_prsa_then_pending(tmp_path: Path) -> None:
    source = tmp_path / "PRSA_Data_Dongsi_test.csv"
    source.write_text(
        '"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3",'
        '"TEMP","PRES","DEWP","RAIN","wd","WSPM","station"\n'
        '1,2015,1,1,1,30,60,18,41,1100,30,-0.7,1023,-18.8,0,"NNW",4.4,"Dongsi"\n'
        '2,2015,1,1,2,NA,60,18,41,1100,bad,-0.7,1023,-18.8,0,"NNW",4.4,"Dongsi"\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["measurements", "import-prsa", str(source)])
    assert result.exit_code == 0, result.output
    [report] = lines(result.stdout)
    # Row 1: six values; row 2: PM10, SO2, NO2, CO (PM2.5 NA, O3 refused).
    assert (report["rows"], report["values"], report["refused"]) == (2, 10, 1)
    again = runner.invoke(app, ["measurements", "import-prsa", str(source)])
    assert again.exit_code == 1 and "already imported" in again.output
    assert summary(["pending"])["marks"] == 1
