"""``envmon hj212 decode`` and ``encode`` run in-process with CliRunner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from envmon.cli.hj212 import app
from envmon.hj212 import build_segment, encode_cp, encode_frame

runner = CliRunner()

GOOD = (
    b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;"
    b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80"
)
BAD_CRC = GOOD[:-4] + b"1C81"
INFO = encode_frame(
    build_segment(
        qn="20200101000000000",
        st="32",
        cn="3020",
        pw="123456",
        mn="M1",
        flag=4,
        cp=encode_cp(params={"i11001": {"Info": "//设备正常//"}}),
    )
)


def lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines()]


def test_decode_lines() -> None:
    stdin = GOOD + b"\r\n\r\n" + BAD_CRC + b"\nGET / HTTP/1.1\r\n" + INFO
    result = runner.invoke(app, ["decode"], input=stdin)
    assert result.exit_code == 0, result.output
    first, second, third, fourth = lines(result.stdout)
    assert first["ok"] is True and first["fields"] == {"RtdInterval": "30"}
    assert second["ok"] is False and second["error"]["code"] == "bad_crc"
    assert second["crc"] == {
        "field": "1C81",
        "computed": "1C80",
        "valid": False,
        "variant": None,
    }
    assert third["error"]["code"] == "garbage"
    assert fourth["params"] == {"i11001": {"Info": "//设备正常//"}}
    assert "设备正常" in result.stdout  # ensure_ascii=False


def test_decode_stream(tmp_path: Path) -> None:
    path = tmp_path / "capture.bin"
    path.write_bytes(
        b"GET /\r\n" + GOOD + GOOD + b"\r\n" + BAD_CRC + b"\r\n" + GOOD[:20]
    )
    result = runner.invoke(app, ["decode", "--stream", str(path), "--chunk", "7"])
    assert result.exit_code == 0, result.output
    codes = [(d["ok"], d["error"] and d["error"]["code"]) for d in lines(result.stdout)]
    assert codes == [
        (False, "garbage"),
        (True, None),
        (True, None),
        (False, "bad_crc"),
        (False, "incomplete"),
    ]


def test_decode_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["decode", "--stream", str(tmp_path / "absent.bin")])
    assert result.exit_code == 1
    assert "cannot read" in result.stderr


def test_encode_round_trip_through_decode(tmp_path: Path) -> None:
    objects = [
        {
            "qn": "20210412154520280",
            "st": "21",
            "cn": "2011",
            "pw": "123456",
            "mn": "DXCBZ000000005",
            "flag": 5,
            "data_time": "2021-04-12T15:45:00",
            "params": {
                "w01018": {"Rtd": 235.29, "Flag": "N"},
                "i11001": {"Info": "//正常//"},
            },
            "fields": {"PolId": "w01018"},
        },
        {
            "st": "32",
            "cn": "2061",
            "pw": "",
            "mn": "M",
            "flag": 7,
            "pnum": 2,
            "pno": 1,
            "data_time": "2016-08-01T00:00:00+00:00",
            "params": {"w00000": {"Cou": 63}},
        },
    ]
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(json.dumps(o, ensure_ascii=False) for o in objects) + "\n", "utf-8"
    )
    encoded = runner.invoke(app, ["encode", str(source)])
    assert encoded.exit_code == 0, encoded.output
    assert encoded.stdout_bytes.count(b"\r\n") == 2
    decoded = runner.invoke(app, ["decode"], input=encoded.stdout_bytes)
    first, second = lines(decoded.stdout)
    assert first["ok"] and second["ok"]
    assert first["data_time"] == "2021-04-12T15:45:00+08:00"
    assert first["params"] == objects[0]["params"] and first["fields"] == {
        "PolId": "w01018"
    }
    assert (first["qn"], first["flag"], first["mn"]) == (
        "20210412154520280",
        5,
        "DXCBZ000000005",
    )
    assert second["data_time"] == "2016-08-01T08:00:00+08:00"
    assert (second["pnum"], second["pno"], second["qn"]) == (2, 1, None)
    # decode output can be encoded again (derived keys are ignored)
    again = runner.invoke(app, ["encode"], input=decoded.stdout_bytes)
    assert again.exit_code == 0 and again.stdout_bytes == encoded.stdout_bytes


def test_encode_reports_bad_lines_and_continues() -> None:
    good = {"st": "22", "cn": "2011", "pw": "1", "mn": "M"}
    stdin = "\n".join(
        [
            json.dumps(good),
            json.dumps({**good, "flag": "x"}),
            "not json",
            json.dumps({**good, "Flag": 4}),
            json.dumps({**good, "params": {"a21026": {"Rtd": "1;2"}}}),
            json.dumps({"cn": "2011", "pw": "1", "mn": "M"}),
            json.dumps(good),
        ]
    )
    result = runner.invoke(app, ["encode"], input=stdin.encode())
    assert result.exit_code == 1
    assert result.stdout_bytes.count(b"\r\n") == 2
    errors = result.stderr.splitlines()
    assert len(errors) == 5
    assert errors[0].startswith("error: line 2: key 'flag'")
    assert errors[1].startswith("error: line 3:")
    assert errors[2].startswith("error: line 4: key 'Flag'")
    assert "line 5" in errors[3] and "a21026-Rtd" in errors[3]
    assert errors[4].startswith("error: line 6: key 'st'")
