"""Map labels: ward names that would overlap at the opening zoom are set apart (leaders read them)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ioc.config import load_config
from ioc.ui import maps

CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"


def boxes(names, positions, offsets, size=12):
    return [maps.label_box(n, p, size, o) for n, p, o in zip(names, positions, offsets)]


def clashes(bs):
    return [(i, j) for i in range(len(bs)) for j in range(i) if maps.overlap(bs[i], bs[j])]


def test_the_wards_names_overlap_nowhere_at_the_opening_zoom_in_either_language():
    cfg = load_config(CONFIG)
    positions = [[w.lon, w.lat] for w in cfg.wards]
    for names in ([w.name.vi for w in cfg.wards], [w.name.get("en") for w in cfg.wards]):
        for offset in (0, 22):  # 22: under the environment page's station markers
            assert clashes(boxes(names, positions, [[0, offset]] * len(names)))  # they would, left at their centres
            moved = maps.declutter(names, positions, 12, offset)
            assert not clashes(boxes(names, positions, moved))
            assert sum(o != [0, offset] for o in moved) == 1  # one label moved (Chánh Nghĩa), the rest where they were


def test_a_label_moves_a_line_down_then_up_and_is_left_where_it_was_when_nowhere_is_clear():
    here = [106.65, 10.98]
    assert maps.declutter(["A", "B"], [here, [107.5, 11.5]], 12) == [[0, 0], [0, 0]]  # far apart
    step = 12 * 1.3
    assert maps.declutter(["Phường", "Phường", "Phường"], [here] * 3, 12) == [[0, 0], [0, step], [0, -step]]
    crowd = maps.declutter(["Phường"] * 7, [here] * 7, 12)
    assert crowd[:5] == [[0, 0], [0, step], [0, -step], [0, 2 * step], [0, -2 * step]] and crowd[5:] == [[0, 0]] * 2


def test_a_label_at_the_maps_lower_edge_moves_up_not_off_the_map():
    here = [106.65, 10.98]
    step = 12 * 1.3
    edge = (106.6, 10.977, 106.7, 11.1)  # the wards end 9 pixels under the labels: room for one line, not two
    assert maps.declutter(["Phường", "Phường"], [here] * 2, 12) == [[0, 0], [0, step]]
    assert maps.declutter(["Phường", "Phường"], [here] * 2, 12, bounds=edge) == [[0, 0], [0, -step]]


def test_a_label_moves_off_a_marker_drawn_where_it_would_be():
    here = [106.65, 10.98]
    marker = maps.marker_boxes([here], 12)
    ((x0, y0, x1, y1),) = marker
    assert (x1 - x0, y1 - y0) == (24, 24)  # a box as wide as the marker
    moved = maps.declutter(["Hòa Phú"], [here], 12, avoid=marker)
    assert moved != [[0, 0]]
    assert not maps.overlap(maps.label_box("Hòa Phú", here, 12, moved[0]), marker[0])
    assert maps.declutter(["Hòa Phú"], [[106.70, 11.05]], 12, avoid=marker) == [[0, 0]]  # a marker elsewhere


def test_the_ward_label_layer_carries_each_labels_offset():
    wards = pd.DataFrame(
        {
            "ward_code": ["1", "2"],
            "name_vi": ["Chánh Nghĩa", "Phú Thọ"],
            "name_en": [None, None],
            "lon": [106.6552, 106.6600],
            "lat": [10.9680, 10.9680],
        }
    )
    layer = maps.ward_labels(wards, "vi", offset=22)
    assert layer.get_pixel_offset == "@@=offset"  # pydeck: each datum's own offset
    assert [d["offset"] for d in layer.data] == [[0, 22], [0, 22 + 12 * 1.3]]


def test_the_walls_labels_overlap_nowhere_and_stay_within_the_map():
    """The kiosk's maps open closer (its ZOOM) with bigger labels, a value under each name on the indicator
    map: none overlap, and none is pushed past the wards' upper or lower edge, where the map is cut."""
    import duckdb

    from ioc.indicators import build_dim_ward
    from ioc.ui import kiosk

    cfg = load_config(CONFIG)
    with duckdb.connect() as con:
        build_dim_ward(con, cfg)
        wards = con.execute("SELECT * FROM dim_ward").df()
    west, south, east, north = maps.extent(wards)
    top = maps.label_box("", [west, north], 0, [0, 0], kiosk.ZOOM)[1]
    bottom = maps.label_box("", [east, south], 0, [0, 0], kiosk.ZOOM)[1]
    positions = [[w.lon, w.lat] for w in cfg.wards]
    names = [w.name.vi for w in cfg.wards]
    for labels, size, offset in ((names, 16, 40), ([f"{n}\n99,5" for n in names], 19, 0)):
        moved = maps.declutter(labels, positions, size, offset, kiosk.ZOOM, (west, south, east, north))
        bs = [maps.label_box(n, p, size, o, kiosk.ZOOM) for n, p, o in zip(labels, positions, moved)]
        assert not clashes(bs)
        assert all(top <= b[1] and b[3] <= bottom for b in bs)


def _values(*vals):
    import datetime as dt

    return pd.DataFrame(
        {"ward_code": [f"w{i}" for i in range(len(vals))], "period": [dt.date(2026, 10, 1)] * len(vals), "value": vals}
    )


def test_ward_colours_say_what_they_compare():
    """A legend gives the level or the values the colours compare; a ward at 0 is ranked best, not grey; a
    ward with the only value is not "worst"; an alert threshold judges a ward before a yearly total ranks it."""
    from ioc.ui import wards

    inds = {i.code: i for i in load_config(CONFIG).indicators}
    nan = float("nan")
    fills, legend = wards.colouring(_values(0.0, 1.0, nan), inds["SECURITY_ACCIDENTS"], "vi")
    assert fills == [maps.GOOD_RGB, maps.BAD_RGB, maps.NONE_RGB]
    assert [label for label, *_ in legend] == ["Tốt nhất: 0 vụ", "Kém nhất: 1 vụ", "Không có số liệu"]
    fills, legend = wards.colouring(_values(nan, 1.0, nan), inds["SECURITY_ACCIDENTS"], "vi")
    assert fills == [maps.NONE_RGB, maps.SAME_RGB, maps.NONE_RGB]
    assert legend[0][0] == "Các phường cùng mức: 1 vụ"
    fills, legend = wards.colouring(_values(3.0, 7.0), inds["HEALTH_DENGUE_CASES"], "vi")
    assert fills == [maps.GOOD_RGB, maps.BAD_RGB]
    assert [label for label, *_ in legend][:2] == ["Trong giới hạn (≤ 5 ca)", "Vượt ngưỡng cảnh báo (> 5 ca)"]
    _, legend = wards.colouring(_values(97.0, 99.0), inds["ADMIN_ONTIME_RATE"], "vi")
    assert [label for label, *_ in legend][:2] == [
        "Đạt chỉ tiêu (≥ 98 %, bình quân từ đầu năm)",
        "Chưa đạt chỉ tiêu (< 98 %, bình quân từ đầu năm)",
    ]
    _, legend = wards.colouring(_values(2.5, 4.0), inds["ADMIN_RESOLUTION_DAYS"], "en")
    assert [label for label, *_ in legend][:2] == [
        "Within the limit (≤ 3 days, year-to-date mean)",
        "Over the limit (> 3 days, year-to-date mean)",
    ]


def test_a_ward_is_judged_on_the_rule_of_the_tile():
    """A target on the year's mean judges a ward's year-to-date mean, as the tile judges the city's: a ward
    at 97 % this month but 99 % over the year meets 98 %; the ward profile's verdict is the map's."""
    from types import SimpleNamespace

    from ioc.ui import ward_profile, wards

    ind = {i.code: i for i in load_config(CONFIG).indicators}["ADMIN_ONTIME_RATE"]
    values = _values(97.0, 99.0).assign(ytd=[99.0, 97.5])
    fills, _ = wards.colouring(values, ind, "vi")
    assert fills == [maps.GOOD_RGB, maps.BAD_RGB]
    for r, fill in zip(values.itertuples(), fills):
        row = SimpleNamespace(
            value=r.value, ytd=r.ytd, masked=False, target_year=ind.target_for(2026), threshold=None,
            direction=ind.direction, target_aggregate=ind.target_aggregate,
        )  # fmt: skip
        assert ward_profile.judge(row) is (fill == maps.GOOD_RGB)


def test_a_missing_period_is_a_gap_in_the_line_and_no_axis_label_repeats():
    import datetime as dt

    from ioc.ui import charts, sector

    df = pd.DataFrame(
        {"period": [dt.date(2026, 7, 1), dt.date(2026, 8, 1), dt.date(2026, 10, 1)], "value": [1.0, 0.0, 3.0]}
    )
    drawn, missing = charts.with_gaps(df, "period", "month")
    assert missing == [pd.Timestamp("2026-09-01")]
    assert drawn["value"].isna().tolist() == [False, False, True, False]  # 0 stays 0; September is no value
    spec = sector._trend(drawn, "t", "ca", "month", None, "vi").to_dict()
    line = spec["layer"][0]
    # the line breaks at the missing value, neither joining across nor dropping to the axis floor (None: "show")
    assert line["mark"]["invalid"] == "break-paths-filter-domains"
    assert line["encoding"]["x"]["axis"]["tickCount"] == {"interval": "month", "step": 1}
    weekly, gone = charts.with_gaps(
        pd.DataFrame({"period": [dt.date(2026, 11, 2), dt.date(2026, 11, 16)], "value": [4.0, 5.0]}), "period", "week"
    )
    assert gone == [pd.Timestamp("2026-11-09")] and len(weekly) == 3


def test_periods_off_the_grains_boundaries_are_not_taken_for_gaps():
    import datetime as dt

    from ioc.ui import charts

    thursdays = pd.DataFrame({"period": [dt.date(2026, 11, 5), dt.date(2026, 11, 12)], "value": [1.0, 2.0]})
    drawn, missing = charts.with_gaps(thursdays, "period", "week")
    assert missing == [] and len(drawn) == 2
    two = pd.DataFrame(
        {
            "period": [dt.date(2026, 7, 1), dt.date(2026, 9, 1), dt.date(2026, 7, 1)],
            "value": [1.0, 2.0, 3.0],
            "series": ["b", "b", "a"],
        }
    )
    drawn, missing = charts.with_gaps(two, "period", "month", "series")
    assert list(dict.fromkeys(drawn["series"])) == ["b", "a"]  # the series keep their order (the legend's)
    assert drawn["value"].isna().sum() == 1 and missing == [pd.Timestamp("2026-08-01")]


def test_a_tooltip_shows_data_as_text():
    """deck.gl puts a tooltip's html into the page as markup: a place named `<img onerror>` or a ward whose
    info holds `<script>` reaches it escaped, in points and in features; a label layer's text is left alone."""
    import pydeck as pdk

    evil = '<img src=x onerror="alert(1)">'
    points = pdk.Layer("ScatterplotLayer", [{"name": evil, "info": "<script>alert(2)</script>", "x": "<b>"}],
                       id="p", pickable=True)  # fmt: skip
    feats = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": None,
             "properties": {"name": evil, "info": "ok"}}]}  # fmt: skip
    shapes = pdk.Layer("GeoJsonLayer", feats, id="f", pickable=True)
    labels = pdk.Layer("TextLayer", [{"name": "A & B"}], id="l")
    wards = pd.DataFrame({"lat": [11.0], "lon": [106.65]})
    spec = maps.deck([points, shapes, labels], wards, "<b>{name}</b><br/>{info}").to_json()
    assert "<img" not in spec and "<script>" not in spec and "&lt;img src=x onerror=" in spec
    assert "&lt;script&gt;" in spec and '"x": "<b>"' in spec  # a field the tooltip does not show: untouched
    assert "A & B" in spec
