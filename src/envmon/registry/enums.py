"""Closed vocabularies of the registry (see docs/glossary.md for the Chinese labels)."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AgencyKind",
    "CalibrationKind",
    "CalibrationResult",
    "ControlLevel",
    "DeviceKind",
    "Element",
    "KeyCategory",
    "Medium",
    "OutletKind",
    "PointKind",
    "RegionLevel",
    "Status",
]


class RegionLevel(StrEnum):
    """Administrative level (GB/T 2260 for province/city/county; township 9 digits)."""

    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"


class Element(StrEnum):
    """Environmental element a station monitors (环境要素)."""

    AIR = "air"
    SURFACE_WATER = "surface_water"
    DRINKING_WATER = "drinking_water"
    GROUNDWATER = "groundwater"
    SOIL = "soil"
    NOISE = "noise"
    RADIATION = "radiation"
    VOC = "voc"
    ECOLOGY = "ecology"


class ControlLevel(StrEnum):
    """Who controls and assesses a station (国控/省控/市控/县控/乡镇)."""

    NATIONAL = "national"
    PROVINCIAL = "provincial"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"


class Status(StrEnum):
    """Life-cycle state of a station, outlet or device; records are retired, not deleted."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    RETIRED = "retired"


class OutletKind(StrEnum):
    """Kind of discharge outlet (废气 / 废水)."""

    FLUE_GAS = "flue_gas"
    WASTEWATER = "wastewater"


class PointKind(StrEnum):
    """What an HJ 212 data point is: an ambient station or an enterprise outlet."""

    STATION = "station"
    OUTLET = "outlet"


class KeyCategory(StrEnum):
    """Key pollutant-discharge unit category (重点排污单位类别)."""

    AIR = "air"
    WATER = "water"
    SOIL = "soil"
    NOISE = "noise"


class AgencyKind(StrEnum):
    """Kind of third party: O&M agency, monitoring agency or equipment supplier."""

    OM = "om"
    MONITORING = "monitoring"
    SUPPLIER = "supplier"


class DeviceKind(StrEnum):
    """Analyser (自动监测设备) or data logger (数采仪)."""

    ANALYSER = "analyser"
    DATA_LOGGER = "data_logger"


class CalibrationKind(StrEnum):
    """Calibration (校准), verification (检定) or manual comparison (比对)."""

    CALIBRATION = "calibration"
    VERIFICATION = "verification"
    COMPARISON = "comparison"


class CalibrationResult(StrEnum):
    """Outcome of a calibration, verification or comparison."""

    PASS = "pass"
    FAIL = "fail"


class Medium(StrEnum):
    """What a parameter is measured in."""

    WATER = "water"
    AIR = "air"
    FLUE_GAS = "flue_gas"
    NOISE = "noise"
    METEOROLOGY = "meteorology"
    RADIATION = "radiation"
    DEVICE = "device"
