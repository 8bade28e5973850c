"""``envmon ledger``, ``envmon interference`` and ``envmon lab`` on a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from envmon.cli.main import app
from envmon.config import get_settings
from envmon.storage.db import append_only_ddl
from tests.factories import document

runner = CliRunner()


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("ENVMON_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ENVMON_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    source = tmp_path / "city.yaml"
    source.write_text(yaml.safe_dump(document(), allow_unicode=True), "utf-8")
    assert runner.invoke(app, ["registry", "import", str(source)]).exit_code == 0
    yield tmp_path
    get_settings.cache_clear()


def invoke(*args: str) -> object:
    return runner.invoke(app, list(args))


def test_prove_then_check_with_only_the_public_key(data_dir: Path) -> None:
    result = invoke("ledger", "verify")
    assert result.exit_code == 0 and "ledger OK: 17 entries" in result.output
    signed = invoke("ledger", "sign")
    assert signed.exit_code == 0
    assert json.loads(signed.output)["tree_size"] == 17
    witness = data_dir / "data" / "ledger" / "tree-heads.jsonl"
    assert len(witness.read_text().splitlines()) == 1
    proof, key = data_dir / "proof.json", data_dir / "key.pem"
    assert invoke("ledger", "prove", "3", "--out", str(proof)).exit_code == 0
    assert invoke("ledger", "public-key", "--out", str(key)).exit_code == 0
    # check-proof needs no database: point the settings at nothing.
    get_settings.cache_clear()
    checked = runner.invoke(
        app,
        ["ledger", "check-proof", str(proof), "--public-key", str(key)],
        env={"ENVMON_DATA_DIR": str(data_dir / "nowhere")},
    )
    assert checked.exit_code == 0, checked.output
    assert "valid: entry 3 is included in the tree of 17 entries" in checked.output
    assert not (data_dir / "nowhere").exists()
    bundle = json.loads(proof.read_text())
    bundle["entry"]["payload"]["data"]["name"] = "改过的名字"
    proof.write_text(json.dumps(bundle, ensure_ascii=False))
    checked = invoke("ledger", "check-proof", str(proof), "--public-key", str(key))
    assert (
        checked.exit_code == 1 and "INVALID: entry 3 is NOT included" in checked.stderr
    )


def test_verify_names_the_entry_changed_behind_the_trigger(data_dir: Path) -> None:
    database = data_dir / "data" / "envmon.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("DROP TRIGGER ledger_entries_no_update")
        connection.execute(
            "UPDATE ledger_entries SET payload = replace(payload, '站点T002A', '站点T003A') "
            "WHERE subject = 'station:T002A'"
        )
        for statement in append_only_ddl("sqlite", "ledger_entries"):
            if "no_update" in statement:
                connection.execute(statement)
        seq = connection.execute(
            "SELECT seq FROM ledger_entries WHERE subject = 'station:T002A'"
        ).fetchone()[0]
    result = invoke("ledger", "verify")
    assert result.exit_code == 1
    assert f"ledger BROKEN: first bad entry {seq}" in result.stderr
    assert (
        f"entry {seq} (registry.create station:T002A): content does not match"
        in result.stderr
    )


def test_interference_and_lab_commands(data_dir: Path) -> None:
    short = invoke(
        "user", "add", "s1", "--role", "viewer", "--password", "long password"
    )
    assert (
        short.exit_code == 1 and "username: String should match pattern" in short.stderr
    )
    for name, role in (
        ("officer", "enforcement"),
        ("inspector", "discipline_inspection"),
        ("sam1", "monitoring_centre"),
        ("sam2", "monitoring_centre"),
        ("sam3", "monitoring_centre"),
        ("sam4", "monitoring_centre"),
    ):
        result = invoke(
            "user", "add", name, "--role", role, "--password", "long password"
        )
        assert result.exit_code == 0, result.output
    note = data_dir / "note.txt"
    note.write_text("书面批示扫描件")
    result = invoke(
        "interference",
        "record",
        "--by",
        "officer",
        "--intervener",
        "王某",
        "--position",
        "副县长",
        "--method",
        "written_instruction",
        "--request",
        "删除超标数据",
        "--occurred-at",
        "2026-10-04T09:30",
        "--witness",
        "李某",
        "--attachment",
        str(note),
    )
    assert result.exit_code == 0 and "sealed" in result.output
    denied = invoke("interference", "list", "--reader", "officer")
    assert denied.exit_code == 1 and "may not do this" in denied.stderr
    listed = invoke("interference", "list", "--reader", "inspector")
    record = json.loads(listed.output.splitlines()[0])
    assert record["occurred_at"] == "2026-10-04T01:30:00.000000+00:00"
    assert record["attachments"][0]["name"] == "note.txt" and record["intact"] is True
    lab = data_dir / "lab.csv"
    lab.write_text(
        "station,parameter,sampled_at,value,unit,method\n"
        "T001A,a34004,2026-10-03T10:00,35.2,ug/m3,HJ 618-2011\n"
    )
    result = invoke("lab", "import", str(lab), "--by", "sam1")
    assert result.exit_code == 0 and result.output.startswith("batch 1: 1 results")
    for user, step in (
        ("sam1", "sampler"),
        ("sam2", "analyst"),
        ("sam3", "reviewer"),
        ("sam4", "signatory"),
    ):
        signed = runner.invoke(
            app,
            ["lab", "sign", "1", "--step", step, "--user", user],
            input="long password\n",
        )
        assert signed.exit_code == 0, signed.output
    status = invoke("lab", "status", "1")
    assert status.exit_code == 0 and "batch 1: released" in status.output
    assert invoke("ledger", "verify").exit_code == 0
