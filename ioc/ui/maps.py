"""Map builders: ward polygons drawn without any tile server (STACK_NOTES: map_provider=None), plus layers."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pydeck as pdk

from ioc import i18n
from ioc.ui.theme import WARD_FILL, WARD_LINE

ZOOM = 11.05  # the maps' opening zoom


def view(wards: pd.DataFrame, zoom: float | None = None) -> pdk.ViewState:
    zoom = ZOOM if zoom is None else zoom
    return pdk.ViewState(latitude=float(wards["lat"].mean()), longitude=float(wards["lon"].mean()), zoom=zoom, pitch=0)


def ward_features(
    wards: pd.DataFrame, lang: str, fill: dict[str, list[int]] | None = None, extra: dict[str, dict] | None = None
) -> dict:
    """The wards as a FeatureCollection whose properties carry name, fill colour and tooltip lines."""
    feats = []
    for w in wards.itertuples():
        if not w.geometry:
            continue
        name = i18n.name(w, lang)
        props = {
            "code": w.ward_code,
            "name": name,
            "fill": (fill or {}).get(w.ward_code, WARD_FILL),
            "info": "",
        }
        props.update((extra or {}).get(w.ward_code, {}))
        feats.append({"type": "Feature", "geometry": json.loads(w.geometry), "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def ward_layer(features: dict, pickable: bool = True, layer_id: str = "wards") -> pdk.Layer:
    return pdk.Layer(
        "GeoJsonLayer",
        features,
        id=layer_id,
        pickable=pickable,
        stroked=True,
        filled=True,
        get_fill_color="properties.fill",
        get_line_color=WARD_LINE,
        line_width_min_pixels=1.2,
        auto_highlight=True,
        highlight_color=[255, 255, 255, 90],
    )


def ward_labels(wards: pd.DataFrame, lang: str, offset: int = 0, avoid: Sequence[tuple] = ()) -> pdk.Layer:
    """Ward names at their centroids; offset (pixels, downwards) keeps them clear of markers drawn there.
    Names that would overlap each other or the boxes to avoid (marker_boxes) at the opening zoom are set
    apart (declutter)."""
    df = pd.DataFrame(
        {
            "name": [i18n.name(w, lang) for w in wards.itertuples()],
            "position": [[float(w.lon), float(w.lat)] for w in wards.itertuples()],
        }
    )
    return text_layer(
        placed(df, 12, offset, bounds=extent(wards), avoid=avoid),
        "ward-names",
        size=12,
        colour=[25, 35, 45, 255],
        offset="offset",
    )


def placed(
    labels: pd.DataFrame,
    size: int,
    offset: int = 0,
    zoom: float = ZOOM,
    bounds: tuple[float, float, float, float] | None = None,
    avoid: Sequence[tuple] = (),
) -> pd.DataFrame:
    """Labels (name, position) with each one's pixel offset (declutter), for text_layer(offset="offset")."""
    return labels.assign(
        offset=declutter(list(labels["name"]), list(labels["position"]), size, offset, zoom, bounds, avoid)
    )


def marker_boxes(positions: Sequence[Sequence[float]], radius: float, zoom: float = ZOOM) -> list[tuple]:
    """The screen boxes of round markers of `radius` pixels at these [lon, lat] positions, for declutter."""
    boxes = []
    for position in positions:
        x0, y0, _, _ = label_box("", list(position), 0, [0, 0], zoom)
        boxes.append((x0 - radius, y0 - radius, x0 + radius, y0 + radius))
    return boxes


def extent(wards: pd.DataFrame) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the wards' polygons; None without any."""
    geometries = wards["geometry"].dropna() if "geometry" in wards else []
    points = [pt for g in geometries for pt in points_of(json.loads(g)["coordinates"])]
    if not points:
        return None
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return min(lons), min(lats), max(lons), max(lats)


def points_of(coords) -> list:
    """The [lon, lat] pairs of a GeoJSON geometry's coordinates, whatever its nesting."""
    if coords and isinstance(coords[0], (int, float)):
        return [coords]
    return [pt for c in coords for pt in points_of(c)]


def label_box(name: str, position: list[float], size: int, offset: list[float], zoom: float = ZOOM) -> tuple:
    """The screen box (pixels, at that zoom) a label centred at position, moved by offset, takes up: Web
    Mercator with deck.gl's 512-pixel world at zoom 0, about 0.62 em a character (DejaVu Sans bold), 1.3 em
    a line (a label may have several)."""
    scale = 512 * 2**zoom
    lon, lat = position
    sin = np.sin(np.radians(lat))
    x = (lon + 180) / 360 * scale + offset[0]
    y = (0.5 - np.log((1 + sin) / (1 - sin)) / (4 * np.pi)) * scale + offset[1]
    w, h = label_size(name, size)
    return (x - w / 2, y - h / 2, x + w / 2, y + h / 2)


def label_size(name: str, size: int) -> tuple[float, float]:
    """(width, height) in pixels of a label's text at that size."""
    lines = name.split("\n")
    return max(len(line) for line in lines) * size * 0.62, len(lines) * size * 1.3


def overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def declutter(
    names: list[str],
    positions: list[list[float]],
    size: int,
    offset: int = 0,
    zoom: float = ZOOM,
    bounds: tuple[float, float, float, float] | None = None,
    avoid: Sequence[tuple] = (),
) -> list[list[float]]:
    """Pixel offsets for labels, in order: each stays where it is unless it would overlap one placed before
    it or a box to avoid (a marker), then it moves by its height down or up, by half its width aside, both, or
    twice its height: the first of these that is clear and, given the wards' bounds (west, south, east,
    north), not past their upper or lower edge, where the map ends."""

    def inside(box):
        return True

    if bounds is not None:
        west, south, east, north = bounds
        # (x, y) of the north-west and south-east corners: a label of no size is a point
        edge = label_box("", [west, north], 0, [0, 0], zoom)[:2] + label_box("", [east, south], 0, [0, 0], zoom)[:2]

        def inside(box):
            return box[1] >= edge[1] and box[3] <= edge[3]  # above and below: the map's height

    taken: list[tuple] = list(avoid)
    out = []
    for name, position in zip(names, positions):
        w, h = label_size(name, size)
        moves = [
            (0, 0),
            (0, h),
            (0, -h),
            (-w / 2, 0),
            (w / 2, 0),
            (-w / 2, h),
            (w / 2, h),
            (-w / 2, -h),
            (w / 2, -h),
            (0, 2 * h),
            (0, -2 * h),
        ]
        clear = [
            (dx, dy)
            for dx, dy in moves
            if not any(overlap(label_box(name, position, size, [dx, offset + dy], zoom), o) for o in taken)
        ]
        dx, dy = next(
            (m for m in clear if inside(label_box(name, position, size, [m[0], offset + m[1]], zoom))),
            clear[0] if clear else (0, 0),
        )  # else past the edge, or left where it was
        taken.append(label_box(name, position, size, [dx, offset + dy], zoom))
        out.append([dx, offset + dy])
    return out


_VI_LOWER = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
# Every character a label here may use: deck.gl draws only the characters of its font atlas, and its
# 'auto' set proved unreliable across layers sharing an atlas (Phú drawn as "Phu").
CHARACTER_SET = "".join(
    sorted(
        {chr(c) for c in range(32, 127)} - {"'", '"', "`"} | set(_VI_LOWER) | set(_VI_LOWER.upper()) | set("–·³µ°±≤≥")
    )
)


def points(
    df: pd.DataFrame,
    layer_id: str,
    radius: float | str,
    pixels: tuple[float, float],
    fill: str | list[int] = "fill",
    outline: list[int] | None = None,
    outline_px: float = 1.0,
    pickable: bool = True,
) -> pdk.Layer:
    """Points at the frame's lon/lat: filled with its `fill` column (or one colour), `radius` metres (or an
    expression over the columns) kept within `pixels` (min, max) on screen, outlined when `outline` is given."""
    return pdk.Layer(
        "ScatterplotLayer",
        df,
        id=layer_id,
        get_position=["lon", "lat"],
        get_fill_color=fill,
        get_radius=radius,
        radius_min_pixels=pixels[0],
        radius_max_pixels=pixels[1],
        stroked=outline is not None,
        get_line_color=outline or [0, 0, 0, 0],
        line_width_min_pixels=outline_px,
        pickable=pickable,
    )


def aqi_stations(
    df: pd.DataFrame,
    radius: float,
    pixels: tuple[float, float],
    text_size: int,
    pickable: bool = True,
    outline: list[int] | None = None,
    outline_px: float = 1.5,
) -> list[pdk.Layer]:
    """Air stations in their VN_AQI colour with the index written on each: the frame has lon, lat, fill (the
    band's colour) and aqi_text (the index, as the page writes numbers)."""
    labels = df.assign(position=[[float(a), float(b)] for a, b in zip(df["lon"], df["lat"])])
    return [
        points(df, "stations", radius, pixels, outline=outline or [20, 20, 20, 255], outline_px=outline_px,
               pickable=pickable),
        text_layer(labels[["aqi_text", "position"]], "aqi-values", size=text_size, colour=[0, 0, 0, 255],
                   text="aqi_text"),
    ]  # fmt: skip


def text_layer(
    df: pd.DataFrame,
    layer_id: str,
    size: int = 13,
    colour: list[int] | None = None,
    text: str = "name",
    position: str = "position",
    offset: int | str = 0,
) -> pdk.Layer:
    """Labels with a white halo, in Vietnamese (deck.gl's default character set is ASCII only). Strings
    are quoted whole: pydeck reads any other string as a JavaScript expression. `offset`: pixels down, or
    the column holding each label's [x, y] pixel offset."""
    return pdk.Layer(
        "TextLayer",
        df,
        id=layer_id,
        get_position=position,
        get_text=text,
        get_size=size,
        get_color=colour or [25, 35, 45, 255],
        character_set=f"'{CHARACTER_SET}'",
        get_pixel_offset=[0, offset] if isinstance(offset, int) else offset,
        font_family='"DejaVu Sans, Noto Sans, Arial, sans-serif"',
        font_weight=600,
        pickable=False,
        font_settings={"sdf": True, "fontSize": 64, "buffer": 6},
        outline_width=2,
        outline_color=[255, 255, 255, 255],
    )


def _escaped(layers: list[pdk.Layer], fields: set[str]) -> None:
    """Escape the tooltip's fields in every layer's rows and features: deck.gl puts the tooltip's html into the
    page as markup, and a place or report named `<img onerror=...>` must show those characters, run nothing."""

    def clean(row: dict) -> None:
        for f in fields & row.keys():
            if isinstance(row[f], str):
                row[f] = html.escape(row[f])

    for layer in layers:
        if not getattr(layer, "pickable", False):  # no tooltip (a label layer draws its text as text)
            continue
        data = getattr(layer, "data", None)
        if isinstance(data, dict):
            for feat in data.get("features", []):
                clean(feat.setdefault("properties", {}))
        elif isinstance(data, list):
            for row in data:
                if isinstance(row, dict):
                    clean(row)


def deck(layers: list[pdk.Layer], wards: pd.DataFrame, tooltip_html: str, tile_url: str | None = None) -> pdk.Deck:
    """A deck over the wards; with no tile URL nothing is fetched from the internet. The values the tooltip
    shows reach the browser as text (see _escaped)."""
    _escaped(layers, set(re.findall(r"\{(\w+)\}", tooltip_html)))
    if tile_url:
        layers = [pdk.Layer("TileLayer", data=tile_url, id="basemap", min_zoom=0, max_zoom=19, tile_size=256), *layers]
    return pdk.Deck(
        layers=layers,
        initial_view_state=view(wards),
        map_provider=None,
        tooltip={"html": tooltip_html, "style": {"backgroundColor": "#1f2a36", "color": "white", "fontSize": "13px"}},
    )


GOOD_RGB, BAD_RGB, NONE_RGB = [27, 127, 59, 170], [198, 40, 40, 170], [200, 200, 200, 120]
SAME_RGB = [250, 220, 90, 170]  # the middle of scale_colours: wards all at one value, nothing to compare


def hex_of(rgba: list[int]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*rgba[:3])


def scale_colours(values: pd.Series, higher_is_better: bool) -> list[list[int]]:
    """Values → colours on one diverging good/bad scale (green is good whichever way is better)."""
    v = values.astype(float)
    lo, hi = np.nanmin(v) if v.notna().any() else 0, np.nanmax(v) if v.notna().any() else 1
    span = (hi - lo) or 1.0
    good, bad, mid = np.array([27, 127, 59]), np.array([198, 40, 40]), np.array([250, 220, 90])
    out = []
    for x in v:
        if np.isnan(x):
            out.append(NONE_RGB)
            continue
        s = (x - lo) / span
        s = s if higher_is_better else 1 - s  # s = 1 is best
        c = bad + (mid - bad) * (s * 2) if s < 0.5 else mid + (good - mid) * ((s - 0.5) * 2)
        out.append([int(c[0]), int(c[1]), int(c[2]), 170])
    return out
