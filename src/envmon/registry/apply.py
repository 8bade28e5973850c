"""Apply a registry document: validate everything, then write everything or nothing.

One mechanism serves file imports and API edits. All problems are collected first — record
shape, duplicates inside the document, references to regions, agencies, enterprises, points
and parameters (in the document or already stored), MN clashes across stations and outlets,
overlapping permit-limit periods — and if there is any, nothing is written. Otherwise the
records are upserted by natural key in dependency order, and each record that actually
changes gets a ``registry_changes`` row with the actor, the time and the new state.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from envmon.errors import (
    ConflictError,
    ImportRejected,
    NotFoundError,
    PermissionDenied,
    Problem,
)
from envmon.ledger import service as ledger
from envmon.ledger.service import NewEntry
from envmon.registry.documents import SECTIONS, Document, Record, RecordSource
from envmon.registry.enums import RegionLevel
from envmon.registry.models import (
    Agency,
    Calibration,
    Device,
    Enterprise,
    Outlet,
    Parameter,
    PermitLimit,
    Point,
    PointParameter,
    Region,
    RegistryChange,
    Station,
)
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
from envmon.registry.service import (
    agency_in,
    calibration_in,
    device_in,
    enterprise_in,
    limit_in,
    outlet_in,
    region_in,
    station_in,
)

__all__ = ["ApplyReport", "apply_document", "save_record"]

LEVEL_RANK = {
    RegionLevel.PROVINCE: 0,
    RegionLevel.CITY: 1,
    RegionLevel.COUNTY: 2,
    RegionLevel.TOWNSHIP: 3,
}
# Digits a child's code shares with its parent's, by the parent's level (GB/T 2260).
PREFIX_BY_PARENT_LEVEL = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
}


@dataclass(slots=True)
class ApplyReport:
    """What an applied document did, per section: created, updated, unchanged."""

    counts: dict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )

    def note(self, section: str, outcome: str) -> None:
        """Counts one record's outcome."""
        self.counts[section][outcome] += 1

    def as_dict(self) -> dict[str, dict[str, int]]:
        """Returns the counts as plain dictionaries."""
        return {name: dict(counter) for name, counter in self.counts.items()}

    @property
    def changed(self) -> int:
        """Returns how many records were created or updated."""
        return sum(c["created"] + c["updated"] for c in self.counts.values())


class _Stored:
    """Natural-key lookups of what the database already holds."""

    def __init__(self, session: Session) -> None:
        self.regions = {r.code: r for r in session.scalars(select(Region))}
        self.agencies = {a.credit_code: a for a in session.scalars(select(Agency))}
        self.parameters = set(session.scalars(select(Parameter.code)))
        self.stations = {
            s.code: s
            for s in session.scalars(
                select(Station).options(selectinload(Station.parameters))
            )
        }
        self.enterprises = {
            e.credit_code: e for e in session.scalars(select(Enterprise))
        }
        self.outlets = {
            (o.enterprise.credit_code, o.code): o
            for o in session.scalars(
                select(Outlet).options(
                    selectinload(Outlet.enterprise),
                    selectinload(Outlet.limits),
                    selectinload(Outlet.parameters),
                )
            )
        }
        self.devices = {
            d.serial: d
            for d in session.scalars(
                select(Device).options(selectinload(Device.calibrations))
            )
        }


def _key(section: str, value: Any) -> Any:
    keys: dict[str, Callable[[Any], Any]] = {
        "regions": lambda v: v.code,
        "agencies": lambda v: v.credit_code,
        "stations": lambda v: v.code,
        "enterprises": lambda v: v.credit_code,
        "outlets": lambda v: (v.enterprise, v.code),
        "limits": lambda v: (v.enterprise, v.outlet, v.parameter, v.effective_from),
        "devices": lambda v: v.serial,
        "calibrations": lambda v: (v.device, v.performed_on, v.kind),
    }
    return keys[section](value)


def _check_duplicates(document: Document, problems: list[Problem]) -> None:
    for section, records in document.records.items():
        first: dict[Any, Record] = {}
        for record in records:
            key = _key(section, record.value)
            if key in first:
                where = first[key].source.where
                problems.append(
                    record.source.problem(f"duplicate of the record at {where}")
                )
            else:
                first[key] = record


def _check_regions(
    document: Document, stored: _Stored, problems: list[Problem]
) -> None:
    incoming = {r.value.code: r.value for r in document.records["regions"]}
    for record in document.records["regions"]:
        region: RegionIn = record.value
        if region.parent is None:
            continue
        parent_level: RegionLevel | None = None
        if region.parent in incoming:
            parent_level = incoming[region.parent].level
        elif region.parent in stored.regions:
            parent_level = stored.regions[region.parent].level
        if parent_level is None:
            problems.append(
                record.source.problem(
                    f"parent region {region.parent} does not exist", "parent"
                )
            )
            continue
        if LEVEL_RANK[parent_level] >= LEVEL_RANK[region.level]:
            problems.append(
                record.source.problem(
                    f"a {region.level.value} cannot sit under a {parent_level.value}",
                    "parent",
                )
            )
        digits = PREFIX_BY_PARENT_LEVEL[parent_level]
        if region.code[:digits] != region.parent[:digits]:
            problems.append(
                record.source.problem(
                    f"code {region.code} does not start with its parent's "
                    f"{region.parent[:digits]} (GB/T 2260)",
                    "code",
                )
            )


# What each section's records refer to: (field, kind of record, natural key or None).
REFERENCES: dict[str, Callable[[Any], list[tuple[str, str, Any]]]] = {
    "regions": lambda v: [],  # parents are checked with the tree rules
    "agencies": lambda v: [("region", "region", v.region)],
    "stations": lambda v: [
        ("region", "region", v.region),
        ("operator", "agency", v.operator),
    ],
    "enterprises": lambda v: [("region", "region", v.region)],
    "outlets": lambda v: [("enterprise", "enterprise", v.enterprise)],
    "limits": lambda v: [("outlet", "outlet", (v.enterprise, v.outlet))],
    "devices": lambda v: [
        ("station", "station", v.station),
        ("outlet", "outlet", tuple(v.outlet.split("/", 1)) if v.outlet else None),
        ("agency", "agency", v.agency),
    ],
    "calibrations": lambda v: [("device", "device", v.device)],
}
PARAMETER_FIELDS = {
    "stations": "parameters",
    "outlets": "parameters",
    "devices": "parameters",
    "limits": "parameter",
}


def _known_keys(document: Document, stored: _Stored) -> dict[str, set[Any]]:
    incoming = {
        section: {_key(section, r.value) for r in document.records[section]}
        for section in SECTIONS
    }
    return {
        "region": set(stored.regions) | incoming["regions"],
        "agency": set(stored.agencies) | incoming["agencies"],
        "enterprise": set(stored.enterprises) | incoming["enterprises"],
        "station": set(stored.stations) | incoming["stations"],
        "outlet": set(stored.outlets) | incoming["outlets"],
        "device": set(stored.devices) | incoming["devices"],
    }


def _check_references(
    document: Document, stored: _Stored, problems: list[Problem]
) -> None:
    known = _known_keys(document, stored)
    for section, records in document.records.items():
        for record in records:
            for field_name, kind, key in REFERENCES[section](record.value):
                if key is not None and key not in known[kind]:
                    shown = "/".join(key) if isinstance(key, tuple) else key
                    problems.append(
                        record.source.problem(
                            f"{kind} {shown} does not exist", field_name
                        )
                    )
            if section in PARAMETER_FIELDS:
                field_name = PARAMETER_FIELDS[section]
                codes = getattr(record.value, field_name)
                codes = [codes] if isinstance(codes, str) else codes
                unknown = [c for c in codes if c not in stored.parameters]
                if unknown:
                    problems.append(
                        record.source.problem(
                            f"unknown parameter code(s) {', '.join(unknown)} "
                            "(not in the HJ 212 catalogue)",
                            field_name,
                        )
                    )


def _final_mns(
    document: Document, stored: _Stored
) -> tuple[dict[str, str], dict[str, Record]]:
    """Returns each point's MN after the document is applied, and the records giving one."""
    owner = {f"station {c}": s.mn for c, s in stored.stations.items() if s.mn}
    owner.update(
        {f"outlet {e}/{c}": o.mn for (e, c), o in stored.outlets.items() if o.mn}
    )
    names: dict[str, Callable[[Any], str]] = {
        "stations": lambda v: f"station {v.code}",
        "outlets": lambda v: f"outlet {v.enterprise}/{v.code}",
    }
    sources: dict[str, Record] = {}
    for section, name_of in names.items():
        for record in document.records[section]:
            name = name_of(record.value)
            owner.pop(name, None)
            if record.value.mn:
                owner[name] = record.value.mn
                sources[name] = record
    return owner, sources


def _check_mns(document: Document, stored: _Stored, problems: list[Problem]) -> None:
    # One MN namespace for stations and outlets: the gateway identifies points by it.
    owner, sources = _final_mns(document, stored)
    by_mn: dict[str, list[str]] = defaultdict(list)
    for name, mn in owner.items():
        by_mn[mn].append(name)
    for mn, holders in by_mn.items():
        for name in holders:
            if len(holders) > 1 and name in sources:
                others = ", ".join(n for n in holders if n != name)
                problems.append(
                    sources[name].source.problem(
                        f"MN {mn} is already used by {others}", "mn"
                    )
                )


def _check_limit_periods(
    document: Document, stored: _Stored, problems: list[Problem]
) -> None:
    periods: dict[
        tuple[str, str, str], dict[date, tuple[date, date | None, Record | None]]
    ]
    periods = defaultdict(dict)
    for (credit_code, code), outlet in stored.outlets.items():
        for limit in outlet.limits:
            key = (credit_code, code, limit.parameter_code)
            periods[key][limit.effective_from] = (
                limit.effective_from,
                limit.effective_to,
                None,
            )
    for record in document.records["limits"]:
        limit_in_: LimitIn = record.value
        key = (limit_in_.enterprise, limit_in_.outlet, limit_in_.parameter)
        periods[key][limit_in_.effective_from] = (
            limit_in_.effective_from,
            limit_in_.effective_to,
            record,
        )
    for key, by_start in periods.items():
        ordered = sorted(by_start.values(), key=lambda p: p[0])
        for before, after in zip(ordered, ordered[1:], strict=False):
            if before[1] is None or before[1] >= after[0]:
                culprit = after[2] or before[2]
                if culprit is not None:
                    problems.append(
                        culprit.source.problem(
                            f"limit period from {after[0]} overlaps the period from "
                            f"{before[0]} to {before[1] or 'open end'} for "
                            f"{key[0]}/{key[1]} {key[2]}",
                            "effective_from",
                        )
                    )


def _check_calibrations(
    document: Document, stored: _Stored, problems: list[Problem]
) -> None:
    # Calibration records are evidence: an existing one may be repeated, never changed.
    for record in document.records["calibrations"]:
        value: CalibrationIn = record.value
        device = stored.devices.get(value.device)
        if device is None:
            continue
        same_day = [
            existing
            for existing in device.calibrations
            if (existing.performed_on, existing.kind)
            == (value.performed_on, value.kind)
        ]
        if same_day and calibration_in(device, same_day[0]) != value:
            problems.append(
                record.source.problem(
                    f"a {value.kind.value} of {value.device} on {value.performed_on} "
                    "is already recorded differently; records cannot be changed, "
                    "add a new one"
                )
            )


def validate(document: Document, stored: _Stored) -> list[Problem]:
    """Returns every problem of ``document`` against itself and the stored registry."""
    problems = list(document.problems)
    _check_duplicates(document, problems)
    _check_regions(document, stored, problems)
    _check_references(document, stored, problems)
    _check_mns(document, stored, problems)
    _check_limit_periods(document, stored, problems)
    _check_calibrations(document, stored, problems)
    return problems


def _snapshot(value: Any) -> dict[str, Any]:
    data: dict[str, Any] = value.model_dump(mode="json")
    if "password" in data:
        # The history shows that a device password changed, never the password itself.
        data["password"] = "***" if data["password"] else None
    return data


class _Writer:
    """Upserts validated records and appends one history row per real change."""

    def __init__(
        self, session: Session, stored: _Stored, actor: str, source: str, now: datetime
    ) -> None:
        self.session = session
        self.stored = stored
        self.actor = actor
        self.source = source
        self.now = now
        self.report = ApplyReport()
        self.ledger_entries: list[NewEntry] = []

    def record_change(
        self, section: str, entity: str, key: str, action: str, value: Any
    ) -> None:
        data = _snapshot(value)
        self.session.add(
            RegistryChange(
                entity=entity,
                entity_key=key,
                action=action,
                data=data,
                actor=self.actor,
                source=self.source,
                changed_at=self.now,
            )
        )
        self.ledger_entries.append(
            NewEntry(
                kind=f"registry.{action}",
                subject=f"{entity}:{key}",
                payload={"data": data, "source": self.source},
                actor=self.actor,
            )
        )
        self.report.note(section, action + "d")

    def upsert(
        self,
        section: str,
        entity: str,
        key: str,
        value: Any,
        existing: Any,
        current: Callable[[Any], Any],
        create: Callable[[], Any],
        assign: Callable[[Any], None],
    ) -> Any:
        if existing is None:
            row = create()
            assign(row)
            self.session.add(row)
            self.session.flush()
            self.record_change(section, entity, key, "create", value)
            return row
        if current(existing) == value:
            self.report.note(section, "unchanged")
            return existing
        assign(existing)
        self.session.flush()
        self.record_change(section, entity, key, "update", value)
        return existing

    def set_parameters(self, point: Point, codes: list[str]) -> None:
        wanted = sorted(set(codes))
        if point.parameter_codes != wanted:
            point.parameters = [PointParameter(parameter_code=c) for c in wanted]

    def regions(self, records: list[Record]) -> None:
        stored = self.stored.regions
        # Parents before children, whatever order the file gave.
        for record in sorted(records, key=lambda r: LEVEL_RANK[r.value.level]):
            value: RegionIn = record.value

            def assign(row: Region, value: RegionIn = value) -> None:
                parent = stored[value.parent] if value.parent else None
                row.code, row.name, row.level, row.parent = (
                    value.code,
                    value.name,
                    value.level,
                    parent,
                )
                row.path = (parent.path if parent else "/") + value.code + "/"

            row = self.upsert(
                "regions",
                "region",
                value.code,
                value,
                stored.get(value.code),
                region_in,
                Region,
                assign,
            )
            stored[value.code] = row

    def agencies(self, records: list[Record]) -> None:
        for record in records:
            value: AgencyIn = record.value

            def assign(row: Agency, value: AgencyIn = value) -> None:
                row.credit_code, row.name, row.kind = (
                    value.credit_code,
                    value.name,
                    value.kind,
                )
                row.region = self.stored.regions[value.region]

            self.stored.agencies[value.credit_code] = self.upsert(
                "agencies",
                "agency",
                value.credit_code,
                value,
                self.stored.agencies.get(value.credit_code),
                agency_in,
                Agency,
                assign,
            )

    def stations(self, records: list[Record]) -> None:
        for record in records:
            value: StationIn = record.value

            def assign(row: Station, value: StationIn = value) -> None:
                row.code, row.mn, row.hj212_password = (
                    value.code,
                    value.mn,
                    value.password,
                )
                row.name, row.element = value.name, value.element
                row.legacy_crc = value.legacy_crc
                row.control_level, row.status = value.control_level, value.status
                row.region = self.stored.regions[value.region]
                row.lon, row.lat = value.lon, value.lat
                row.operator = (
                    self.stored.agencies[value.operator] if value.operator else None
                )
                row.city_assessment = value.city_assessment
                row.waterbody, row.noise_zone = value.waterbody, value.noise_zone
                self.set_parameters(row, value.parameters)

            self.stored.stations[value.code] = self.upsert(
                "stations",
                "station",
                value.code,
                value,
                self.stored.stations.get(value.code),
                station_in,
                Station,
                assign,
            )

    def enterprises(self, records: list[Record]) -> None:
        for record in records:
            value: EnterpriseIn = record.value

            def assign(row: Enterprise, value: EnterpriseIn = value) -> None:
                data = value.model_dump(exclude={"region", "key_categories"})
                for name, item in data.items():
                    setattr(row, name, item)
                row.key_categories = sorted(str(c) for c in value.key_categories)
                row.region = self.stored.regions[value.region]

            self.stored.enterprises[value.credit_code] = self.upsert(
                "enterprises",
                "enterprise",
                value.credit_code,
                value,
                self.stored.enterprises.get(value.credit_code),
                enterprise_in,
                Enterprise,
                assign,
            )

    def outlets(self, records: list[Record]) -> None:
        for record in records:
            value: OutletIn = record.value
            enterprise = self.stored.enterprises[value.enterprise]

            def assign(
                row: Outlet,
                value: OutletIn = value,
                enterprise: Enterprise = enterprise,
            ) -> None:
                row.enterprise, row.code, row.name = enterprise, value.code, value.name
                row.outlet_kind, row.mn, row.hj212_password = (
                    value.kind,
                    value.mn,
                    value.password,
                )
                row.reference_o2 = value.reference_o2
                row.legacy_crc = value.legacy_crc
                row.emission_standard = value.emission_standard
                row.lon, row.lat, row.status = value.lon, value.lat, value.status
                row.region = enterprise.region
                self.set_parameters(row, value.parameters)

            key = (value.enterprise, value.code)
            self.stored.outlets[key] = self.upsert(
                "outlets",
                "outlet",
                "/".join(key),
                value,
                self.stored.outlets.get(key),
                outlet_in,
                Outlet,
                assign,
            )

    def limits(self, records: list[Record]) -> None:
        for record in records:
            value: LimitIn = record.value
            outlet = self.stored.outlets[(value.enterprise, value.outlet)]
            existing = next(
                (
                    limit
                    for limit in outlet.limits
                    if (limit.parameter_code, limit.effective_from)
                    == (value.parameter, value.effective_from)
                ),
                None,
            )

            def assign(
                row: PermitLimit, value: LimitIn = value, outlet: Outlet = outlet
            ) -> None:
                row.parameter_code, row.value, row.unit = (
                    value.parameter,
                    value.value,
                    value.unit,
                )
                row.corrected, row.lower_value = value.corrected, value.lower_value
                row.effective_from, row.effective_to = (
                    value.effective_from,
                    value.effective_to,
                )
                if row not in outlet.limits:
                    outlet.limits.append(row)

            key = f"{value.enterprise}/{value.outlet}/{value.parameter}/{value.effective_from}"
            self.upsert(
                "limits",
                "limit",
                key,
                value,
                existing,
                partial(limit_in, outlet),
                PermitLimit,
                assign,
            )

    def devices(self, records: list[Record]) -> None:
        for record in records:
            value: DeviceIn = record.value

            def assign(row: Device, value: DeviceIn = value) -> None:
                row.serial, row.model, row.manufacturer = (
                    value.serial,
                    value.model,
                    value.manufacturer,
                )
                row.kind, row.status = value.kind, value.status
                if value.station is not None:
                    row.point = self.stored.stations[value.station]
                else:
                    assert value.outlet is not None
                    credit_code, code = value.outlet.split("/", 1)
                    row.point = self.stored.outlets[(credit_code, code)]
                row.agency = (
                    self.stored.agencies[value.agency] if value.agency else None
                )
                row.parameter_codes = sorted(set(value.parameters))
                row.installed_on = value.installed_on

            self.stored.devices[value.serial] = self.upsert(
                "devices",
                "device",
                value.serial,
                value,
                self.stored.devices.get(value.serial),
                device_in,
                Device,
                assign,
            )

    def calibrations(self, records: list[Record]) -> None:
        for record in records:
            value: CalibrationIn = record.value
            device = self.stored.devices[value.device]
            if any(
                (c.performed_on, c.kind) == (value.performed_on, value.kind)
                for c in device.calibrations
            ):
                self.report.note("calibrations", "unchanged")
                continue
            row = Calibration(
                kind=value.kind,
                performed_on=value.performed_on,
                result=value.result,
                performed_by=value.performed_by,
                certificate=value.certificate,
                notes=value.notes,
            )
            device.calibrations.append(row)
            self.session.flush()
            key = f"{value.device}/{value.performed_on}/{value.kind.value}"
            self.record_change("calibrations", "calibration", key, "create", value)


def apply_document(
    *, session: Session, document: Document, actor: str, source: str, now: datetime
) -> ApplyReport:
    """Validates ``document`` whole and, if it has no problem, writes it.

    Raises
    ------
    ImportRejected
        With every problem found; nothing is written.
    """
    stored = _Stored(session)
    problems = validate(document, stored)
    if problems:
        msg = (
            f"registry import refused, nothing was written: {len(problems)} problem(s)"
        )
        raise ImportRejected(msg, problems)
    writer = _Writer(session, stored, actor, source, now)
    for section in (
        "regions",
        "agencies",
        "stations",
        "enterprises",
        "outlets",
        "limits",
        "devices",
        "calibrations",
    ):
        getattr(writer, section)(document.records[section])
    session.flush()
    # Sealed in the same transaction as the changes they record.
    ledger.append_many(session=session, entries=writer.ledger_entries, now=now)
    return writer.report


def _exists(section: str, value: Any, stored: _Stored) -> bool:
    if section == "limits":
        outlet = stored.outlets.get((value.enterprise, value.outlet))
        return outlet is not None and any(
            (limit.parameter_code, limit.effective_from)
            == (value.parameter, value.effective_from)
            for limit in outlet.limits
        )
    if section == "calibrations":
        device = stored.devices.get(value.device)
        return device is not None and any(
            (c.performed_on, c.kind) == (value.performed_on, value.kind)
            for c in device.calibrations
        )
    maps: dict[str, dict[Any, Any]] = {
        "regions": stored.regions,
        "agencies": stored.agencies,
        "stations": stored.stations,
        "enterprises": stored.enterprises,
        "outlets": stored.outlets,
        "devices": stored.devices,
    }
    return _key(section, value) in maps[section]


def _region_path_of(section: str, value: Any, stored: _Stored) -> str | None:
    """Returns the path of the region a record belongs to, if it can be known yet."""
    code: str | None = None
    if section == "regions":
        code = value.parent or value.code
    elif section in ("agencies", "stations", "enterprises"):
        code = value.region
    elif section in ("outlets", "limits"):
        enterprise = stored.enterprises.get(value.enterprise)
        return enterprise.region.path if enterprise else None
    elif section == "devices":
        if value.station is not None:
            station = stored.stations.get(value.station)
            return station.region.path if station else None
        credit_code, outlet_code = value.outlet.split("/", 1)
        outlet = stored.outlets.get((credit_code, outlet_code))
        return outlet.region.path if outlet else None
    elif section == "calibrations":
        device = stored.devices.get(value.device)
        return device.point.region.path if device else None
    region = stored.regions.get(code) if code else None
    return region.path if region else None


def _stored_region_path(section: str, value: Any, stored: _Stored) -> str | None:
    """Returns the region path of the stored version of a record (before an update)."""
    key = _key(section, value)
    holders: dict[str, Callable[[], Any]] = {
        "regions": lambda: stored.regions[key],
        "agencies": lambda: stored.agencies[key].region,
        "stations": lambda: stored.stations[key].region,
        "enterprises": lambda: stored.enterprises[key].region,
        "devices": lambda: stored.devices[key].point.region,
    }
    if section not in holders:
        return (
            None  # outlets, limits, calibrations: their parent decides, checked above
        )
    region: Region = holders[section]()
    return region.path


def save_record(
    *,
    session: Session,
    section: str,
    value: Any,
    actor: str,
    now: datetime,
    region_path: str | None,
    create: bool,
) -> ApplyReport:
    """Creates (``create=True``) or updates one record through :func:`apply_document`.

    ``region_path`` is the caller's region subtree (``None``: everywhere); a record outside
    it is refused, and so is creating what exists or updating what does not.
    """
    stored = _Stored(session)
    exists = _exists(section, value, stored)
    label = (
        f"{section[:-1] if section != 'agencies' else 'agency'} {_key(section, value)}"
    )
    if create and exists:
        msg = f"{label} already exists; update it instead"
        raise ConflictError(msg)
    if not create and not exists:
        msg = f"{label} does not exist"
        raise NotFoundError(msg)
    paths = [_region_path_of(section, value, stored)]
    if exists:
        paths.append(_stored_region_path(section, value, stored))
    if region_path is not None and any(
        path is not None and not path.startswith(region_path) for path in paths
    ):
        msg = f"{label} lies outside your region"
        raise PermissionDenied(msg)
    document = Document()
    document.records[section].append(
        Record(RecordSource("request", None, "body"), value)
    )
    return apply_document(
        session=session, document=document, actor=actor, source="api", now=now
    )
