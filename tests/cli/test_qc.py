"""``envmon qc run``: a CSV in, the same CSV with QC flags and check names out."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from envmon.cli.main import app

runner = CliRunner()

# Hourly PM2.5 (a34004) with a spike at 10:00 and a missing value; ambient SO2 (a21026)
# stuck at 8 from 08:00 (SUSPECT once it has not changed for 6 hours); one hour missing
# before 17:00 (time_gap); a negative PM2.5 at 15:00.
TABLE = """\
time,a34004,a21026
2024-05-01T08:00,35,8
2024-05-01T09:00,36,8
2024-05-01T10:00,400,8
2024-05-01T11:00,37,8
2024-05-01T12:00,38,8
2024-05-01T13:00,,8
2024-05-01T14:00,39,8
2024-05-01T15:00,-12,8
2024-05-01T17:00,40,9
"""


def qc(tmp_path: Path, text: str, *args: str) -> tuple[int, list[dict[str, str]], str]:
    source = tmp_path / "in.csv"
    source.write_text(text, encoding="utf-8")
    target = tmp_path / "out.csv"
    result = runner.invoke(app, ["qc", "run", str(source), "-o", str(target), *args])
    rows = []
    if result.exit_code == 0:
        with target.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    return result.exit_code, rows, result.stdout + result.stderr


def column(rows: list[dict[str, str]], name: str) -> list[str]:
    return [row[name] for row in rows]


def test_flags_a_spike_and_a_flat_run_with_the_default_rules(tmp_path: Path) -> None:
    code, rows, output = qc(tmp_path, TABLE)
    assert code == 0, output
    assert list(rows[0]) == [
        "time",
        "a34004",
        "a34004__flag",
        "a34004__checks",
        "a21026",
        "a21026__flag",
        "a21026__checks",
    ]
    # the input is repeated verbatim
    assert column(rows, "time")[0] == "2024-05-01T08:00"
    assert column(rows, "a34004")[5] == ""
    # PM2.5: the spike (its neighbours deviate from their neighbours' mean too), the
    # missing value, the negative value, the value after the gap
    assert column(rows, "a34004__flag") == ["1", "3", "3", "3", "1", "9", "1", "4", "3"]
    assert column(rows, "a34004__checks")[2] == "spike"
    assert column(rows, "a34004__checks")[5] == ""
    assert column(rows, "a34004__checks")[7] == "gross_range;negative"
    assert column(rows, "a34004__checks")[8] == "time_gap"
    # SO2: identical for 6 h from 08:00 → flat_line from 14:00 on
    assert column(rows, "a21026__flag") == ["1"] * 6 + ["3", "3", "3"]
    assert column(rows, "a21026__checks")[6:] == ["flat_line", "flat_line", "time_gap"]
    summary = json.loads(output.splitlines()[0])
    assert summary["rows"] == 9
    assert summary["rules_version"] == "envmon-defaults-2025.1"
    assert summary["columns"]["a34004"] == {
        "parameter": "a34004",
        "good": 3,
        "suspect": 4,
        "fail": 1,
        "missing": 1,
    }


def test_parameter_applies_one_rule_to_every_column(tmp_path: Path) -> None:
    text = "time,left,right\n2024-05-01T08:00Z,7.0,7.2\n2024-05-01T09:00Z,3.0,12.5\n"
    code, rows, output = qc(tmp_path, text, "--parameter", "w01001")
    assert code == 0, output
    assert column(rows, "left__flag") == ["1", "3"]  # pH 3 is outside 4–10
    assert column(rows, "right__flag") == ["1", "3"]
    assert column(rows, "right__checks") == ["", "gross_range"]


def test_rules_file_with_a_columns_mapping_and_an_element(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        """
version: "site-1"
rules:
  - parameter: a21026
    checks: [{check: gross_range, params: {fail_span: [null, 1300]}}]
  - parameter: a21026
    element: flue_gas
    checks:
      - {check: gross_range, params: {fail_span: [null, 10000]}}
      - {check: spike, params: {suspect_threshold: 200}}
columns:
  so2_stack: {parameter: a21026, element: flue_gas}
  so2: a21026
""",
        encoding="utf-8",
    )
    text = (
        "time,so2,so2_stack\n2024-05-01T08:00,10,2000\n"
        "2024-05-01T09:00,1500,2500\n2024-05-01T10:00,9,2100\n"
    )
    code, rows, output = qc(tmp_path, text, "--rules", str(rules))
    assert code == 0, output
    assert column(rows, "so2__flag") == ["1", "4", "1"]
    assert column(rows, "so2_stack__flag") == ["1", "3", "1"]
    assert column(rows, "so2_stack__checks")[1] == "spike"
    assert json.loads(output.splitlines()[0])["rules_version"] == "site-1"


def test_an_ioos_qc_configuration_is_accepted_as_rules(tmp_path: Path) -> None:
    rules = tmp_path / "ioos.yaml"
    rules.write_text(
        "parameter: temp\nqartod:\n"
        "  gross_range_test: {suspect_span: [0, 8], fail_span: [0, 10]}\n",
        encoding="utf-8",
    )
    text = "time,temp\n" + "".join(f"2024-05-01T{h:02d}:00,{h}\n" for h in range(0, 13))
    code, rows, output = qc(tmp_path, text, "--rules", str(rules))
    assert code == 0, output
    assert column(rows, "temp__flag") == ["1"] * 9 + ["3", "3", "4", "4"]


@pytest.mark.parametrize(
    ("text", "args", "messages"),
    [
        (
            "when,a34004\n2024-05-01T08:00,1\n",
            [],
            ["no 'time' column", "['when', 'a34004']"],
        ),
        (
            "time,a34004\n2024-05-01T08:00,1\nyesterday,2\n",
            [],
            ["row 2, line 3, field 'time'", "not an ISO 8601 time: 'yesterday'"],
        ),
        (
            "time,a34004,a21026\n2024-05-01T08:00,1,2\n2024-05-01T09:00,1,abc\n",
            [],
            ["row 2, line 3, field 'a21026'", "not a number: 'abc'"],
        ),
        (
            "time,a34004\n2024-05-01T09:00,1\n2024-05-01T08:00,2\n",
            [],
            ["row 2, line 3, field 'time'", "is before an earlier row's"],
        ),
        (
            "time,a34004\n2024-05-01T08:00,1,5\n",
            [],
            ["row 1, line 2", "has 3 cells, the header 2"],
        ),
        (
            "time,pm25\n2024-05-01T08:00,1\n",
            [],
            ["field 'pm25'", "no rule for parameter 'pm25'"],
        ),
        (
            "time,x\n2024-05-01T08:00,1\n",
            ["--parameter", "a3400"],
            [
                "no rule for parameter 'a3400' in the default rules; did you mean 'a34004'"
            ],
        ),
        (
            "time,a34004\n2024-05-01T08:00,1\n",
            ["--element", "sky"],
            ["element 'sky' is not one of"],
        ),
        ("", [], ["the table is empty"]),
    ],
)
def test_bad_input_exits_1_naming_the_row_and_column(
    tmp_path: Path, text: str, args: list[str], messages: list[str]
) -> None:
    code, _, output = qc(tmp_path, text, *args)
    assert code == 1, output
    for message in messages:
        assert message in output
    assert not (tmp_path / "out.csv").exists()


def test_bad_rules_file_exits_1_with_every_problem(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "version: r\nrules:\n  - parameter: a34004\n    checks: [{check: spkie}, {check: spike}]\n",
        encoding="utf-8",
    )
    code, _, output = qc(tmp_path, TABLE, "--rules", str(rules))
    assert code == 1
    assert "2 problem(s) in the QC rules" in output
    assert (
        "field 'rules[0].checks[0]': rule for 'a34004': unknown check 'spkie'" in output
    )
    assert "check 'spike' needs parameter(s) ['suspect_threshold']" in output


def test_times_without_zone_are_beijing_time(tmp_path: Path) -> None:
    # 2024-05-01T00:30+08:00 == 2024-04-30T16:30Z: same instant, so a duplicate (FAIL)
    text = "time,a34004\n2024-04-30T16:30Z,30\n2024-05-01T00:30,31\n2024-05-01T01:30+08:00,32\n"
    code, rows, output = qc(tmp_path, text)
    assert code == 0, output
    assert column(rows, "a34004__checks") == ["", "duplicates", ""]


def test_missing_input_file_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["qc", "run", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 2


def test_help_documents_the_format(tmp_path: Path) -> None:
    result = runner.invoke(app, ["qc", "run", "--help"])
    assert result.exit_code == 0
    for text in (
        "__flag",
        "__checks",
        "columns:",
        "--parameter",
        "Beijing time",
        "qartod",
    ):
        assert text in result.stdout
