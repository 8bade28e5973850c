"""Pydantic shapes of registry records: ``*In`` for import and create, ``*Read`` for output.

The ``*In`` models are the one canonical, flat form of each record: the YAML and CSV
importers produce them, the exporters write them, and the API accepts them. Natural keys
(region code, credit code, station code, outlet code within its enterprise, device serial)
identify records across installations; database ids never leave the API.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from envmon.registry.credit_code import credit_code_problem
from envmon.registry.enums import (
    AgencyKind,
    CalibrationKind,
    CalibrationResult,
    ControlLevel,
    DeviceKind,
    Element,
    KeyCategory,
    Medium,
    OutletKind,
    RegionLevel,
    Status,
)

__all__ = [
    "AgencyIn",
    "AgencyRead",
    "CalibrationIn",
    "CreditCode",
    "DeviceIn",
    "DeviceRead",
    "EnterpriseIn",
    "EnterpriseRead",
    "LimitIn",
    "OutletIn",
    "OutletRead",
    "Page",
    "ParameterIn",
    "RegionCode",
    "RegionIn",
    "RegionRead",
    "RegistryChangeRead",
    "StationIn",
    "StationRead",
]

T = TypeVar("T")


def _check_credit_code(value: str) -> str:
    problem = credit_code_problem(value)
    if problem:
        msg = f"invalid unified social credit code {value!r}: {problem}"
        raise ValueError(msg)
    return value


def _split_list(value: Any) -> Any:
    # CSV cells carry lists as space- or comma-separated words.
    if isinstance(value, str):
        return [part for part in re.split(r"[\s,;]+", value) if part]
    return value


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


CreditCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True),
    AfterValidator(_check_credit_code),
]
RegionCode = Annotated[str, StringConstraints(pattern=r"^(\d{6}|\d{9}|\d{12})$")]
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
Mn = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z_\-]{4,32}$"),
]
CodeList = Annotated[
    list[Code], BeforeValidator(_split_list), AfterValidator(lambda v: sorted(set(v)))
]
OptStr = Annotated[str | None, BeforeValidator(_blank_to_none)]
OptFloat = Annotated[float | None, BeforeValidator(_blank_to_none)]
OptDate = Annotated[date | None, BeforeValidator(_blank_to_none)]
Longitude = Annotated[
    Annotated[float, Field(ge=73, le=136)] | None, BeforeValidator(_blank_to_none)
]
Latitude = Annotated[
    Annotated[float, Field(ge=3, le=54)] | None, BeforeValidator(_blank_to_none)
]


class InModel(BaseModel):
    """Base of the canonical record shapes: strict keys, no unknown fields."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RegionIn(InModel):
    """An administrative region; counties and above use GB/T 2260 six-digit codes."""

    code: RegionCode
    name: Name
    level: RegionLevel
    parent: Annotated[RegionCode | None, BeforeValidator(_blank_to_none)] = None

    @model_validator(mode="after")
    def _code_fits_level(self) -> RegionIn:
        # GB/T 2260: province XX0000, city XXXX00 (municipal districts too), county XXXXXX;
        # townships carry 9 (or 12) digits whose first six are their county.
        code = self.code
        fits = {
            RegionLevel.PROVINCE: len(code) == 6 and code.endswith("0000"),
            RegionLevel.CITY: len(code) == 6 and code.endswith("00"),
            RegionLevel.COUNTY: len(code) == 6,
            RegionLevel.TOWNSHIP: len(code) in (9, 12),
        }[self.level]
        if not fits:
            msg = f"code {self.code} does not fit level {self.level.value} (GB/T 2260)"
            raise ValueError(msg)
        if self.level is RegionLevel.PROVINCE and self.parent is not None:
            msg = "a province has no parent"
            raise ValueError(msg)
        if self.level is not RegionLevel.PROVINCE and self.parent is None:
            msg = f"a {self.level.value} needs a parent region"
            raise ValueError(msg)
        return self


class AgencyIn(InModel):
    """An O&M agency, monitoring agency or equipment supplier."""

    credit_code: CreditCode
    name: Name
    kind: AgencyKind
    region: RegionCode


class ParameterIn(InModel):
    """An entry of the HJ 212 parameter catalogue."""

    code: Code
    code_2005: OptStr = None
    name_zh: Name
    name_en: Name
    unit: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    amount_unit: OptStr = None
    medium: Medium


LegacyCrc = Annotated[
    Literal["modbus", "modbus-swapped"] | None, BeforeValidator(_blank_to_none)
]


class StationIn(InModel):
    """An ambient monitoring station of any element."""

    code: Code
    mn: Annotated[Mn | None, BeforeValidator(_blank_to_none)] = None
    password: OptStr = None
    legacy_crc: LegacyCrc = None
    name: Name
    element: Element
    control_level: ControlLevel
    region: RegionCode
    lon: Longitude = None
    lat: Latitude = None
    operator: Annotated[CreditCode | None, BeforeValidator(_blank_to_none)] = None
    status: Status = Status.ACTIVE
    parameters: CodeList = Field(default_factory=list)
    city_assessment: bool = False
    waterbody: Annotated[
        Literal["river", "lake"] | None, BeforeValidator(_blank_to_none)
    ] = None
    noise_zone: Annotated[
        Literal["0", "1", "2", "3", "4a", "4b"] | None,
        BeforeValidator(_blank_to_none),
    ] = None


class EnterpriseIn(InModel):
    """A pollutant-discharging unit (排污单位)."""

    credit_code: CreditCode
    name: Name
    region: RegionCode
    industry: Name
    industry_code: OptStr = None
    key_categories: Annotated[
        list[KeyCategory],
        BeforeValidator(_split_list),
        AfterValidator(lambda v: sorted(set(v))),
    ] = Field(default_factory=list)
    permit_number: OptStr = None
    responsible_name: Name
    responsible_phone: Annotated[str, StringConstraints(pattern=r"^[0-9+\-() ]{5,30}$")]
    responsible_email: Annotated[
        Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None,
        BeforeValidator(_blank_to_none),
    ] = None
    lon: Longitude = None
    lat: Latitude = None
    status: Status = Status.ACTIVE


class OutletIn(InModel):
    """A discharge outlet of an enterprise, with its HJ 212 identity."""

    enterprise: CreditCode
    code: Code
    name: Name
    kind: OutletKind
    mn: Annotated[Mn | None, BeforeValidator(_blank_to_none)] = None
    password: OptStr = None
    legacy_crc: LegacyCrc = None
    reference_o2: Annotated[
        Annotated[float, Field(ge=0, lt=21)] | None, BeforeValidator(_blank_to_none)
    ] = None
    emission_standard: OptStr = None
    lon: Longitude = None
    lat: Latitude = None
    status: Status = Status.ACTIVE
    parameters: CodeList = Field(default_factory=list)


class LimitIn(InModel):
    """A permit limit of one outlet and parameter over a date range."""

    enterprise: CreditCode
    outlet: Code
    parameter: Code
    value: Annotated[float, Field(gt=0)]
    lower_value: OptFloat = Field(
        default=None, description="lower bound of a range limit, e.g. pH 6 of 6-9"
    )
    unit: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    corrected: bool = False
    effective_from: date
    effective_to: OptDate = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> LimitIn:
        if self.lower_value is not None and self.lower_value >= self.value:
            msg = f"lower_value {self.lower_value} must be below value {self.value}"
            raise ValueError(msg)
        if self.effective_to is not None and self.effective_to < self.effective_from:
            msg = (
                f"effective_to {self.effective_to} is before "
                f"effective_from {self.effective_from}"
            )
            raise ValueError(msg)
        return self


class DeviceIn(InModel):
    """An analyser or data logger at exactly one station or outlet."""

    serial: Code
    model: Name
    manufacturer: OptStr = None
    kind: DeviceKind
    station: OptStr = None
    outlet: Annotated[
        Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{18}/.+$")] | None,
        BeforeValidator(_blank_to_none),
    ] = Field(default=None, description="'<enterprise credit code>/<outlet code>'")
    agency: Annotated[CreditCode | None, BeforeValidator(_blank_to_none)] = None
    parameters: CodeList = Field(default_factory=list)
    installed_on: OptDate = None
    status: Status = Status.ACTIVE

    @model_validator(mode="after")
    def _one_location(self) -> DeviceIn:
        if (self.station is None) == (self.outlet is None):
            msg = "a device is at exactly one place: give either station or outlet"
            raise ValueError(msg)
        return self


class CalibrationIn(InModel):
    """A calibration, verification or comparison of a device."""

    device: Code
    kind: CalibrationKind
    performed_on: date
    result: CalibrationResult
    performed_by: OptStr = None
    certificate: OptStr = None
    notes: OptStr = None


class ReadModel(BaseModel):
    """Base of output shapes."""

    model_config = ConfigDict(from_attributes=True)


class RegionRead(RegionIn):
    """A region as the API shows it."""

    model_config = ConfigDict(extra="ignore")


class AgencyRead(AgencyIn):
    """An agency as the API shows it."""

    model_config = ConfigDict(extra="ignore")


class StationRead(StationIn):
    """A station as the API shows it (the HJ 212 password is never shown)."""

    model_config = ConfigDict(extra="ignore")
    password: str | None = Field(default=None, exclude=True)


class EnterpriseRead(EnterpriseIn):
    """An enterprise as the API shows it, with its outlets' codes."""

    model_config = ConfigDict(extra="ignore")
    outlets: list[str] = Field(default_factory=list)


class OutletRead(OutletIn):
    """An outlet as the API shows it, with its permit limits."""

    model_config = ConfigDict(extra="ignore")
    password: str | None = Field(default=None, exclude=True)
    limits: list[LimitIn] = Field(default_factory=list)


class DeviceRead(DeviceIn):
    """A device as the API shows it, with its calibration records."""

    model_config = ConfigDict(extra="ignore")
    calibrations: list[CalibrationIn] = Field(default_factory=list)


class RegistryChangeRead(ReadModel):
    """One entry of a record's change history."""

    entity: str
    entity_key: str
    action: str
    data: dict[str, Any]
    actor: str
    source: str | None
    changed_at: Any


class Page(BaseModel, Generic[T]):
    """One page of a listing."""

    items: list[T]
    total: int
    page: int
    size: int

    @field_validator("page", "size")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            msg = "must be at least 1"
            raise ValueError(msg)
        return value
