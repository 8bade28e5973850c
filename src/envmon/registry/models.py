"""Registry tables: regions, agencies, parameters, stations, enterprises, outlets, devices.

Stations and outlets are both HJ 212 data *points* (joined-table inheritance on ``points``):
one MN namespace, one place the gateway looks up credentials, one key for measurements.
Nothing here is ever deleted: records are retired through ``status``, and every change is
appended to ``registry_changes`` (who, when, what it became).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from envmon.registry.enums import (
    AgencyKind,
    CalibrationKind,
    CalibrationResult,
    ControlLevel,
    DeviceKind,
    Element,
    Medium,
    OutletKind,
    PointKind,
    RegionLevel,
    Status,
)
from envmon.storage.base import Base
from envmon.storage.types import UTCDateTime, enum_column

__all__ = [
    "Agency",
    "Calibration",
    "Device",
    "Enterprise",
    "Outlet",
    "Parameter",
    "PermitLimit",
    "Point",
    "PointParameter",
    "Region",
    "RegistryChange",
    "Station",
]


class Region(Base):
    """An administrative region (GB/T 2260 code; township codes have 9 digits)."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[RegionLevel] = mapped_column(enum_column(RegionLevel))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    # Materialised path of codes, "/110000/110100/110105/": subtree filters are a prefix
    # match, which every backend indexes.
    path: Mapped[str] = mapped_column(String(200), index=True)

    parent: Mapped[Region | None] = relationship(remote_side="Region.id")


class Agency(Base):
    """A third party: O&M agency (运维机构), monitoring agency or equipment supplier."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AgencyKind] = mapped_column(enum_column(AgencyKind))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))

    region: Mapped[Region] = relationship()


class Parameter(Base):
    """A monitored parameter of the HJ 212 catalogue (2017 code, 2005 alias)."""

    __tablename__ = "parameters"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    code_2005: Mapped[str | None] = mapped_column(String(12), index=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(20))
    amount_unit: Mapped[str | None] = mapped_column(String(20))
    medium: Mapped[Medium] = mapped_column(enum_column(Medium))


class Point(Base):
    """An HJ 212 data point: a station or an outlet. ``mn`` is unique across both."""

    __tablename__ = "points"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PointKind] = mapped_column(enum_column(PointKind))
    mn: Mapped[str | None] = mapped_column(String(32), unique=True)
    # HJ 212 sends PW in clear and the platform must send it back in commands, so it is
    # stored as given; it authenticates frames, it is not a user password.
    hj212_password: Mapped[str | None] = mapped_column(String(32))
    # A legacy HJ/T 212-2005 logger's CRC-16/MODBUS variant ("modbus" or "modbus-swapped")
    # accepted from this point only; None: only the standard HJ 212 CRC.
    legacy_crc: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    status: Mapped[Status] = mapped_column(enum_column(Status), default=Status.ACTIVE)

    region: Mapped[Region] = relationship()
    parameters: Mapped[list[PointParameter]] = relationship(
        cascade="all, delete-orphan", order_by="PointParameter.parameter_code"
    )

    __mapper_args__ = {"polymorphic_on": "kind"}

    @property
    def parameter_codes(self) -> list[str]:
        """Returns the codes of the parameters this point measures, sorted."""
        return [p.parameter_code for p in self.parameters]


class PointParameter(Base):
    """A parameter a point measures."""

    __tablename__ = "point_parameters"

    point_id: Mapped[int] = mapped_column(ForeignKey("points.id"), primary_key=True)
    parameter_code: Mapped[str] = mapped_column(
        ForeignKey("parameters.code"), primary_key=True
    )


class Station(Point):
    """A fixed ambient monitoring station of any element (监测点位)."""

    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(ForeignKey("points.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    element: Mapped[Element] = mapped_column(enum_column(Element))
    control_level: Mapped[ControlLevel] = mapped_column(enum_column(ControlLevel))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    # An ambient-air station whose concentrations make the city's value (城市评价点;
    # background, regional and traffic stations do not).
    city_assessment: Mapped[bool] = mapped_column(Boolean, default=False)
    # A surface-water section's water body ("river" or "lake": GB 3838 TP differs).
    waterbody: Mapped[str | None] = mapped_column(String(8))
    # A noise station's acoustic functional zone (GB 3096-2008: 0, 1, 2, 3, 4a, 4b).
    noise_zone: Mapped[str | None] = mapped_column(String(4))

    operator: Mapped[Agency | None] = relationship()

    __mapper_args__ = {"polymorphic_identity": PointKind.STATION}


class Enterprise(Base):
    """A pollutant-discharging unit (排污单位) identified by its credit code."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    industry: Mapped[str] = mapped_column(String(100))
    industry_code: Mapped[str | None] = mapped_column(String(10))
    key_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    permit_number: Mapped[str | None] = mapped_column(String(40))
    responsible_name: Mapped[str] = mapped_column(String(50))
    responsible_phone: Mapped[str] = mapped_column(String(30))
    responsible_email: Mapped[str | None] = mapped_column(String(200))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    status: Mapped[Status] = mapped_column(enum_column(Status), default=Status.ACTIVE)

    region: Mapped[Region] = relationship()
    outlets: Mapped[list[Outlet]] = relationship(
        back_populates="enterprise", order_by="Outlet.code"
    )


class Outlet(Point):
    """A discharge outlet (排放口) of an enterprise: a stack or a wastewater outlet."""

    __tablename__ = "outlets"
    __table_args__ = (UniqueConstraint("enterprise_id", "code"),)

    id: Mapped[int] = mapped_column(ForeignKey("points.id"), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    outlet_kind: Mapped[OutletKind] = mapped_column(enum_column(OutletKind))
    reference_o2: Mapped[float | None] = mapped_column(Float)
    emission_standard: Mapped[str | None] = mapped_column(String(100))

    enterprise: Mapped[Enterprise] = relationship(back_populates="outlets")
    limits: Mapped[list[PermitLimit]] = relationship(
        cascade="all, delete-orphan",
        order_by="(PermitLimit.parameter_code, PermitLimit.effective_from)",
    )

    __mapper_args__ = {"polymorphic_identity": PointKind.OUTLET}


class PermitLimit(Base):
    """A permit limit for one outlet and parameter, in force over a date range."""

    __tablename__ = "permit_limits"
    __table_args__ = (
        UniqueConstraint("outlet_id", "parameter_code", "effective_from"),
        CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from", name="date_order"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"), index=True)
    parameter_code: Mapped[str] = mapped_column(ForeignKey("parameters.code"))
    value: Mapped[float] = mapped_column(Float)
    # Lower bound for range limits (pH 6–9); None for the usual upper limit only.
    lower_value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    # True: the limit applies to the oxygen-corrected concentration (折算浓度).
    corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)


class Device(Base):
    """An analyser or data logger installed at a point and operated by an agency."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(64), unique=True)
    model: Mapped[str] = mapped_column(String(100))
    manufacturer: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[DeviceKind] = mapped_column(enum_column(DeviceKind))
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    parameter_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    installed_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[Status] = mapped_column(enum_column(Status), default=Status.ACTIVE)

    point: Mapped[Point] = relationship()
    agency: Mapped[Agency | None] = relationship()
    calibrations: Mapped[list[Calibration]] = relationship(
        order_by="(Calibration.performed_on, Calibration.id)"
    )


class Calibration(Base):
    """A calibration, verification or comparison record of a device (append-only)."""

    __tablename__ = "calibrations"
    __table_args__ = (UniqueConstraint("device_id", "performed_on", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    kind: Mapped[CalibrationKind] = mapped_column(enum_column(CalibrationKind))
    performed_on: Mapped[date] = mapped_column(Date)
    result: Mapped[CalibrationResult] = mapped_column(enum_column(CalibrationResult))
    performed_by: Mapped[str | None] = mapped_column(String(100))
    certificate: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)


class RegistryChange(Base):
    """One change to a registry record: who, when, and what it became (append-only)."""

    __tablename__ = "registry_changes"
    __table_args__ = (Index("ix_registry_changes_entity_key", "entity", "entity_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(300))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
