"""HJ 212 data segments as text: parse and build ``QN=…;ST=…;…;CP=&&…&&``. Pure.

Parsing follows field practice (hj212.md §4) rather than the letter of the standard:
header fields are found by name (case-insensitively, in any order, possibly empty or
missing), the data area ``CP`` runs from the first ``CP=&&`` to the *last* ``&&`` of the
segment, and ``,`` and ``;`` separate CP items alike. Values wrapped in ``//…//`` (the
``xxxxxx-Info`` logs of HJ 212-2017 §6.3) may contain ``;``, ``,`` and ``&&``. A key repeated
in one CP keeps every value, joined by ``,`` (``PolId=101;PolId=102`` → ``"101,102"``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from operator import methodcaller
from typing import Any, Final, NamedTuple
from zoneinfo import ZoneInfo

__all__ = [
    "BEIJING",
    "build_segment",
    "encode_cp",
    "format_data_time",
    "parse_data_time",
    "parse_segment",
]

BEIJING: Final = ZoneInfo("Asia/Shanghai")
"""HJ 212 times carry no zone; every deployment uses Beijing time (hj212.md §1)."""

# Header names as the standard spells them, keyed by their upper-case form.
_HEADER_NAMES: Final = {
    name.upper(): name for name in ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO")
}
_STANDARD_NAMES: Final = frozenset(_HEADER_NAMES.values())
_SPLIT_PAIR: Final = methodcaller("split", "=", 1)


class ParsedSegment(NamedTuple):
    """The raw strings of one data segment (internal form of :func:`parse_segment`).

    ``header`` is keyed by the standard spelling (``QN``, ``ST``, ``CN``, ``PW``, ``MN``,
    ``Flag``, ``PNUM``, ``PNO``) whatever the case on the wire.
    """

    header: dict[str, str]
    extra: dict[str, str]
    cp: str | None
    data_time: str | None
    params: dict[str, dict[str, str]]
    fields: dict[str, str]


def _next_separator(text: str, start: int) -> int:
    semicolon = text.find(";", start)
    comma = text.find(",", start)
    if semicolon < 0:
        return comma
    if comma < 0:
        return semicolon
    return min(semicolon, comma)


def _wrapped_end(text: str, start: int) -> int:
    """End of a ``//…//`` value opened at ``start``: a ``//`` followed by a separator or EOT."""
    size = len(text)
    close = text.find("//", start + 2)
    while close >= 0:
        after = close + 2
        if after == size or text[after] in ";,":
            return after
        close = text.find("//", close + 1)
    return size


def split_items(cp: str) -> list[str]:
    """Split CP text into ``key=value`` items on ``;`` and ``,``, keeping ``//…//`` whole."""
    if "//" not in cp:
        return cp.replace(",", ";").split(";")
    items = []
    position = 0
    size = len(cp)
    while position <= size:
        separator = _next_separator(cp, position)
        equals = cp.find("=", position)
        opens_wrapped = equals >= 0 and cp.startswith("//", equals + 1)
        if opens_wrapped and (separator < 0 or equals < separator):
            separator = _wrapped_end(cp, equals + 1)
        end = size if separator < 0 else separator
        items.append(cp[position:end])
        position = end + 1
    return items


def _parse_header(head: str) -> tuple[dict[str, str], dict[str, str]]:
    items = head.split(";")
    if items[-1] == "":
        items.pop()
    try:
        # Fast path (C level): standard names, each once, every item with an '='.
        header = dict(map(_SPLIT_PAIR, items))
        if len(header) == len(items) and header.keys() <= _STANDARD_NAMES:
            return header, {}
    except ValueError:
        pass
    header = {}
    extra: dict[str, str] = {}
    for item in items:
        name, _, value = item.partition("=")
        name = name.strip(" ,\t")
        if not name and not value:
            continue
        canonical = _HEADER_NAMES.get(name.upper())
        if canonical is None:
            extra.setdefault(name, value)
        elif canonical not in header:
            header[canonical] = value
    return header, extra


def _strip_key(item: str) -> str:
    key, equals, value = item.partition("=")
    return key.strip(" ") + equals + value


def _add_items(
    items: list[str], params: dict[str, dict[str, str]], fields: dict[str, str]
) -> str | None:
    """Add ``key=value`` items to ``params``/``fields``; return the DataTime text."""
    # The hot loop of the receiver: one partition per separator, a dict lookup only when
    # the pollutant code changes.
    data_time: str | None = None
    last_code = ""
    group: dict[str, str] = {}
    for item in items:
        key, _, value = item.partition("=")
        code, _, suffix = key.partition("-")
        if suffix and code:
            if code != last_code:
                found = params.get(code)
                if found is None:
                    found = params[code] = {}
                group = found
                last_code = code
            if suffix in group:
                group[suffix] += "," + value
            else:
                group[suffix] = value
        elif key == "DataTime":
            data_time = value if data_time is None else f"{data_time},{value}"
        elif key in fields:
            fields[key] += "," + value
        elif key or value:
            fields[key] = value
    return data_time


def parse_segment_parts(text: str) -> ParsedSegment:
    """Parse a data segment into raw strings; see :func:`parse_segment`."""
    cp_at = text.find("CP=&&")
    header, extra = _parse_header(text if cp_at < 0 else text[:cp_at])
    cp: str | None = None
    if cp_at >= 0:
        start = cp_at + 5
        end = text.rfind("&&")
        if end >= start:
            cp = text[start:end]
    params: dict[str, dict[str, str]] = {}
    fields: dict[str, str] = {}
    data_time = None
    if cp:
        items = split_items(cp)
        if " " in cp:  # spaces around keys occur ("DataTime=…; LA-Rtd=50.1")
            items = [_strip_key(item) for item in items]
        data_time = _add_items(items, params, fields)
    return ParsedSegment(header, extra, cp, data_time, params, fields)


def parse_segment(text: str) -> dict[str, Any]:
    """Parse a data segment into its fields, tolerating real-world deviations.

    Parameters
    ----------
    text : str
        The decoded data segment (``QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;CP=&&…&&``).

    Returns
    -------
    dict
        ``qn``, ``st``, ``cn``, ``pw``, ``mn``, ``flag``, ``pnum``, ``pno``: the raw value
        or ``None`` when the field is absent (names matched case-insensitively, first one
        wins); ``extra``: other header fields; ``cp``: the data-area text or ``None`` when
        there is no ``CP=&&…&&`` (a malformed segment); ``data_time``: the raw
        ``DataTime`` or ``None``; ``params``: ``{code: {suffix: value}}`` for
        ``code-Suffix`` keys; ``fields``: every other CP key. Never raises.

    References
    ----------
    .. [1] HJ 212-2017 §6.3 (data segment, Table 3) and §6.3.3 (CP grammar).

    Examples
    --------
    >>> parts = parse_segment("ST=22;CN=2011;PW=;MN=X1;CP=&&DataTime=20210107140200;"
    ...                       "a21026-Rtd=0.449,a21026-Flag=N&&")
    >>> parts["flag"], parts["pw"], parts["params"]
    (None, '', {'a21026': {'Rtd': '0.449', 'Flag': 'N'}})
    """
    parts = parse_segment_parts(text)
    result: dict[str, Any] = {
        name.lower(): parts.header.get(name) for name in _HEADER_NAMES.values()
    }
    result.update(
        extra=parts.extra,
        cp=parts.cp,
        data_time=parts.data_time,
        params=parts.params,
        fields=parts.fields,
    )
    return result


@lru_cache(maxsize=1024)  # stations report the same minutes: most lookups hit
def parse_data_time(text: str) -> datetime:
    """Read an HJ 212 time ``YYYYMMDDhhmmss`` as an aware Beijing time.

    Parameters
    ----------
    text : str
        14 digits, or 17 digits with milliseconds (seen in the field; the milliseconds
        are truncated).

    Returns
    -------
    datetime
        Aware, in ``Asia/Shanghai``.

    Raises
    ------
    ValueError
        If ``text`` is not 14 or 17 digits or not a valid calendar time.

    References
    ----------
    .. [1] HJ 212-2017 §6.3.3, Table 4 (``DataTime`` format).

    Examples
    --------
    >>> parse_data_time("20210305003817000").isoformat()
    '2021-03-05T00:38:17+08:00'
    """
    if len(text) not in (14, 17) or not (text.isascii() and text.isdigit()):
        msg = f"DataTime {text!r} is not YYYYMMDDhhmmss"
        raise ValueError(msg)
    try:
        return datetime(
            int(text[0:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[8:10]),
            int(text[10:12]),
            int(text[12:14]),
            tzinfo=BEIJING,
        )
    except ValueError as err:
        msg = f"DataTime {text!r} is not a valid time: {err}"
        raise ValueError(msg) from err


def format_data_time(value: datetime) -> str:
    """Write a time as HJ 212 ``YYYYMMDDhhmmss`` in Beijing time (naive = Beijing).

    References
    ----------
    .. [1] HJ 212-2017 §6.3.3, Table 4.

    Examples
    --------
    >>> from datetime import UTC
    >>> format_data_time(datetime(2016, 8, 1, 0, 58, 57, tzinfo=UTC))
    '20160801085857'
    """
    if value.tzinfo is not None:
        value = value.astimezone(BEIJING)
    return value.strftime("%Y%m%d%H%M%S")


def _format_value(key: str, value: object) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"CP value of {key!r} must be str, int or float, not {value!r}"
        raise TypeError(msg)
    elif isinstance(value, int):
        text = str(value)
    elif not math.isfinite(value):
        msg = f"CP value of {key!r} must be finite, not {value!r}"
        raise ValueError(msg)
    else:
        text = repr(value)
        if "e" in text:
            text = format(Decimal(text), "f")
    # A value survives when the parser reads back exactly this item, then the next one.
    if split_items(f"{key}={text};x=1") != [f"{key}={text}", "x=1"] or any(
        c in text for c in "\r\n"
    ):
        msg = (
            f"CP value {text!r} of {key!r} cannot be sent: ';' and ',' are only allowed "
            "inside a //…// value, and line breaks not at all"
        )
        raise ValueError(msg)
    return text


def _check_key(key: str, *, dash_allowed: bool) -> None:
    bad = not key or key != key.strip() or any(c in key for c in ";,=&/")
    if bad or (not dash_allowed and "-" in key) or key == "DataTime":
        msg = (
            f"CP key {key!r} is not allowed (empty, spaces, ';,=&/', '-' outside a "
            "pollutant item, or DataTime outside data_time=)"
        )
        raise ValueError(msg)


def encode_cp(
    *,
    data_time: datetime | None = None,
    params: Mapping[str, Mapping[str, str | float | int]] = {},  # noqa: B006 (read only)
    fields: Mapping[str, str] = {},  # noqa: B006 (read only)
) -> str:
    """Build the ``CP=&&…&&`` data area: DataTime, then other fields, then pollutants.

    Parameters
    ----------
    data_time : datetime, optional
        Written first as ``DataTime=YYYYMMDDhhmmss`` in Beijing time (naive = Beijing).
    params : mapping
        ``{code: {suffix: value}}``; items of one code are joined by ``,``, codes by ``;``.
        Floats are written in plain decimal notation.
    fields : mapping
        Other ``key=value`` items (``PolId``, ``SystemTime``, ``QnRtn`` …).

    Returns
    -------
    str
        ``"CP=&&DataTime=…;a21026-Rtd=12.3,a21026-Flag=N&&"``.

    Raises
    ------
    ValueError
        If a key or value could not be read back unchanged (separators outside a
        ``//…//`` value, line breaks, ``-`` in a field key, ``DataTime`` in ``fields``).
    TypeError
        If a value is not ``str``, ``int`` or ``float``.

    References
    ----------
    .. [1] HJ 212-2017 §6.3.3 (CP grammar) and Table 4.

    Examples
    --------
    >>> encode_cp(data_time=datetime(2016, 8, 1, 8, 58, 57),
    ...           params={"a21026": {"Rtd": 12.3, "Flag": "N"}})
    'CP=&&DataTime=20160801085857;a21026-Rtd=12.3,a21026-Flag=N&&'
    """
    groups: list[str] = []
    if data_time is not None:
        groups.append("DataTime=" + format_data_time(data_time))
    for key, value in fields.items():
        _check_key(key, dash_allowed=False)
        groups.append(f"{key}={_format_value(key, value)}")
    for code, items in params.items():
        _check_key(code, dash_allowed=False)
        parts = []
        for suffix, number in items.items():
            _check_key(suffix, dash_allowed=True)
            key = f"{code}-{suffix}"
            parts.append(f"{key}={_format_value(key, number)}")
        if parts:
            groups.append(",".join(parts))
    return "CP=&&" + ";".join(groups) + "&&"


def _check_header(name: str, value: str) -> str:
    if ";" in value or "&&" in value or "\r" in value or "\n" in value:
        msg = f"{name} {value!r} must not contain ';', '&&' or a line break"
        raise ValueError(msg)
    return value


def build_segment(
    *,
    qn: str | None,
    st: str,
    cn: str,
    pw: str,
    mn: str,
    flag: int | None,
    cp: str,
    pnum: int | None = None,
    pno: int | None = None,
) -> str:
    """Build a data segment in the standard field order.

    Parameters
    ----------
    qn : str or None
        Request id (omitted when ``None``, as in HJ/T 212-2005 uploads and replies).
    st, cn, pw, mn : str
        System code, command code, password and device id.
    flag : int or None
        0..255 (omitted when ``None``).
    cp : str
        The data area from :func:`encode_cp`.
    pnum, pno : int, optional
        Sub-packet count and number (only with Flag bit D).

    Returns
    -------
    str
        ``"QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&…&&"``.

    Raises
    ------
    ValueError
        If a value contains ``;``, ``&&`` or a line break, ``flag`` is outside 0..255,
        ``pnum``/``pno`` is negative, or ``cp`` is not ``CP=&&…&&``.

    References
    ----------
    .. [1] HJ 212-2017 §6.3, Table 3.

    Examples
    --------
    >>> build_segment(qn=None, st="91", cn="9014", pw="123456", mn="X1", flag=4,
    ...               cp="CP=&&&&")
    'ST=91;CN=9014;PW=123456;MN=X1;Flag=4;CP=&&&&'
    """
    parts = [] if qn is None else [f"QN={_check_header('QN', qn)}"]
    parts += [
        f"ST={_check_header('ST', st)}",
        f"CN={_check_header('CN', cn)}",
        f"PW={_check_header('PW', pw)}",
        f"MN={_check_header('MN', mn)}",
    ]
    if flag is not None:
        if not 0 <= flag <= 255:
            msg = f"Flag {flag} is outside 0..255"
            raise ValueError(msg)
        parts.append(f"Flag={flag}")
    for name, number in (("PNUM", pnum), ("PNO", pno)):
        if number is not None:
            if number < 0:
                msg = f"{name} {number} is negative"
                raise ValueError(msg)
            parts.append(f"{name}={number}")
    if not (cp.startswith("CP=&&") and cp.endswith("&&") and len(cp) >= 7):
        msg = f"cp {cp[:40]!r} is not 'CP=&&…&&'"
        raise ValueError(msg)
    parts.append(cp)
    return ";".join(parts)
