"""Explorer: slice any table without code (filters, groups, time grain, measures); the slice lives in the URL."""

from __future__ import annotations

import datetime as dt
import functools
from urllib.parse import parse_qs, urlencode

import pandas as pd
import streamlit as st

from ioc import explore, exports, i18n
from ioc.errors import IOCError, NameTaken
from ioc.explore import Measure, Spec
from ioc.ops import OpsStore
from ioc.queries import catalog as qc
from ioc.queries import reference as qr
from ioc.ui import components as ui
from ioc.ui import state, tables
from ioc.ui.signin import gate

gate("explorer")  # this page's own check of who may open it
state.analyst_tools()  # small counts of people read "<5" in what this page reads

cfg = state.config()
lang = state.lang()
t = state.t
URL_KEYS = ("t", "g", "tg", "m", "f")
WIDGET_KEYS = ("x_groups", "x_grain", "x_grain_col", "x_measures", "x_filters")
ops = OpsStore(cfg.data_path / "ops.sqlite")


def _forget_slice() -> None:
    """A new table (or a saved view) starts from its own URL, not from the previous table's widgets."""
    for k in WIDGET_KEYS:
        st.session_state.pop(k, None)
    for k in URL_KEYS[1:]:
        if k in st.query_params:
            del st.query_params[k]


def _open_view(query: str) -> None:
    _forget_slice()
    st.session_state.pop("t", None)
    keep = {k: v for k, v in st.query_params.to_dict().items() if k not in URL_KEYS}
    st.query_params.from_dict({**keep, **parse_qs(query)})


def _seed(key: str, value) -> str:
    if key not in st.session_state:
        st.session_state[key] = value
    return key


ui.page_header(t("explorer.title"), t("explorer.subtitle"))

spec = None
with ui.section():
    names = state.query(qc.table_names)
    default_table = "admin_dossiers" if "admin_dossiers" in names else names[0]
    table = st.selectbox(
        t("explorer.table"),
        names,
        on_change=_forget_slice,
        key=state.url_key("t", default_table, lambda v: v if v in names else None),
    )
    withheld = cfg.sensitive_columns().get(table, [])  # counts of people, "<5" from 1 to 4: not measured
    cols = {c: explore.WITHHELD if c in withheld else ty for c, ty in state.query(explore.columns, table).items()}
    label_of = exports.labels(cfg, table)
    base = explore.from_params({k: st.query_params.get_all(k) for k in URL_KEYS}, cols, table)

    def col_label(c: str) -> str:
        return f"{label_of[c]} ({c})" if c in label_of else c

    def measure_label(code: str) -> str:
        m = explore.measure_from(code)
        fn = t(f"explorer.fn.{m.fn}")
        return fn if m.column is None else f"{fn} · {label_of.get(m.column, m.column)}"

    kinds = {c: explore.kind(ty) for c, ty in cols.items()}

    def value_text(column: str, raw: str) -> str:
        if kinds.get(column) == "bool":
            return t("analyst.yes") if raw == "true" else t("analyst.no")
        if kinds.get(column) == "date":
            return i18n.date(raw)
        return raw

    date_cols = [c for c, k in kinds.items() if k == "date"]
    measure_codes = ["count"] + [f"{fn}:{c}" for c, k in kinds.items() for fn in explore.MEASURES_BY_KIND[k]]

    c1, c2, c3, c4 = st.columns([3, 1.4, 2, 3])
    groups = c1.multiselect(
        t("explorer.group"),
        list(cols),
        format_func=col_label,
        max_selections=explore.MAX_GROUPS,
        select_all=False,  # Streamlit's "Select all" is English whatever the page's language
        placeholder=t("explorer.group_none"),
        key=_seed("x_groups", list(base.groups)),
    )
    grain = c2.selectbox(
        t("explorer.grain"),
        ["", *explore.GRAINS],
        disabled=not date_cols,
        format_func=lambda g: t(f"explorer.grains.{g or 'none'}"),
        key=_seed("x_grain", base.grain or ""),
    )
    grain_col = c3.selectbox(
        t("explorer.grain_column"),
        date_cols or [""],
        format_func=col_label,
        disabled=not grain,
        key=_seed("x_grain_col", base.grain_column or (date_cols or [""])[0]),
    )
    measures = c4.multiselect(
        t("explorer.measures"),
        measure_codes,
        format_func=measure_label,
        select_all=False,
        key=_seed("x_measures", [m.code for m in base.measures]),
    )

    # filters: a list of URL-form codes (column:op:values), added one at a time below
    _seed("x_filters", [":".join([f.column, f.op, "|".join(f.values)]) for f in base.filters])
    with st.expander(
        t("explorer.filters", n=len(st.session_state["x_filters"])), expanded=bool(st.session_state["x_filters"])
    ):
        for i, code in enumerate(list(st.session_state["x_filters"])):
            f = explore.filter_from(code)
            shown = " | ".join(value_text(f.column, v) for v in f.values)
            st.button(
                f"✕  {col_label(f.column)} {t('explorer.op.' + f.op)} {shown}",
                key=f"x_rm_{i}_{code}",
                on_click=lambda c=code: st.session_state["x_filters"].remove(c),
                type="tertiary",
            )
        a1, a2, a3, a4 = st.columns([2.2, 1.4, 3, 1], vertical_alignment="bottom")
        fcol = a1.selectbox(t("explorer.filter_column"), list(cols), format_func=col_label, key="x_fcol")
        fkind = kinds[fcol]
        fop = a2.selectbox(
            t("explorer.filter_op"),
            explore.OPS_BY_KIND[fkind],
            format_func=lambda o: t("explorer.op." + o),
            key=f"x_fop_{fkind}",
        )
        values: list[str] = []
        if fop in ("empty", "notempty"):
            a3.caption(" ")
        elif fkind == "bool":
            values = [
                a3.selectbox(
                    t("explorer.filter_value"),
                    ["true", "false"],
                    key="x_fv_bool",
                    format_func=lambda v: t("analyst.yes") if v == "true" else t("analyst.no"),
                )
            ]
        elif fkind == "date":
            if fop == "between":
                picked = a3.date_input(t("explorer.filter_value"), value=[], format="DD/MM/YYYY", key=f"x_fv_d2_{fcol}")
                values = [d.isoformat() for d in picked] if isinstance(picked, tuple) and len(picked) == 2 else []
            else:
                day = a3.date_input(t("explorer.filter_value"), value=None, format="DD/MM/YYYY", key=f"x_fv_d_{fcol}")
                values = [day.isoformat()] if isinstance(day, dt.date) else []
        elif fkind == "number" and fop == "between":
            lo, hi = a3.columns(2)
            x = lo.number_input(t("explorer.from"), value=None, key=f"x_fv_lo_{fcol}", format="%g")
            y = hi.number_input(t("explorer.to"), value=None, key=f"x_fv_hi_{fcol}", format="%g")
            values = [f"{x:g}", f"{y:g}"] if x is not None and y is not None else []
        else:
            known = state.query(explore.distinct_values, table, fcol) if fop in ("eq", "ne", "in") else []
            fmt = lambda v: tables.cell_text(v, lang)  # noqa: E731
            if known and fop == "in":
                values = [
                    str(v)
                    for v in a3.multiselect(
                        t("explorer.filter_value"), known, format_func=fmt, key=f"x_fv_in_{fcol}", select_all=False
                    )
                ]
            elif known:
                values = [str(a3.selectbox(t("explorer.filter_value"), known, format_func=fmt, key=f"x_fv_one_{fcol}"))]
            else:
                typed = a3.text_input(
                    t("explorer.filter_value"),
                    key=f"x_fv_text_{fcol}",
                    placeholder=t("explorer.in_help") if fop == "in" else "",
                )
                values = (
                    [v.strip() for v in typed.split(";") if v.strip()] if fop == "in" else ([typed] if typed else [])
                )
        new = ":".join([fcol, fop, "|".join(values)])
        ready = fop in ("empty", "notempty") or bool(values)
        if a4.button(t("explorer.filter_add"), disabled=not ready, key="x_fadd"):
            try:
                explore.build_query(Spec(table, filters=(explore.filter_from(new),)), cols)
                if new not in st.session_state["x_filters"]:
                    st.session_state["x_filters"].append(new)
                    st.rerun()
            except explore.ExploreError as exc:
                st.warning(str(exc))

    spec = Spec(
        table,
        filters=tuple(explore.filter_from(c) for c in st.session_state["x_filters"]),
        groups=tuple(groups),
        grain=grain or None,
        grain_column=(grain_col or None) if grain else None,
        measures=tuple(explore.measure_from(m) for m in measures) or (Measure("count"),),
    )
    want = explore.to_params(spec)
    for k in URL_KEYS:
        if k not in want:
            if k in st.query_params:
                del st.query_params[k]
        elif st.query_params.get_all(k) != (want[k] if isinstance(want[k], list) else [want[k]]):
            st.query_params[k] = want[k]

df = pd.DataFrame()
if spec is not None:
    with ui.section():
        limit = cfg.analyst.display_rows
        sql, params = explore.build_query(spec, cols)
        df, truncated = tables.sandboxed(sql, params, limit)
        wards = state.query(qr.wards)
        ward_name = dict(zip(wards["ward_code"], i18n.name(wards, lang)))
        labels = {m.alias: measure_label(m.code) for m in spec.measures}
        labels |= {g: label_of.get(g) or (t("explorer.ward") if g == explore.WARD else g) for g in spec.groups}
        if spec.grain_alias:
            labels[spec.grain_alias] = t(f"explorer.grains.{spec.grain}")
        view = df.copy()
        for g in spec.groups:
            if g == explore.WARD:  # a code means little to a reader: the ward's name beside it
                view.insert(view.columns.get_loc(g) + 1, "_ward", view[g].map(ward_name).fillna(view[g]))
                labels["_ward"] = t("explorer.ward_name")
        if spec.grain_alias:
            view[spec.grain_alias] = [i18n.period(v, spec.grain or "day", lang) for v in view[spec.grain_alias]]

        first = spec.measures[0].alias
        kind = explore.chart_kind(spec)
        if df.empty:
            st.info(t("app.empty"))
        elif kind == "number":
            tables.big_numbers([(labels[m.alias], tables.cell_text(df[m.alias].iloc[0], lang)) for m in spec.measures])
        elif kind == "map":
            st.pydeck_chart(
                tables.ward_map(
                    df, wards, value=first, value_title=labels[first], lang=lang, tile_url=cfg.maps.tile_url
                ),
                height=480,
                width="stretch",
            )
            st.caption(
                t(
                    "explorer.map_legend",
                    measure=labels[first],
                    lo=tables.cell_text(df[first].min(), lang),
                    hi=tables.cell_text(df[first].max(), lang),
                )
            )
        else:
            plot = df.copy()
            for g in spec.groups:
                plot[g] = plot[g].map(ward_name).fillna(plot[g]) if g == explore.WARD else plot[g].astype(str)
            if kind == "line":
                series = spec.groups[0] if spec.groups else None
                when = spec.grain_alias or ""
                chart = tables.line(
                    plot,
                    x=when,
                    y=first,
                    series=series,
                    x_title=labels[when],
                    y_title=labels[first],
                    series_title=labels.get(series or "", ""),
                    lang=lang,
                )
            else:
                colour = spec.groups[1] if len(spec.groups) > 1 else None
                chart = tables.bars(
                    plot,
                    x=first,
                    y=spec.groups[0],
                    colour=colour,
                    x_title=labels[first],
                    y_title=labels[spec.groups[0]],
                    colour_title=labels.get(colour or "", ""),
                    lang=lang,
                )
            ui.chart(chart)

        st.caption(
            t("explorer.rows", n=i18n.num(len(df), lang))
            + (" · " + t("analyst.truncated", n=i18n.num(limit, lang)) if truncated else "")
        )
        tables.show(view, labels, height=min(420, 38 + 35 * max(1, len(view))))
        export_labels = {**label_of, **labels}
        tables.downloads(
            functools.partial(
                exports.export_query, cfg, sql, params, label_of=export_labels, path=state.snapshot_path()
            ),
            f"{table}_{dt.date.today():%Y%m%d}",
            key="x_dl",
        )
        with st.expander(t("explorer.sql")):
            st.code(sql + (f"\n-- {t('explorer.params')}: {params}" if params else ""), language="sql")

# --------------------------------------------------------------------------- compare
if spec is not None and not df.empty:
    with ui.section(t("explorer.compare")):
        modes = (["period"] if spec.grain_alias else []) + (["ward"] if explore.WARD in cols else [])
        if not modes:
            st.caption(t("explorer.compare_none"))
        else:
            k1, k2, k3, k4 = st.columns([1.4, 2, 2, 2])
            mode = (
                k1.segmented_control(
                    t("explorer.compare_by"),
                    modes,
                    required=True,
                    key="x_cmp_mode",
                    default=modes[0],
                    format_func=lambda m: t(f"explorer.compare_{m}"),
                )
                or modes[0]
            )
            measure = str(
                k2.selectbox(
                    t("explorer.compare_measure"),
                    [m.alias for m in spec.measures],
                    format_func=lambda m: labels.get(m, m),
                    key="x_cmp_measure",
                )
            )
            if mode == "period":
                periods = sorted(df[spec.grain_alias].dropna().unique())
                grain = spec.grain or "day"

                def fmt(v: object, grain: str = grain) -> str:
                    return i18n.period(pd.Timestamp(v), grain, lang)

                a = k3.selectbox(
                    t("explorer.side_a"), periods, index=max(0, len(periods) - 2), format_func=fmt, key="x_cmp_pa"
                )
                b = k4.selectbox(t("explorer.side_b"), periods, index=len(periods) - 1, format_func=fmt, key="x_cmp_pb")
                source, key, by, names = df, spec.grain_alias or "", list(spec.groups), (fmt(a), fmt(b))
            else:
                codes = list(wards["ward_code"])
                a = str(
                    k3.selectbox(
                        t("explorer.side_a"), codes, index=0, format_func=ward_name.__getitem__, key="x_cmp_wa"
                    )
                )
                b = str(
                    k4.selectbox(
                        t("explorer.side_b"), codes, index=1, format_func=ward_name.__getitem__, key="x_cmp_wb"
                    )
                )
                cspec = spec if explore.WARD in spec.groups else explore.compare_spec(spec, explore.WARD, a, b)
                source = df if cspec is spec else tables.sandboxed(*explore.build_query(cspec, cols), limit)[0]
                key, by, names = (
                    explore.WARD,
                    [k for k in cspec.keys if k != explore.WARD],
                    (ward_name[a], ward_name[b]),
                )
            cmp = explore.compare_frame(source, key, measure, a, b, by)
            if len(cmp) == 1:
                r = cmp.iloc[0]
                tables.big_numbers(
                    [
                        (names[0], tables.cell_text(r["a"], lang)),
                        (names[1], tables.cell_text(r["b"], lang)),
                        (t("explorer.diff"), tables.cell_text(r["diff"], lang)),
                        (t("explorer.pct"), i18n.pct(r["pct"], lang, 1, signed=True)),
                    ]
                )
            else:
                if spec.grain_alias in by:
                    cmp[spec.grain_alias] = [i18n.period(v, spec.grain or "day", lang) for v in cmp[spec.grain_alias]]
                for g in by:
                    if g == explore.WARD:
                        cmp[g] = cmp[g].map(ward_name).fillna(cmp[g])
                cmp["pct"] = [i18n.pct(v, lang, 1, signed=True) for v in cmp["pct"]]
                tables.show(
                    cmp,
                    {**labels, "a": names[0], "b": names[1], "diff": t("explorer.diff"), "pct": t("explorer.pct")},
                    height=min(420, 38 + 35 * len(cmp)),
                )

# --------------------------------------------------------------------------- saved views
with ui.section(t("explorer.views")):
    if spec is not None:
        s1, s2 = st.columns([3, 1], vertical_alignment="bottom")
        name = s1.text_input(t("explorer.view_name"), key="x_view_name", placeholder=t("explorer.view_name_help"))
        if s2.button(t("explorer.view_save"), disabled=not name.strip(), key="x_view_save"):
            try:
                ops.save_view(name, urlencode(explore.to_params(spec), doseq=True))
                st.success(t("explorer.view_saved", name=name.strip()))
            except NameTaken:
                st.warning(t("explorer.view_exists", name=name.strip()))
            except IOCError as exc:
                st.warning(str(exc))
    views = ops.views()
    if not views:
        st.caption(t("explorer.views_none"))
    for v in views:
        r1, r2, r3 = st.columns([4, 2, 1], vertical_alignment="center")
        r1.button(
            f"↗ {v['name']}",
            key=f"x_view_{v['id']}",
            on_click=_open_view,
            args=(v["query"],),
            type="tertiary",
            help=v["query"],
        )
        r2.caption(i18n.datetime(pd.Timestamp(v["created_at"], unit="s", tz="UTC").tz_convert(cfg.city.timezone)))
        r3.button(
            "✕",
            key=f"x_view_del_{v['id']}",
            on_click=ops.delete_view,
            args=(v["id"],),
            type="tertiary",
            help=t("explorer.view_delete"),
        )
