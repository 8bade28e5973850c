"""Surface-water quality: GB 3838-2002 classes, single-factor evaluation and the CWQI. Pure.

A sample is classed item by item against GB 3838-2002 Table 1 and the section takes the worst
item class (单因子评价). Limits are inclusive and a tie goes to the better class (NH3-N = 1.0 is
class III); DO is "≥" (higher is better); pH inside 6–9 never limits the class and outside it
makes the sample 劣Ⅴ.

Readings chosen where the reference (``water.md``) is silent or uncertain:

* The overall class counts the 21 items of 环办〔2011〕22号 (Table 1 without water temperature,
  TN and fecal coliform), for rivers and lakes alike. Fecal coliform and lake TN are
  *reference items*: classed into :attr:`WaterAssessment.reference_classes` (not in
  ``as_json``), counted only if listed in ``items``. GB 3838 sets TN for lakes and reservoirs
  only, so a river's TN is ignored by :func:`assess` and raises in :func:`item_class`.
* Main pollutants: items worse than class III, cyanide and the key heavy metals first
  (:data:`PRIORITY_ITEMS`), then worst class, then largest exceedance multiple, at most three.
  pH and DO can be main pollutants but get no multiple (``None``), and rank after the items of
  the same class that have one. Multiples and the CWQI are not rounded (``water.md`` gives no
  rounding; reports print multiples to one decimal).
* The CWQI of :func:`assess` sums the single indices of the items present; a missing item is
  left out, so compare sections only over the same item set. :func:`cwqi` propagates NaN.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = [
    "CLASS_LIMITS",
    "EVALUATION_ITEMS",
    "ITEMS",
    "LAKE_TP_LIMITS",
    "PH_RANGE",
    "PRIORITY_ITEMS",
    "REFERENCE_ITEMS",
    "MainPollutant",
    "WaterAssessment",
    "WaterBody",
    "WaterClass",
    "WaterStatus",
    "assess",
    "cwqi",
    "evaluate_record",
    "item_class",
    "item_classes",
    "single_index",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class WaterBody(StrEnum):
    """Kind of water body: lakes and reservoirs have their own TP limits and the TN item."""

    RIVER = "river"
    LAKE = "lake"  # lakes and reservoirs (湖、库)


class WaterClass(IntEnum):
    """GB 3838-2002 water quality class; ``WORSE_THAN_V`` (6) is 劣Ⅴ类."""

    I = 1  # noqa: E741 - the standard's own name
    II = 2
    III = 3
    IV = 4
    V = 5
    WORSE_THAN_V = 6

    @property
    def label(self) -> str:
        """Chinese label, e.g. ``"Ⅲ类"`` or ``"劣Ⅴ类"``."""
        return ("Ⅰ类", "Ⅱ类", "Ⅲ类", "Ⅳ类", "Ⅴ类", "劣Ⅴ类")[self - 1]

    @property
    def label_en(self) -> str:
        """English label, e.g. ``"III"`` or ``"worse than V"``."""
        return ("I", "II", "III", "IV", "V", "worse than V")[self - 1]


class WaterStatus(StrEnum):
    """Qualitative grade of a section or river (环办〔2011〕22号)."""

    EXCELLENT = "优"
    GOOD = "良好"
    LIGHTLY_POLLUTED = "轻度污染"
    MODERATELY_POLLUTED = "中度污染"
    HEAVILY_POLLUTED = "重度污染"

    @property
    def colour(self) -> str:
        """Map colour of the grade: blue, green, yellow, orange or red."""
        return _COLOURS[self]

    @classmethod
    def of_section(cls, water_class: WaterClass) -> WaterStatus:
        """Grade one section: Ⅰ–Ⅱ 优, Ⅲ 良好, Ⅳ 轻度, Ⅴ 中度, 劣Ⅴ 重度污染."""
        statuses = list(cls)
        return statuses[max(int(water_class) - 2, 0)]


_COLOURS: Final = dict(
    zip(WaterStatus, ("blue", "green", "yellow", "orange", "red"), strict=True)
)

ITEMS: Final = (
    *("pH", "DO", "CODMn", "COD", "BOD5", "NH3N", "TP", "TN", "Cu", "Zn", "F", "Se"),
    *("As", "Hg", "Cd", "Cr6", "Pb", "CN", "VolatilePhenol", "Petroleum", "LAS"),
    *("Sulfide", "FecalColiform"),
)
"""GB 3838-2002 Table 1 items except water temperature, in table order."""

REFERENCE_ITEMS: Final = ("TN", "FecalColiform")
"""Items reported on their own and left out of the overall class and the CWQI."""

EVALUATION_ITEMS: Final = tuple(item for item in ITEMS if item not in REFERENCE_ITEMS)
"""The 21 items of the overall class and of the CWQI (环办〔2011〕22号, 环办监测〔2017〕51号)."""

PRIORITY_ITEMS: Final = frozenset({"CN", "Pb", "Cr6", "Hg", "Cd", "As"})
"""Listed first among main pollutants when they exceed class III: "氰化物或铅、铬等重金属".

The heavy metals are read as the five key ones of national heavy-metal control (Pb, Hg, Cd,
Cr, As); Cu, Zn and Se rank like any other item.
"""

PH_RANGE: Final = (6.0, 9.0)
"""pH range of every class, inclusive (GB 3838-2002 Table 1, item 2)."""

CLASS_LIMITS: Final[Mapping[str, tuple[float, float, float, float, float]]] = {
    "DO": (7.5, 6.0, 5.0, 3.0, 2.0),  # "≥"; class I is 90 % saturation or 7.5
    "CODMn": (2.0, 4.0, 6.0, 10.0, 15.0),
    "COD": (15.0, 15.0, 20.0, 30.0, 40.0),
    "BOD5": (3.0, 3.0, 4.0, 6.0, 10.0),
    "NH3N": (0.15, 0.5, 1.0, 1.5, 2.0),
    "TP": (0.02, 0.1, 0.2, 0.3, 0.4),  # rivers; lakes: LAKE_TP_LIMITS
    "TN": (0.2, 0.5, 1.0, 1.5, 2.0),  # lakes and reservoirs only
    "Cu": (0.01, 1.0, 1.0, 1.0, 1.0),
    "Zn": (0.05, 1.0, 1.0, 2.0, 2.0),
    "F": (1.0, 1.0, 1.0, 1.5, 1.5),
    "Se": (0.01, 0.01, 0.01, 0.02, 0.02),
    "As": (0.05, 0.05, 0.05, 0.1, 0.1),
    "Hg": (0.00005, 0.00005, 0.0001, 0.001, 0.001),
    "Cd": (0.001, 0.005, 0.005, 0.005, 0.01),
    "Cr6": (0.01, 0.05, 0.05, 0.05, 0.1),
    "Pb": (0.01, 0.01, 0.05, 0.05, 0.1),
    "CN": (0.005, 0.05, 0.2, 0.2, 0.2),
    "VolatilePhenol": (0.002, 0.002, 0.005, 0.01, 0.1),
    "Petroleum": (0.05, 0.05, 0.05, 0.5, 1.0),
    "LAS": (0.2, 0.2, 0.2, 0.3, 0.3),
    "Sulfide": (0.05, 0.1, 0.2, 0.5, 1.0),
    "FecalColiform": (200.0, 2000.0, 10000.0, 20000.0, 40000.0),  # [counts/L]
}
"""Class Ⅰ–Ⅴ limits of GB 3838-2002 Table 1 (basic items 3–24) [mg/L].

"≤" limits except DO ("≥"); a value equal to a limit belongs to that (the better) class.
pH is :data:`PH_RANGE`; lake and reservoir TP is :data:`LAKE_TP_LIMITS`.
"""

LAKE_TP_LIMITS: Final = (0.01, 0.025, 0.05, 0.1, 0.2)
"""Total phosphorus limits for lakes and reservoirs, GB 3838-2002 Table 1 item 8 [mg/L]."""

_HIGHER_IS_BETTER: Final = frozenset({"DO"})
# 环办〔2011〕22号: no exceedance multiple for water temperature, pH and DO.
_NO_MULTIPLE: Final = frozenset({"pH", "DO"})


def _water_body(waterbody: WaterBody | str) -> WaterBody:
    try:
        return WaterBody(waterbody)
    except ValueError as err:
        msg = f"unknown water body {waterbody!r}; expected 'river' or 'lake'"
        raise ValueError(msg) from err


def _limits(item: str, body: WaterBody) -> tuple[float, float, float, float, float]:
    if item == "TP" and body is WaterBody.LAKE:
        return LAKE_TP_LIMITS
    if item == "TN" and body is WaterBody.RIVER:
        msg = (
            "GB 3838-2002 sets TN limits for lakes and reservoirs only, not for rivers"
        )
        raise ValueError(msg)
    if item not in CLASS_LIMITS:
        msg = f"no class limits for item {item!r}; expected one of {', '.join(ITEMS)}"
        raise ValueError(msg)
    return CLASS_LIMITS[item]


def item_classes(
    item: str, values: npt.ArrayLike, *, waterbody: WaterBody | str
) -> IntArray:
    """Class many values of one item (vectorised single-factor evaluation).

    Parameters
    ----------
    item : str
        An item of :data:`ITEMS`.
    values : array-like
        Concentrations [mg/L; pH: dimensionless; fecal coliform: counts/L].
    waterbody : WaterBody or str
        ``"river"`` or ``"lake"``.

    Returns
    -------
    numpy.ndarray of int
        Class numbers 1–6 (6 = 劣Ⅴ), 0 where the value is NaN. pH inside 6–9 gives 1.

    References
    ----------
    .. [1] GB 3838-2002, Table 1 and §5.

    Examples
    --------
    >>> item_classes("NH3N", [0.15, 1.0, 1.01, 2.5, float("nan")], waterbody="river")
    array([1, 3, 4, 6, 0])
    >>> item_classes("DO", [7.5, 5.0, 4.9, 1.9], waterbody="river")
    array([1, 3, 4, 6])
    """
    array = np.asarray(values, dtype=np.float64)
    if item == "pH":
        low, high = PH_RANGE
        classes = np.where((array >= low) & (array <= high), 1, 6)
    else:
        limits = np.asarray(_limits(item, _water_body(waterbody)), dtype=np.float64)
        # searchsorted "left" counts limits strictly better than the value: ties stay in the
        # better class, as GB 3838's "≤"/"≥" requires.
        if item in _HIGHER_IS_BETTER:
            classes = np.searchsorted(-limits, -array, side="left") + 1
        else:
            classes = np.searchsorted(limits, array, side="left") + 1
    return np.where(np.isnan(array), 0, classes).astype(np.int64)


def item_class(item: str, value: float, *, waterbody: WaterBody | str) -> WaterClass:
    """Class one value of one item.

    Parameters
    ----------
    item : str
        An item of :data:`ITEMS`.
    value : float
        Concentration [mg/L; pH: dimensionless; fecal coliform: counts/L].
    waterbody : WaterBody or str
        ``"river"`` or ``"lake"``.

    Returns
    -------
    WaterClass

    Raises
    ------
    ValueError
        For an unknown item, a NaN value, or TN of a river.

    References
    ----------
    .. [1] GB 3838-2002, Table 1 and §5.

    Examples
    --------
    >>> item_class("TP", 0.1, waterbody="river").label
    'Ⅱ类'
    >>> item_class("TP", 0.1, waterbody="lake").label
    'Ⅳ类'
    """
    if math.isnan(value):
        msg = f"{item}: value is NaN"
        raise ValueError(msg)
    return WaterClass(int(item_classes(item, value, waterbody=waterbody)))


def single_index(
    item: str, values: npt.ArrayLike, *, waterbody: WaterBody | str
) -> FloatArray:
    """Single-item CWQI index: C/C_III, DO 5/C, pH by its distance from 7.

    Parameters
    ----------
    item : str
        An item of :data:`ITEMS`.
    values : array-like
        Concentrations (period means) [mg/L; pH: dimensionless].
    waterbody : WaterBody or str
        ``"river"`` or ``"lake"`` (lake TP is divided by 0.05).

    Returns
    -------
    numpy.ndarray of float
        The index; NaN where the value is NaN, ``inf`` where DO is 0.

    References
    ----------
    .. [1] 城市地表水环境质量排名技术规定（试行）, 环办监测〔2017〕51号.

    Examples
    --------
    >>> single_index("pH", [6.5, 8.0], waterbody="river")
    array([0.5, 0.5])
    >>> single_index("DO", [4.0, 10.0], waterbody="river")
    array([1.25, 0.5 ])
    """
    array = np.asarray(values, dtype=np.float64)
    if item == "pH":
        return np.where(array <= 7.0, (7.0 - array) / 1.0, (array - 7.0) / 2.0)
    class_iii = _limits(item, _water_body(waterbody))[2]
    if item in _HIGHER_IS_BETTER:
        with np.errstate(divide="ignore", over="ignore"):  # DO → 0 gives inf
            return class_iii / array
    return array / class_iii


def cwqi(
    concentrations: Mapping[str, npt.ArrayLike],
    *,
    waterbody: WaterBody | str,
) -> FloatArray:
    """City/section water quality index CWQI: the sum of the single indices, vectorised.

    Parameters
    ----------
    concentrations : mapping of str to array-like
        Period-mean concentration of each item, one array per item, all broadcastable
        (e.g. one row per section). Use the 21 :data:`EVALUATION_ITEMS` for a ranking.
    waterbody : WaterBody or str
        ``"river"`` or ``"lake"``.

    Returns
    -------
    numpy.ndarray of float
        CWQI per row, not rounded; lower is better. NaN where any item is NaN.

    Raises
    ------
    ValueError
        For an unknown or reference item (TN, fecal coliform are not in the CWQI).

    References
    ----------
    .. [1] 城市地表水环境质量排名技术规定（试行）, 环办监测〔2017〕51号.

    Examples
    --------
    >>> rows = {"CODMn": [3.0, 9.0], "NH3N": [0.5, 1.5], "DO": [10.0, 2.5]}
    >>> cwqi(rows, waterbody="river")  # 3/6 + 0.5/1 + 5/10; 9/6 + 1.5/1 + 5/2.5
    array([1.5, 5. ])
    """
    total: FloatArray = np.zeros(())
    for item, values in concentrations.items():
        if item not in EVALUATION_ITEMS:
            msg = f"{item!r} is not a CWQI item; expected one of {', '.join(EVALUATION_ITEMS)}"
            raise ValueError(msg)
        total = total + single_index(item, values, waterbody=waterbody)
    return total


class MainPollutant(NamedTuple):
    """A main pollution indicator and its exceedance multiple over class III."""

    item: str
    multiple: float | None  # (C - S_III)/S_III; None for pH and DO


@dataclass(frozen=True)
class WaterAssessment:
    """Single-factor evaluation of one sample or period mean (see :func:`assess`)."""

    water_class: WaterClass
    item_classes: dict[str, WaterClass]
    limiting_items: tuple[str, ...]
    main_pollutants: tuple[MainPollutant, ...]
    cwqi: float
    reference_classes: dict[str, WaterClass]

    @property
    def status(self) -> WaterStatus:
        """Qualitative grade of the section (优 … 重度污染)."""
        return WaterStatus.of_section(self.water_class)

    def as_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict with Chinese class labels."""
        return {
            "class": self.water_class.label,
            "class_number": int(self.water_class),
            "item_classes": {item: c.label for item, c in self.item_classes.items()},
            "limiting_items": list(self.limiting_items),
            "main_pollutants": [
                {"item": p.item, "multiple": p.multiple} for p in self.main_pollutants
            ],
            "cwqi": self.cwqi,
        }


def _main_pollutants(
    classes: Mapping[str, WaterClass], values: Mapping[str, float], body: WaterBody
) -> tuple[MainPollutant, ...]:
    candidates = []
    for item, water_class in classes.items():
        if water_class <= WaterClass.III:
            continue
        multiple = None
        if item not in _NO_MULTIPLE:
            class_iii = _limits(item, body)[2]
            multiple = (values[item] - class_iii) / class_iii
        candidates.append(MainPollutant(item, multiple))

    def rank(pollutant: MainPollutant) -> tuple[bool, int, bool, float]:
        multiple = pollutant.multiple
        return (
            pollutant.item not in PRIORITY_ITEMS,
            -classes[pollutant.item],
            multiple is None,
            -(multiple or 0.0),
        )

    return tuple(sorted(candidates, key=rank)[:3])  # stable: table order breaks ties


def assess(
    values: Mapping[str, float | None],
    *,
    waterbody: WaterBody | str,
    items: Iterable[str] | None = None,
) -> WaterAssessment:
    """Evaluate a sample (or period means) by the single-factor method.

    Parameters
    ----------
    values : mapping of str to float or None
        Concentration of each item [mg/L; pH: dimensionless; fecal coliform: counts/L].
        ``None`` or NaN means not measured. For a quarter or year pass arithmetic means.
    waterbody : WaterBody or str
        ``"river"`` or ``"lake"``.
    items : iterable of str, optional
        Items counted in the overall class and CWQI; default :data:`EVALUATION_ITEMS`.

    Returns
    -------
    WaterAssessment
        Overall class (worst counted item), item classes, limiting items, up to three main
        pollutants, the CWQI of the counted items present, and the reference items' classes.

    Raises
    ------
    ValueError
        For unknown items, TN counted for a river, or no counted item measured.

    References
    ----------
    .. [1] GB 3838-2002, Table 1 and §5.
    .. [2] 地表水环境质量评价办法（试行）, 环办〔2011〕22号.
    .. [3] 城市地表水环境质量排名技术规定（试行）, 环办监测〔2017〕51号.

    Examples
    --------
    >>> result = assess({"pH": 7.5, "DO": 6.0, "NH3N": 1.25, "TP": 0.1}, waterbody="lake")
    >>> result.water_class.label, result.limiting_items
    ('Ⅳ类', ('NH3N', 'TP'))
    >>> [(pollutant.item, pollutant.multiple) for pollutant in result.main_pollutants]
    [('TP', 1.0), ('NH3N', 0.25)]
    >>> round(result.cwqi, 4)  # pH 0.5/2 + DO 5/6 + NH3N 1.25/1 + TP 0.1/0.05
    4.3333
    """
    body = _water_body(waterbody)
    counted = set(EVALUATION_ITEMS if items is None else items)
    unknown = sorted((set(values) | counted) - set(ITEMS))
    if unknown:
        msg = f"unknown items {unknown}; expected items from {', '.join(ITEMS)}"
        raise ValueError(msg)
    present = {
        item: float(value)
        for item, value in values.items()
        if value is not None and not math.isnan(value)
    }
    classes: dict[str, WaterClass] = {}
    reference: dict[str, WaterClass] = {}
    for item in ITEMS:
        if item not in present:
            continue
        if item in counted:
            classes[item] = item_class(item, present[item], waterbody=body)
        elif not (item == "TN" and body is WaterBody.RIVER):
            reference[item] = item_class(item, present[item], waterbody=body)
    if not classes:
        msg = f"no item to assess: none of {sorted(counted)} has a value"
        raise ValueError(msg)
    overall = max(classes.values())
    index = sum(
        float(single_index(item, present[item], waterbody=body))
        for item in classes
        if item in EVALUATION_ITEMS
    )
    return WaterAssessment(
        water_class=overall,
        item_classes=classes,
        limiting_items=tuple(item for item, c in classes.items() if c == overall),
        main_pollutants=_main_pollutants(classes, present, body),
        cwqi=index,
        reference_classes=reference,
    )


def _checked_value(key: str, raw: object) -> float | None:
    if key not in ITEMS:
        msg = f"unknown key {key!r}; expected one of {', '.join(ITEMS)}"
        raise ValueError(msg)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        msg = f"{key}: value {raw!r} is not a number"
        raise ValueError(msg)
    value = float(raw)
    if not math.isfinite(value):
        msg = f"{key}: value {value} is not finite"
        raise ValueError(msg)
    if key == "pH" and not 0.0 <= value <= 14.0:
        msg = f"pH: value {value} is outside 0–14"
        raise ValueError(msg)
    if value < 0.0:
        msg = f"{key}: negative concentration {value}"
        raise ValueError(msg)
    return value


def evaluate_record(record: Mapping[str, object], *, waterbody: str) -> dict[str, Any]:
    """Check one JSON record of item values and return its assessment as JSON.

    Parameters
    ----------
    record : mapping of str to object
        Item → number or null [mg/L; pH: dimensionless; fecal coliform: counts/L].
    waterbody : str
        ``"river"`` or ``"lake"``.

    Returns
    -------
    dict
        :meth:`WaterAssessment.as_json` of :func:`assess`.

    Raises
    ------
    ValueError
        Naming the key, for an unknown key, a non-numeric or non-finite value, a negative
        concentration or a pH outside 0–14; or as :func:`assess` raises.

    Examples
    --------
    >>> evaluate_record({"NH3N": 0.4, "DO": 8.0}, waterbody="river")["class"]
    'Ⅱ类'
    """
    values = {key: _checked_value(key, raw) for key, raw in record.items()}
    return assess(values, waterbody=waterbody).as_json()
