"""The ``envmon`` command, run in-process on files in tests/data."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from envmon.cli.main import app
from envmon.config import get_settings
from tests.factories import document

runner = CliRunner()


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ENVMON_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ENVMON_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def write(path: Path, doc: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def test_import_export_round_trip(data_dir: Path) -> None:
    source = write(data_dir / "city.yaml", document())
    result = runner.invoke(app, ["registry", "import", str(source), "--actor", "alice"])
    assert result.exit_code == 0, result.output
    assert "city.yaml imported" in result.output and "stations" in result.output
    result = runner.invoke(app, ["registry", "export"])
    assert result.exit_code == 0
    exported = yaml.safe_load(result.output)
    assert [s["code"] for s in exported["stations"]] == ["T001A", "T002A"]
    assert exported["enterprises"][0]["outlets"][0]["limits"][0]["value"] == 50.0
    result = runner.invoke(
        app, ["registry", "export", "--format", "csv", "--out", str(data_dir / "csv")]
    )
    assert result.exit_code == 0, result.output
    assert (
        (data_dir / "csv" / "stations.csv").read_text().startswith("code,mn,password,")
    )


def test_a_bad_file_exits_1_with_every_problem(data_dir: Path) -> None:
    doc = document()
    doc["stations"][1]["mn"] = doc["stations"][0]["mn"]
    doc["enterprises"][0]["credit_code"] = "91110105000000010A"
    source = write(data_dir / "bad.yaml", doc)
    result = runner.invoke(app, ["registry", "import", str(source)])
    assert result.exit_code == 1
    err = result.stderr
    assert "registry import refused, nothing was written" in err
    assert "check character is 'A', expected 'W' (GB 32100-2015)" in err
    assert "MN 11000000T001A00000000001 is already used by station" in err
    export = runner.invoke(app, ["registry", "export"])
    assert yaml.safe_load(export.output)["stations"] == []


def test_csv_import_takes_the_section_from_the_name_or_option(data_dir: Path) -> None:
    regions = data_dir / "regions.csv"
    regions.write_text("code,name,level,parent\n110000,北京市,province,\n", "utf-8")
    assert runner.invoke(app, ["registry", "import", str(regions)]).exit_code == 0
    other = data_dir / "list.csv"
    other.write_text("code,name,level,parent\n110100,市辖区,city,110000\n", "utf-8")
    result = runner.invoke(app, ["registry", "import", str(other)])
    assert result.exit_code == 1 and "unknown kind 'list'" in result.stderr
    assert (
        runner.invoke(
            app, ["registry", "import", str(other), "--kind", "regions"]
        ).exit_code
        == 0
    )


def test_user_add_and_usage_errors(data_dir: Path) -> None:
    result = runner.invoke(
        app, ["user", "add", "zhang", "--role", "viewer", "--password", "long enough"]
    )
    assert result.exit_code == 0 and "added user zhang (viewer)" in result.output
    result = runner.invoke(
        app, ["user", "add", "zhang", "--role", "viewer", "--password", "long enough"]
    )
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert (
        runner.invoke(
            app, ["user", "add", "li", "--role", "boss", "--password", "x"]
        ).exit_code
        == 2
    )
    assert (
        runner.invoke(
            app, ["registry", "import", str(data_dir / "missing.yaml")]
        ).exit_code
        == 2
    )


def test_db_upgrade_reports_the_revision(data_dir: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "at revision 0005" in result.output
    assert "current: 0005  head: 0005" in runner.invoke(app, ["db", "current"]).output
