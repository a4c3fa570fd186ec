"""The Import page (upload, recognise, map, import) and the Import history page."""

from __future__ import annotations

import json

import polars as pl
import streamlit as st

from trustdash import demo, formats, workspace
from trustdash.i18n import (
    fmt_decimal,
    fmt_number,
    fmt_percent,
    mark,
    quoted,
    tr,
    trc,
    trn,
)
from trustdash.i18n.terms import COLUMNS, localise
from trustdash.ingest import FileResult, ImportOptions, import_files
from trustdash.safe_text import reveal_bidi_columns
from trustdash.schema import FIELDS
from trustdash.ui.guard import PageContext
from trustdash.ui.text import md_escape, reveal_bidi
from trustdash.ui.widgets import download_buttons, show_table

# label -> ImportOptions.date_order
_ORDERS = {
    mark("decide from the values and the file's language"): None,
    mark("day first (31/12/2025)"): "dmy",
    mark("month first (12/31/2025)"): "mdy",
    mark("year first (2025/12/31)"): "ymd",
}
_ORDER_NAMES = {"dmy": mark("day-first"), "mdy": mark("month-first"),
                "ymd": mark("year-first")}  # fmt: skip
ACCEPTED = ["csv", "tsv", "txt", "parquet", "xlsx", "xls", "json", "jsonl", "js", "gz", "zip"]
_NONE = mark("— not in this file —")
_TABLES = {"comments": mark("comments"), "posts": mark("posts"),
           "daily_metrics": mark("daily metrics")}  # fmt: skip
# The mapping wizard's field names for a reader (English keeps the canonical names).
_FIELD_CONTEXT = "field"
_FIELD_NAMES = (
    trc("field", "channel"), trc("field", "comment_id"), trc("field", "post_id"),
    trc("field", "parent_id"), trc("field", "author"), trc("field", "is_brand"),
    trc("field", "is_automated"), trc("field", "created_at"), trc("field", "replied_at"),
    trc("field", "reply_text"), trc("field", "text"), trc("field", "likes"),
    trc("field", "shares"), trc("field", "rating"), trc("field", "campaign"),
    trc("field", "lang"), trc("field", "url"), trc("field", "post_type"),
    trc("field", "impressions"), trc("field", "reach"), trc("field", "views"),
    trc("field", "comments"), trc("field", "saves"), trc("field", "clicks"),
    trc("field", "date"), trc("field", "metric"), trc("field", "value"),
)  # fmt: skip


def _field_name(field: str) -> str:
    return trc(_FIELD_CONTEXT, field)


def _upload_limit_mb() -> int:
    try:
        return int(st.get_option("server.maxUploadSize"))
    except Exception:
        return 200


def import_view(ctx: PageContext) -> None:
    st.title(tr("Import exports"))
    limit = _upload_limit_mb()
    st.markdown(tr(
        "Drop the files you download from your channels: X/Twitter analytics and archives, "
        "Facebook and Instagram (Meta Business Suite), LinkedIn, YouTube Studio and comment "
        "exports, TikTok Studio, Trustpilot and Google reviews, Sprout Social, Brandwatch, "
        "Meltwater, or any CSV/Parquet/XLSX/JSON with comments or posts. "
        "Up to **{limit} MB per file** (larger exports: split the period, compress them as "
        "`.gz`/`.zip`, or use `python -m trustdash import` on the server).",
        limit=fmt_number(limit),
    ))  # fmt: skip
    offer = st.container()
    if st.session_state.get("td_demo_offer"):
        with offer:
            demo_removal(ctx, key="demo_offer", offer=True)
    uploads = st.file_uploader(
        tr("Export files"), accept_multiple_files=True, key="upload", type=ACCEPTED
    )
    if not uploads:
        st.caption(tr("Each file's layout is recognised automatically; you can check and "
                      "correct the mapping before importing."))  # fmt: skip
        _show_last_results()
        return
    profiles = ctx.store.mapping_profiles()
    plans: list[tuple[str, bytes, ImportOptions, dict | None]] = []
    for i, up in enumerate(uploads):
        data = up.getvalue()
        with st.container(border=True):
            st.markdown(f"**{md_escape(up.name)}** · "
                        + tr("{size} MB", size=fmt_decimal(len(data) / 1e6, 2)))  # fmt: skip
            opts, profile = _file_options(ctx, i, up.name, data, profiles)
            plans.append((up.name, data, opts, profile))
    clicked = st.button(tr("Import"), type="primary", key="do_import")
    switch = st.session_state.pop("td_switch_order", None)
    if switch is not None:
        _switch_order(ctx, switch, plans, profiles)
    elif clicked:
        bar = st.progress(0.0, text=tr("Starting…"))

        def progress(frac: float, text: str) -> None:
            bar.progress(min(max(frac, 0.0), 1.0), text=md_escape(text[:120]))

        results: list[FileResult] = []
        for k, (name, data, opts, profile) in enumerate(plans):
            if profile is not None:
                ctx.store.save_mapping_profile(profile["signature"], name, profile["profile"])

            def sub(frac: float, text: str, k: int = k) -> None:
                progress((k + frac) / len(plans), text)

            results.extend(import_files(ctx.store, [(name, data)], opts, sub))
        bar.progress(1.0, text=tr("Done"))
        st.session_state["td_last_import"] = [r.as_dict() for r in results]
        st.cache_data.clear()
        _show_results(results, switchable=True)
        if any(r.ok for r in results) and not st.session_state.get("td_demo_offer"):
            st.session_state["td_demo_offer"] = True
            with offer:
                demo_removal(ctx, key="demo_offer", offer=True)


def _switch_order(
    ctx: PageContext,
    switch: dict,
    plans: list[tuple[str, bytes, ImportOptions, dict | None]],
    profiles: dict,
) -> None:
    """Re-import one file with the other day/month order: its previous import is undone
    first, and a saved mapping of its columns remembers the order."""
    plan = next((p for p in plans if p[0] == switch["path"]), None)
    if plan is None:
        st.warning(md_escape(tr("{file}: the file is no longer uploaded; add it again.",
                                file=switch["path"])))  # fmt: skip
        return
    name, data, opts, _ = plan
    if switch.get("import_id") is not None:
        ctx.store.delete_import(int(switch["import_id"]))
    opts.date_order = switch["order"]
    with st.spinner(tr("Re-importing {file} with {order} dates…", file=name,
                       order=tr(_ORDER_NAMES[switch["order"]]))):  # fmt: skip
        results = import_files(ctx.store, [(name, data)], opts)
    try:
        sig = formats.preview(data, name, formats.MapOptions(profiles=profiles)).header_signature
    except formats.ENGINE_ERRORS:
        sig = None
    if sig in profiles:
        saved = {k: v for k, v in profiles[sig].items() if k != "name"}
        ctx.store.save_mapping_profile(
            sig, profiles[sig].get("name", name), {**saved, "date_order": switch["order"]}
        )
    st.session_state["td_last_import"] = [r.as_dict() for r in results]
    st.cache_data.clear()
    _show_results(results, switchable=True)


def _file_options(
    ctx: PageContext, i: int, name: str, data: bytes, profiles: dict
) -> tuple[ImportOptions, dict | None]:
    """Preview one file and let the user set channel, campaign and mapping."""
    c1, c2 = st.columns(2)
    channel = c1.text_input(tr("Channel (leave empty to use the detected one)"), key=f"ch_{i}",
                            max_chars=60)  # fmt: skip
    campaign = c2.text_input(tr("Campaign for rows without one (optional)"), key=f"cp_{i}",
                             max_chars=120)  # fmt: skip
    c3, c4 = st.columns(2)
    order = c3.selectbox(tr("Numeric dates such as 01/09/2025"), list(_ORDERS), key=f"do_{i}",
                         format_func=tr)  # fmt: skip
    year = c4.number_input(
        tr("Year of dates written without one (TikTok overviews)"), min_value=2000,
        max_value=2100, value=None, step=1, key=f"yr_{i}",
        placeholder=tr("from the file name, else the latest year not in the future"),
    )  # fmt: skip
    opts = ImportOptions(channel=channel or None, campaign=campaign or None,
                         user=ctx.access.email or "app", date_order=_ORDERS[order],
                         year=int(year) if year else None)  # fmt: skip
    try:
        pv = formats.preview(data, name, formats.MapOptions(profiles=profiles))
    except formats.BadFile as exc:
        columns = _columns_for_wizard(data, name)
        if not columns:
            st.error(md_escape(str(exc)))
            return opts, None
        st.warning(md_escape(str(exc)))
        proposal = formats.propose(columns, name)
        if proposal is None:
            return _wizard(i, name, columns, {}, "comments", opts)
        # A known layout matched partly (a renamed column): its mapping is pre-filled.
        todo = ", ".join(_field_name(f) for f in proposal.missing) or tr("the columns")
        st.info(md_escape(tr("Mapping of a {layout} proposed below: check it and pick {fields}.",
                             layout=tr(proposal.fmt.label), fields=todo)))  # fmt: skip
        opts.channel = opts.channel or proposal.fmt.channel
        return _wizard(i, name, columns, proposal.mapping, proposal.table, opts)
    except formats.ENGINE_ERRORS as exc:  # a preview must never break the page
        st.error(md_escape(tr("{file}: could not be previewed ({error}).", file=name,
                              error=type(exc).__name__)))  # fmt: skip
        return opts, None
    saved = profiles.get(pv.header_signature)
    if saved and not pv.format_label:
        profile = tr("profile")
        st.success(md_escape(tr(
            "Recognised with your saved mapping {name} · table {table} · channel {channel}",
            name=quoted(saved.get("name", profile)), table=_table_name(pv.table),
            channel=pv.channel or saved.get("channel") or tr("not set"),
        )))  # fmt: skip
        st.caption(md_escape(_mapping_used(pv.mapping)))
        return opts, None
    if pv.format_label:
        st.success(md_escape(tr(
            "Recognised: {format} · confidence {confidence} · table {table} · channel {channel}",
            format=tr(pv.format_label), confidence=fmt_percent(pv.confidence, 0),
            table=_table_name(pv.table), channel=pv.channel or tr("not detected"),
        )))  # fmt: skip
    else:
        st.info(tr("Layout not recognised: columns mapped by their names (table {table}). "
                   "Check the mapping below.", table=_table_name(pv.table)))  # fmt: skip
    for w in pv.warnings:
        st.caption(md_escape(f"⚠ {w}"))
    with st.expander(tr("Columns and mapping"), expanded=pv.format_label is None):
        st.dataframe(
            localise(pl.DataFrame({"column": pv.columns,
                          "sample": [", ".join(str(v)[:40] for v in pv.samples.get(c, [])[:3]
                                               if v is not None) for c in pv.columns]})).to_arrow(),
            hide_index=True,
        )  # fmt: skip
        if pv.format_label is None:
            return _wizard(i, name, pv.columns, pv.mapping, pv.table, opts)
        st.caption(md_escape(_mapping_used(pv.mapping)))
    return opts, None


def _table_name(table: str) -> str:
    return tr(_TABLES.get(table, table))


def _mapping_used(mapping: dict[str, str]) -> str:
    return tr("Mapping used: {pairs}", pairs=", ".join(
        f"{_field_name(k)} ← {v}" for k, v in mapping.items()))  # fmt: skip


def _columns_for_wizard(data: bytes, name: str) -> list[str]:
    try:
        return formats.sniff_columns(data, name)
    except formats.ENGINE_ERRORS:
        return []


def _wizard(
    i: int,
    name: str,
    columns: list[str],
    suggested: dict[str, str],
    table: str,
    opts: ImportOptions,
) -> tuple[ImportOptions, dict | None]:
    """Map columns by hand; remembered for the next file with the same header."""
    tables = list(FIELDS)
    table = st.selectbox(tr("These rows are"), tables, index=tables.index(table)
                         if table in tables else 0, key=f"tb_{i}",
                         format_func=_table_name)  # fmt: skip
    mapping: dict[str, str] = {}
    fields = list(FIELDS[table])
    cols = st.columns(3)
    for j, field in enumerate(fields):
        options = [_NONE, *columns]
        default = suggested.get(field)
        idx = options.index(default) if default in options else 0
        pick = cols[j % 3].selectbox(
            _field_name(field), options, index=idx, key=f"map_{i}_{field}",
            format_func=lambda o: tr(_NONE) if o == _NONE else o,
        )
        if pick != _NONE:
            mapping[field] = pick
    remember = st.checkbox(tr("Remember this mapping for files with the same columns"),
                           value=True, key=f"rm_{i}")  # fmt: skip
    opts.mapping = mapping
    opts.table = table
    profile = None
    if remember and mapping:
        profile = {
            "signature": formats.header_signature(columns),
            "profile": {"table": table, "mapping": mapping, "channel": opts.channel,
                        "date_order": opts.date_order},
        }
    return opts, profile


def _show_results(results: list[FileResult], switchable: bool = False) -> None:
    """Counts first (in rows of the file), one line per file; details below."""
    added = [r for r in results if r.ok and not r.nothing_new]
    if added:
        st.success(trn("{n} file(s) imported.", "{n} file(s) imported.", len(added)))
    for r in results:
        line = md_escape(f"{r.path}: {r.summary()}")
        if not r.ok:
            st.error(md_escape("\n".join(r.errors)))
        elif r.nothing_new:
            st.info(line)
        else:
            st.markdown(line)
        if switchable and r.ok and r.date_order in ("dmy", "mdy"):
            other = "mdy" if r.date_order == "dmy" else "dmy"
            st.button(
                tr("Dates of {file} are {order}: re-import them as {other}", file=r.path,
                   order=tr(_ORDER_NAMES[r.date_order]), other=tr(_ORDER_NAMES[other])),
                key=f"swap_{r.path}_{r.import_id}",
                on_click=st.session_state.__setitem__,
                args=("td_switch_order",
                      {"path": r.path, "order": other, "import_id": r.import_id}),
            )  # fmt: skip
    frame = pl.DataFrame(
        [
            {
                "file": r.path, "read": r.rows_read, "imported": r.rows_imported,
                "updated": r.rows_updated, "duplicates": r.duplicates, "rejected": r.rejected,
                "status": "failed" if not r.ok else "nothing new" if r.nothing_new else "ok",
                "table": _table_name(r.table or ""), "channel": r.channel,
                "format": tr(r.format_label) if r.format_label else r.format,
                "confidence": r.confidence, "notes": "; ".join(r.warnings + r.errors),
            }
            for r in results
        ]
    )  # fmt: skip
    show_table(reveal_bidi_columns(frame, ["file"]), hide_index=True)


def _show_last_results() -> None:
    last = st.session_state.get("td_last_import")
    if last:
        st.subheader(tr("Last import"))
        _show_results([FileResult(**r) for r in last])


def demo_removal(ctx: PageContext, *, key: str, offer: bool = False) -> None:
    """Remove the demo workspace in one step (after a confirmation); the user's own
    imports stay. Shows nothing when no demo import is left or the user cannot edit."""
    done = st.session_state.pop("td_demo_removed", None)
    if done:
        st.success(done)
    if not ctx.can_edit:
        return
    ids = workspace.demo_imports(ctx.store)
    if not ids:
        return
    with st.container(border=True):
        if offer:
            st.markdown("**" + tr("Your data is in. Remove the demo workspace now?") + "**")
        else:
            st.markdown("**" + tr("Demo workspace") + "**")
        st.caption(trn(
            "The demo (the fictional brand {brand}) came in as {n} imports. Removing it "
            "deletes exactly those imports and the demo's brand accounts; your own imports stay.",
            "The demo (the fictional brand {brand}) came in as {n} imports. Removing it "
            "deletes exactly those imports and the demo's brand accounts; your own imports stay.",
            len(ids), brand=demo.DEMO_BRAND,
        ))  # fmt: skip
        sure = st.checkbox(trn("Yes, remove the demo's {n} imports",
                               "Yes, remove the demo's {n} imports", len(ids)),
                           key=f"{key}_confirm")  # fmt: skip
        if st.button(tr("Remove the demo"), key=f"{key}_remove", type="primary",
                     disabled=not sure):  # fmt: skip
            with st.spinner(tr("Removing the demo…")):
                removed = workspace.remove_demo(ctx.store)
            st.cache_data.clear()
            st.session_state.pop("td_f", None)  # the filters may name demo channels
            st.session_state["td_demo_removed"] = tr(
                "Demo removed: {imports} imports, {comments} comments, {posts} posts.",
                imports=fmt_number(removed.get("imports", 0)),
                comments=fmt_number(removed.get("comments", 0)),
                posts=fmt_number(removed.get("posts", 0)),
            )  # fmt: skip
            st.rerun()


def history_view(ctx: PageContext) -> None:
    st.title(tr("Import history"))
    demo_removal(ctx, key="demo_hist")
    imports = ctx.store.imports()
    if imports.is_empty():
        st.info(tr("Nothing imported yet."))
        return
    show_table(reveal_bidi_columns(imports.drop("warnings"), ["file_name"]), hide_index=True,
               column_config={"confidence": st.column_config.NumberColumn(
                   tr("confidence"), format="percent")})  # fmt: skip
    download_buttons(imports, "imports", key="dl_imports")
    ids = imports["id"].to_list()
    pick = st.selectbox(
        tr("Import"), ids, key="hist_pick",
        format_func=lambda i: f"#{i} · "
        + reveal_bidi(str(imports.filter(pl.col("id") == i)["file_name"][0])[:80]),
    )  # fmt: skip
    row = imports.filter(pl.col("id") == pick).row(0, named=True)
    warnings = json.loads(row["warnings"] or "[]")
    for w in warnings:
        st.caption(md_escape(f"⚠ {w}"))
    rejected = ctx.store.rejected_rows(int(pick))
    if rejected.height:
        st.markdown(trn("**{n} rejected row(s)** with their reasons",
                        "**{n} rejected row(s)** with their reasons", rejected.height))  # fmt: skip
        show_table(rejected, hide_index=True)
        download_buttons(rejected, f"rejected_{pick}", key="dl_rejected")
    if ctx.can_edit:
        with st.expander(tr("Undo this import")):
            st.caption(tr("Deletes the rows of this import and everything derived from them "
                          "(rollups, reply links). Rows shared with other imports stay."))  # fmt: skip
            sure = st.checkbox(tr("Yes, delete import #{id} and its rows", id=pick),
                               key=f"hist_confirm_{pick}")  # fmt: skip
            if st.button(tr("Delete import"), key="hist_delete", type="primary",
                         disabled=not sure):  # fmt: skip
                removed = ctx.store.delete_import(int(pick))
                st.success(tr("Removed: {counts}", counts=", ".join(
                    f"{tr(k) if k in COLUMNS else k} {fmt_number(v)}"
                    for k, v in removed.items())))  # fmt: skip
                st.rerun()
