"""Registry files: read YAML and CSV into records, write them back out.

A registry document is a set of sections (``regions``, ``agencies``, ``stations``,
``enterprises``, ``outlets``, ``limits``, ``devices``, ``calibrations``), each a list of
flat records in the canonical ``*In`` shape. YAML may nest outlets (with their limits)
under an enterprise and calibrations under a device; reading flattens them, so YAML, CSV and
the API all feed one validator. Every record keeps where it came from (file, line or row,
and its path in the document) so each problem can be reported exactly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from envmon.errors import Problem
from envmon.registry.schemas import (
    AgencyIn,
    CalibrationIn,
    DeviceIn,
    EnterpriseIn,
    LimitIn,
    OutletIn,
    RegionIn,
    StationIn,
)

__all__ = [
    "SECTIONS",
    "Document",
    "Record",
    "RecordSource",
    "document_to_csv",
    "document_to_yaml",
    "parse_csv",
    "parse_yaml",
    "read_document",
]

SECTIONS: Final[dict[str, type[BaseModel]]] = {
    "regions": RegionIn,
    "agencies": AgencyIn,
    "stations": StationIn,
    "enterprises": EnterpriseIn,
    "outlets": OutletIn,
    "limits": LimitIn,
    "devices": DeviceIn,
    "calibrations": CalibrationIn,
}
"""Sections in dependency order: a record refers only to records of earlier sections."""

LINE_KEY: Final = "__line__"


@dataclass(frozen=True, slots=True)
class RecordSource:
    """Where a record came from: file, line (YAML) or row (CSV), path in the document."""

    file: str
    row: int | None
    path: str
    line: int | None = None

    def problem(self, message: str, field_name: str | None = None) -> Problem:
        """Returns a problem located at this record (and field)."""
        where = f"{self.path}.{field_name}" if field_name else self.path
        return Problem(
            message=message, field=where, row=self.row, line=self.line, source=self.file
        )

    @property
    def where(self) -> str:
        """Returns the record's place as a person reads it."""
        if self.row is not None:
            return f"{self.file} row {self.row}"
        if self.line is not None:
            return f"{self.file} line {self.line}"
        return f"{self.file} {self.path}"


@dataclass(slots=True)
class Record:
    """One validated record with its origin."""

    source: RecordSource
    value: Any


@dataclass(slots=True)
class Document:
    """Validated records by section, and the problems met while reading them."""

    records: dict[str, list[Record]] = field(
        default_factory=lambda: {name: [] for name in SECTIONS}
    )
    problems: list[Problem] = field(default_factory=list)

    def add(self, section: str, raw: Mapping[str, Any], source: RecordSource) -> None:
        """Validates ``raw`` as a record of ``section`` and keeps it or its problems."""
        model = SECTIONS[section]
        try:
            value = model.model_validate(dict(raw))
        except PydanticValidationError as err:
            for error in err.errors():
                loc = ".".join(str(part) for part in error["loc"]) or None
                message = error["msg"].removeprefix("Value error, ")
                self.problems.append(source.problem(message, loc))
            return
        self.records[section].append(Record(source, value))

    def count(self) -> int:
        """Returns the number of records in all sections."""
        return sum(len(records) for records in self.records.values())


class _LineLoader(yaml.SafeLoader):
    """A safe YAML loader that remembers the line of every mapping."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != LINE_KEY}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


# Children that YAML may nest inside a parent record, and the keys they inherit.
NESTED: Final[dict[str, tuple[str, str, Any]]] = {
    # parent section: (child key, child section, inherited fields)
    "enterprises": (
        "outlets",
        "outlets",
        lambda p: {"enterprise": p.get("credit_code")},
    ),
    "outlets": (
        "limits",
        "limits",
        lambda p: {"enterprise": p.get("enterprise"), "outlet": p.get("code")},
    ),
    "devices": ("calibrations", "calibrations", lambda p: {"device": p.get("serial")}),
}


def _flatten_item(
    document: Document,
    section: str,
    item: Any,
    file: str,
    path: str,
    inherited: Mapping[str, Any],
) -> None:
    line = item.get(LINE_KEY) if isinstance(item, dict) else None
    source = RecordSource(file, None, path, line)
    if not isinstance(item, dict):
        document.problems.append(source.problem("expected a mapping of field: value"))
        return
    record = {k: v for k, v in item.items() if k != LINE_KEY}
    if section == "enterprises" and isinstance(record.get("responsible_person"), dict):
        person = record.pop("responsible_person")
        for key in ("name", "phone", "email"):
            if key in person:
                record[f"responsible_{key}"] = person[key]
    nested = NESTED.get(section)
    children: Any = None
    if nested is not None:
        children = record.pop(nested[0], None)
    record = {**inherited, **_strip_lines(record)}
    document.add(section, record, source)
    if nested is None or children is None:
        return
    child_key, child_section, inherit = nested
    if not isinstance(children, list):
        document.problems.append(source.problem("expected a list", child_key))
        return
    for index, child in enumerate(children):
        _flatten_item(
            document,
            child_section,
            child,
            file,
            f"{path}.{child_key}[{index}]",
            inherit(record),
        )


def parse_yaml(text: str, file: str = "<yaml>") -> Document:
    """Parses a YAML registry document; nested outlets, limits, calibrations flatten."""
    document = Document()
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        document.problems.append(
            Problem(message=f"not valid YAML: {err}", line=row, source=file)
        )
        return document
    if not isinstance(data, dict):
        document.problems.append(
            Problem(message="a registry file is a mapping of sections", source=file)
        )
        return document
    for key in data:
        if key not in SECTIONS and key not in ("version", LINE_KEY):
            document.problems.append(
                Problem(
                    message=f"unknown section {key!r}; known: {', '.join(SECTIONS)}",
                    source=file,
                    field=str(key),
                )
            )
    for section in SECTIONS:
        items = data.get(section) or []
        if not isinstance(items, list):
            document.problems.append(
                Problem(message="expected a list", source=file, field=section)
            )
            continue
        for index, item in enumerate(items):
            _flatten_item(document, section, item, file, f"{section}[{index}]", {})
    return document


def parse_csv(text: str, section: str, file: str = "<csv>") -> Document:
    """Parses one CSV list of ``section`` records; row numbers count the header as 1."""
    document = Document()
    if section not in SECTIONS:
        document.problems.append(
            Problem(
                message=f"unknown kind {section!r}; known: {', '.join(SECTIONS)}",
                source=file,
            )
        )
        return document
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    known = set(SECTIONS[section].model_fields)
    unknown = [name for name in reader.fieldnames or [] if name not in known]
    if unknown:
        document.problems.append(
            Problem(
                message=f"unknown column(s) {', '.join(unknown)} for {section}; "
                f"known: {', '.join(sorted(known))}",
                source=file,
                row=1,
            )
        )
        return document
    for index, row in enumerate(reader):
        cleaned = {k: v for k, v in row.items() if v is not None and v != ""}
        if None in row:
            document.problems.append(
                RecordSource(file, index + 2, f"{section}[{index}]").problem(
                    "more cells than columns"
                )
            )
            continue
        document.add(
            section, cleaned, RecordSource(file, index + 2, f"{section}[{index}]")
        )
    return document


def read_document(path: Path, section: str | None = None) -> Document:
    """Reads a registry file: YAML by extension, CSV with its section from ``section``
    or from the file name (``stations.csv``)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        document = Document()
        document.problems.append(
            Problem(message=f"cannot read file: {err}", source=str(path))
        )
        return document
    if path.suffix.lower() in (".yaml", ".yml"):
        return parse_yaml(text, str(path))
    if path.suffix.lower() == ".csv":
        return parse_csv(text, section or path.stem.lower(), str(path))
    document = Document()
    document.problems.append(
        Problem(message="unknown file type: use .yaml, .yml or .csv", source=str(path))
    )
    return document


def _plain(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def document_to_yaml(sections: Mapping[str, Iterable[BaseModel]]) -> str:
    """Renders records as one YAML document, nesting children under their parents."""
    plain = {name: [_plain(m) for m in sections.get(name, [])] for name in SECTIONS}
    limits_by_outlet: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for limit in plain["limits"]:
        key = (limit.pop("enterprise"), limit.pop("outlet"))
        limits_by_outlet.setdefault(key, []).append(limit)
    outlets_by_enterprise: dict[str, list[dict[str, Any]]] = {}
    for outlet in plain["outlets"]:
        outlet["limits"] = limits_by_outlet.get(
            (outlet["enterprise"], outlet["code"]), []
        )
        outlets_by_enterprise.setdefault(outlet.pop("enterprise"), []).append(outlet)
    for enterprise in plain["enterprises"]:
        enterprise["outlets"] = outlets_by_enterprise.get(enterprise["credit_code"], [])
    calibrations_by_device: dict[str, list[dict[str, Any]]] = {}
    for calibration in plain["calibrations"]:
        calibrations_by_device.setdefault(calibration.pop("device"), []).append(
            calibration
        )
    for device in plain["devices"]:
        device["calibrations"] = calibrations_by_device.get(device["serial"], [])
    out: dict[str, Any] = {"version": 1}
    for name in ("regions", "agencies", "stations", "enterprises", "devices"):
        out[name] = plain[name]
    return yaml.safe_dump(out, allow_unicode=True, sort_keys=False, width=100)


def document_to_csv(section: str, records: Iterable[BaseModel]) -> str:
    """Renders one section as CSV; list cells are space-separated."""
    columns = list(SECTIONS[section].model_fields)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for model in records:
        row = _plain(model)
        writer.writerow(
            {
                key: " ".join(value)
                if isinstance(value, list)
                else ("" if value is None else value)
                for key, value in row.items()
                if key in columns
            }
        )
    return buffer.getvalue()
