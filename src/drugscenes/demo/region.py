"""A synthetic county, deterministic from a seed: municipalities, stations, mapping rounds.

The county is made up (invented names, generated boundaries) but shaped like the
real one: 26 municipalities with Stockholm-county-style codes around a dense
centre, metro lines radiating from it and commuter rail further out, and open
drug scenes mostly at stations. Its three mapping rounds reproduce the published
figures of the Stockholm county follow-up: 64 scenes in 2021; 63 in 2023 with 12
ceased, 11 new, one merge and one split; 53 in 2024 in one municipality fewer,
10 worked away, none new, total area smaller.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import affinity

from drugscenes import CRS_EPSG

CENTRE = (674_000.0, 6_580_000.0)
"""Centre of the synthetic county in EPSG:3006 (where Stockholm's centre is)."""

CODES = [
    "0114", "0115", "0117", "0120", "0123", "0125", "0126", "0127", "0128", "0136",
    "0138", "0139", "0140", "0160", "0162", "0163", "0180", "0181", "0182", "0183",
    "0184", "0186", "0187", "0188", "0191", "0192",
]  # fmt: skip
NAMES = [
    "Norrvik", "Sjöberga", "Ekdala", "Västerå", "Österby", "Björkhamn", "Lindholmen",
    "Granvik", "Solberga", "Tallåsen", "Strandvik", "Hagaby", "Bergsjö", "Ängby",
    "Kvarnholm", "Furuvik", "Storstad", "Åkerby", "Lövsta", "Skogsås", "Almvik",
    "Måsholmen", "Klippan", "Norrtuna", "Sandviken", "Havsby",
]  # fmt: skip
CENTRAL_CODE = "0180"

# Places of the 2023 round per municipality (central city first). They sum to 62: one
# place holds the two halves of a split scene, so the round has 63 scenes. The last
# municipality loses all its scenes by 2024.
QUOTAS_2023 = [27, 8, 6, 5, 4, 4, 3, 3, 2]
ROUNDS = {"2021": "2021-10-01", "2023": "2023-10-01", "2024": "2024-02-01"}


@dataclass(frozen=True)
class DemoRegion:
    """The synthetic county.

    Attributes
    ----------
    municipalities : GeoDataFrame
        26 municipalities: ``code``, ``name``, geometry (EPSG:3006).
    stations : GeoDataFrame
        Stations: ``name``, ``line_type`` (metro / rail), ``municipality_code``, point.
    """

    municipalities: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame


def make_region(seed: int = 2023) -> DemoRegion:
    """Generate the county's municipalities and stations.

    Parameters
    ----------
    seed : int
        Everything is a function of the seed.

    Returns
    -------
    DemoRegion
    """
    rng = np.random.default_rng(seed)
    cx, cy = CENTRE
    # County outline: a lobed star shape some 45 km across from the centre.
    theta = np.linspace(0, 2 * np.pi, 180, endpoint=False)
    phase = rng.uniform(0, 2 * np.pi, 3)
    r = 45_000 * (
        1
        + 0.16 * np.sin(3 * theta + phase[0])
        + 0.09 * np.sin(5 * theta + phase[1])
        + 0.05 * np.sin(9 * theta + phase[2])
    )
    outline = shapely.Polygon(np.c_[cx + r * np.cos(theta), cy + r * 1.15 * np.sin(theta)])

    # Municipality seats: the central city, an inner ring, an outer ring.
    seats = [(cx, cy)]
    for n, radius in ((9, 9_000), (16, 27_000)):
        angles = np.linspace(0, 2 * np.pi, n, endpoint=False) + rng.uniform(0, 0.5)
        rad = radius * rng.uniform(0.85, 1.15, n)
        seats += list(zip(cx + rad * np.cos(angles), cy + rad * 1.1 * np.sin(angles), strict=True))
    seat_points = shapely.points(np.array(seats))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seat_points), extend_to=outline)
    )
    # Voronoi cells come in no guaranteed order: give each seat the cell containing it.
    tree = shapely.STRtree(cells)
    seat_idx, cell_idx = tree.query(seat_points, predicate="within")
    order = cell_idx[np.argsort(seat_idx)]
    polys = shapely.intersection(cells[order], outline)
    polys = shapely.set_precision(polys, 0.01)

    # The centre gets the capital's code; the rest get the others in order.
    codes = [CENTRAL_CODE] + [c for c in CODES if c != CENTRAL_CODE]
    names = [NAMES[CODES.index(c)] for c in codes]
    municipalities = (
        gpd.GeoDataFrame({"code": codes, "name": names}, geometry=list(polys), crs=CRS_EPSG)
        .sort_values("code")
        .reset_index(drop=True)
    )

    stations = _make_stations(rng, outline, municipalities)
    return DemoRegion(municipalities, stations)


def _make_stations(
    rng: np.random.Generator, outline: shapely.Polygon, municipalities: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    cx, cy = CENTRE
    xs, ys, kinds = [], [], []
    # Metro: 7 lines out to 16 km, a station every ~1.1 km, slightly curved.
    for k in range(7):
        a = 2 * np.pi * k / 7 + rng.uniform(-0.15, 0.15)
        d = np.arange(600, 16_000, 1_100) + rng.uniform(-150, 150, 14)
        bend = 0.25 * np.sin(d / 16_000 * np.pi) * rng.choice([-1, 1])
        xs += list(cx + d * np.cos(a + bend))
        ys += list(cy + d * np.sin(a + bend))
        kinds += ["metro"] * len(d)
    # Commuter rail: 4 lines out to 42 km, a station every ~3.5 km.
    for k in range(4):
        a = 2 * np.pi * k / 4 + np.pi / 4 + rng.uniform(-0.2, 0.2)
        d = np.arange(3_000, 42_000, 3_500) + rng.uniform(-300, 300, 12)
        xs += list(cx + d * np.cos(a))
        ys += list(cy + d * 1.1 * np.sin(a))
        kinds += ["rail"] * len(d)
    pts = shapely.points(np.c_[xs, ys])
    keep = shapely.contains(outline, pts)
    # Thin out stations closer than 600 m (lines meet in the centre).
    chosen: list[int] = []
    coords = np.c_[xs, ys]
    for i in np.flatnonzero(keep):
        if all(np.hypot(*(coords[i] - coords[j])) >= 600 for j in chosen):
            chosen.append(i)
    pts = pts[chosen]
    kinds_arr = np.array(kinds, dtype=object)[chosen]
    muni_idx = shapely.STRtree(municipalities.geometry.to_numpy()).query(pts, predicate="within")
    code_of = np.full(len(pts), None, dtype=object)
    code_of[muni_idx[0]] = municipalities["code"].to_numpy()[muni_idx[1]]
    name_of = dict(zip(municipalities["code"], municipalities["name"], strict=True))
    counter: dict[str, int] = {}
    names = []
    for code, kind in zip(code_of, kinds_arr, strict=True):
        counter[code] = counter.get(code, 0) + 1
        base = name_of.get(code, "Station")
        suffix = "C" if counter[code] == 1 else str(counter[code])
        names.append(f"{base} {suffix} {'T-bana' if kind == 'metro' else 'station'}")
    return gpd.GeoDataFrame(
        {"name": names, "line_type": kinds_arr, "municipality_code": code_of},
        geometry=list(pts),
        crs=CRS_EPSG,
    )


def _blob(
    rng: np.random.Generator, x: float, y: float, a: float, b: float, angle: float
) -> shapely.Polygon:
    """An irregular scene outline: an ellipse with a wobbly edge, rounded to 1 cm."""
    t = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    wobble = 1 + 0.12 * np.sin(3 * t + rng.uniform(0, 6)) + 0.05 * rng.standard_normal(24)
    ring = np.c_[a * wobble * np.cos(t), b * wobble * np.sin(t)]
    poly = affinity.rotate(shapely.Polygon(ring), angle, origin=(0, 0))
    return shapely.set_precision(affinity.translate(poly, x, y), 0.01)


def make_rounds(region: DemoRegion, seed: int = 2023) -> dict[str, gpd.GeoDataFrame]:
    """Generate the three mapping rounds 2021, 2023 and 2024.

    Returns
    -------
    dict of str to GeoDataFrame
        Per round label, scenes with ``scene_id``, ``name``, ``municipality_code``,
        ``activities``, ``drug_types``, ``times_of_day``, ``source_org``,
        ``note`` and a polygon (EPSG:3006). Counts by construction (see module
        docstring); ids are carried across rounds for persisting scenes.
    """
    rng = np.random.default_rng(seed + 1)
    munis = region.municipalities
    # The municipalities with scenes: the central city and the 8 nearest seats.
    centroids = shapely.centroid(munis.geometry.to_numpy())
    dist = shapely.distance(centroids, shapely.Point(CENTRE))
    order = np.argsort(dist)
    scene_munis = list(munis["code"].to_numpy()[order[: len(QUOTAS_2023)]])
    names = dict(zip(munis["code"], munis["name"], strict=True))
    geom_of = dict(zip(munis["code"], munis.geometry, strict=True))

    # Candidate places per municipality: its stations first, then squares and parks.
    places: dict[str, list[tuple[float, float, str]]] = {}
    for code in scene_munis:
        st = region.stations[region.stations["municipality_code"] == code]
        pts = [(g.x, g.y, n) for g, n in zip(st.geometry, st["name"], strict=True)]
        rng.shuffle(pts)
        poly = geom_of[code].buffer(-300)
        c = poly.centroid
        extra = []
        tries = 0
        while len(extra) < 30 and tries < 5000:
            tries += 1
            x = c.x + rng.normal(0, 2500)
            y = c.y + rng.normal(0, 2500)
            if poly.contains(shapely.Point(x, y)) and all(
                np.hypot(x - px, y - py) > 500 for px, py, _ in pts + extra
            ):
                kind = rng.choice(["torg", "park", "centrum"])
                extra.append((x, y, f"{names[code]} {kind} {len(extra) + 1}"))
        places[code] = pts + extra

    quotas = dict(zip(scene_munis, QUOTAS_2023, strict=True))
    lost_muni = scene_munis[-1]
    central = scene_munis[0]
    records_2023: list[dict] = []
    taken: dict[str, int] = {}
    for code in scene_munis:
        for _ in range(quotas[code]):
            k = taken.get(code, 0)
            taken[code] = k + 1
            x, y, nm = places[code][k]
            records_2023.append({"code": code, "x": x, "y": y, "name": nm})

    # Roles of the 2023 scenes: 11 new, one merged (from two), two from a split; 49 persist.
    idx_central = [i for i, r in enumerate(records_2023) if r["code"] == central]
    merged_i, split_i = idx_central[0], idx_central[1]
    eligible = [
        i
        for i, r in enumerate(records_2023)
        if i not in (merged_i, split_i) and r["code"] != lost_muni
    ]
    new_i = set(rng.choice(eligible, 11, replace=False).tolist())
    attrs = _attributes(rng)

    scenes: dict[str, list[dict]] = {"2021": [], "2023": [], "2024": []}
    sid = 0

    def next_id() -> str:
        nonlocal sid
        sid += 1
        return f"S{sid:03d}"

    def add(label: str, scene_id: str, code: str, name: str, geom: shapely.Geometry) -> None:
        scenes[label].append(
            {
                "scene_id": scene_id,
                "name": name,
                "municipality_code": code,
                **next(attrs),
                "geometry": geom,
            }
        )

    for i, r in enumerate(records_2023):
        x, y, code, nm = r["x"], r["y"], r["code"], r["name"]
        angle = rng.uniform(0, 180)
        if i == merged_i:
            # Two neighbouring 2021 scenes became one in 2023.
            dx, dy = 45 * np.cos(np.radians(angle)), 45 * np.sin(np.radians(angle))
            add("2021", next_id(), code, nm + " norra", _blob(rng, x + dx, y + dy, 28, 22, angle))
            add("2021", next_id(), code, nm + " södra", _blob(rng, x - dx, y - dy, 28, 22, angle))
            add("2023", next_id(), code, nm, _blob(rng, x, y, 80, 33, angle))
            continue
        if i == split_i:
            # One 2021 scene split into two in 2023; record the second part too.
            dx, dy = 45 * np.cos(np.radians(angle)), 45 * np.sin(np.radians(angle))
            add("2021", next_id(), code, nm, _blob(rng, x, y, 80, 33, angle))
            add("2023", next_id(), code, nm + " östra", _blob(rng, x + dx, y + dy, 28, 22, angle))
            add("2023", next_id(), code, nm + " västra", _blob(rng, x - dx, y - dy, 28, 22, angle))
            continue
        a, b = rng.uniform(22, 55), rng.uniform(17, 40)
        s_id = next_id()
        if i not in new_i:
            # Persisting since 2021, redrawn a little between rounds.
            f = rng.uniform(0.9, 1.15)
            add("2021", s_id, code, nm, _blob(rng, x, y, a * f, b * f, angle))
        add("2023", s_id, code, nm, _blob(rng, x, y, a, b, angle))
    # The 12 places that ceased between 2021 and 2023.
    for k in range(12):
        code = scene_munis[k % (len(scene_munis) - 1)]
        x, y, nm = places[code][taken[code]]
        taken[code] += 1
        add(
            "2021",
            next_id(),
            code,
            nm,
            _blob(rng, x, y, rng.uniform(20, 45), rng.uniform(15, 35), rng.uniform(0, 180)),
        )
    if (len(scenes["2021"]), len(scenes["2023"])) != (64, 63):  # pragma: no cover
        raise RuntimeError("demo rounds do not have the published sizes")

    # 2024: 10 worked away (all of the last municipality's and 5 in the central city),
    # none new; a dozen shrink, the rest keep their outline.
    s23 = scenes["2023"]
    lost = [j for j, s in enumerate(s23) if s["municipality_code"] == lost_muni]
    central_j = [j for j, s in enumerate(s23) if s["municipality_code"] == central][3:]
    others = [j for j, s in enumerate(s23) if s["municipality_code"] not in (central, lost_muni)]
    ceased = set(lost) | set(rng.choice(central_j, 5, replace=False).tolist())
    ceased |= set(rng.choice(others, 10 - len(ceased), replace=False).tolist())
    remaining = [j for j in range(len(s23)) if j not in ceased]
    shrink = set(rng.choice(remaining, 12, replace=False).tolist())
    for j in remaining:
        s = s23[j]
        f = rng.uniform(0.55, 0.8) if j in shrink else 1.0
        geom = affinity.scale(s["geometry"], f, f, origin="centroid")
        geom = shapely.set_precision(geom, 0.01)
        scenes["2024"].append({**s, **next(attrs), "geometry": geom})

    out: dict[str, gpd.GeoDataFrame] = {}
    for label, recs in scenes.items():
        frame = gpd.GeoDataFrame(pd.DataFrame(recs), geometry="geometry", crs=CRS_EPSG)
        out[label] = frame.sort_values("scene_id").reset_index(drop=True)
    return out


def _attributes(rng: np.random.Generator):
    activities = ["bruk", "försäljning", "bruk, försäljning", "bruk, försäljning, langning"]
    drugs = [
        "cannabis",
        "cannabis, kokain",
        "cannabis, tramadol",
        "kokain, opioider",
        "cannabis, spice",
        "amfetamin, cannabis",
    ]
    times = ["kväll", "dag, kväll", "kväll, natt", "dygnet runt"]
    orgs = ["Polisen", "Kommunen", "Polisen, Kommunen"]
    while True:
        yield {
            "activities": activities[rng.integers(len(activities))],
            "drug_types": drugs[rng.integers(len(drugs))],
            "times_of_day": times[rng.integers(len(times))],
            "source_org": orgs[rng.integers(len(orgs))],
            "note": None,
        }
