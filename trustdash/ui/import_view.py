"""The Import page (upload, recognise, map, import) and the Import history page."""

from __future__ import annotations

import json

import polars as pl
import streamlit as st

from trustdash import demo, formats, workspace
from trustdash.ingest import FileResult, ImportOptions, import_files
from trustdash.safe_text import reveal_bidi_columns
from trustdash.schema import FIELDS
from trustdash.ui.guard import PageContext
from trustdash.ui.text import md_escape, reveal_bidi
from trustdash.ui.widgets import download_buttons, show_table

# label -> ImportOptions.date_order
_ORDERS = {
    "decide from the values and the file's language": None,
    "day first (31/12/2025)": "dmy",
    "month first (12/31/2025)": "mdy",
    "year first (2025/12/31)": "ymd",
}
_ORDER_NAMES = {"dmy": "day-first", "mdy": "month-first", "ymd": "year-first"}
ACCEPTED = ["csv", "tsv", "txt", "parquet", "xlsx", "xls", "json", "jsonl", "js", "gz", "zip"]
_NONE = "— not in this file —"


def _upload_limit_mb() -> int:
    try:
        return int(st.get_option("server.maxUploadSize"))
    except Exception:
        return 200


def import_view(ctx: PageContext) -> None:
    st.title("Import exports")
    limit = _upload_limit_mb()
    st.markdown(
        "Drop the files you download from your channels: X/Twitter analytics and archives, "
        "Facebook and Instagram (Meta Business Suite), LinkedIn, YouTube Studio and comment "
        "exports, TikTok Studio, Trustpilot and Google reviews, Sprout Social, Brandwatch, "
        "Meltwater, or any CSV/Parquet/XLSX/JSON with comments or posts. "
        f"Up to **{limit} MB per file** (larger exports: split the period, compress them as "
        "`.gz`/`.zip`, or use `python -m trustdash import` on the server)."
    )
    offer = st.container()
    if st.session_state.get("td_demo_offer"):
        with offer:
            demo_removal(ctx, key="demo_offer", offer=True)
    uploads = st.file_uploader(
        "Export files", accept_multiple_files=True, key="upload", type=ACCEPTED
    )
    if not uploads:
        st.caption("Each file's layout is recognised automatically; you can check and correct "
                   "the mapping before importing.")  # fmt: skip
        _show_last_results()
        return
    profiles = ctx.store.mapping_profiles()
    plans: list[tuple[str, bytes, ImportOptions, dict | None]] = []
    for i, up in enumerate(uploads):
        data = up.getvalue()
        with st.container(border=True):
            st.markdown(f"**{md_escape(up.name)}** · {len(data) / 1e6:.2f} MB")
            opts, profile = _file_options(ctx, i, up.name, data, profiles)
            plans.append((up.name, data, opts, profile))
    clicked = st.button("Import", type="primary", key="do_import")
    switch = st.session_state.pop("td_switch_order", None)
    if switch is not None:
        _switch_order(ctx, switch, plans, profiles)
    elif clicked:
        bar = st.progress(0.0, text="Starting…")

        def progress(frac: float, text: str) -> None:
            bar.progress(min(max(frac, 0.0), 1.0), text=md_escape(text[:120]))

        results: list[FileResult] = []
        for k, (name, data, opts, profile) in enumerate(plans):
            if profile is not None:
                ctx.store.save_mapping_profile(profile["signature"], name, profile["profile"])

            def sub(frac: float, text: str, k: int = k) -> None:
                progress((k + frac) / len(plans), text)

            results.extend(import_files(ctx.store, [(name, data)], opts, sub))
        bar.progress(1.0, text="Done")
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
        st.warning(md_escape(f"{switch['path']}: the file is no longer uploaded; add it again."))
        return
    name, data, opts, _ = plan
    if switch.get("import_id") is not None:
        ctx.store.delete_import(int(switch["import_id"]))
    opts.date_order = switch["order"]
    with st.spinner(f"Re-importing {name} with {_ORDER_NAMES[switch['order']]} dates…"):
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
    channel = c1.text_input("Channel (leave empty to use the detected one)", key=f"ch_{i}",
                            max_chars=60)  # fmt: skip
    campaign = c2.text_input("Campaign for rows without one (optional)", key=f"cp_{i}",
                             max_chars=120)  # fmt: skip
    c3, c4 = st.columns(2)
    order = c3.selectbox("Numeric dates such as 01/09/2025", list(_ORDERS), key=f"do_{i}")
    year = c4.number_input(
        "Year of dates written without one (TikTok overviews)", min_value=2000,
        max_value=2100, value=None, step=1, key=f"yr_{i}",
        placeholder="from the file name, else the latest year not in the future",
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
        todo = ", ".join(proposal.missing) or "the columns"
        st.info(md_escape(
            f"Mapping of a {proposal.fmt.label} proposed below: check it and pick {todo}."
        ))  # fmt: skip
        opts.channel = opts.channel or proposal.fmt.channel
        return _wizard(i, name, columns, proposal.mapping, proposal.table, opts)
    except formats.ENGINE_ERRORS as exc:  # a preview must never break the page
        st.error(md_escape(f"{name}: could not be previewed ({type(exc).__name__})."))
        return opts, None
    saved = profiles.get(pv.header_signature)
    if saved and not pv.format_label:
        st.success(md_escape(
            f"Recognised with your saved mapping “{saved.get('name', 'profile')}” · "
            f"table {pv.table} · channel {pv.channel or saved.get('channel') or 'not set'}"
        ))
        st.caption(md_escape("Mapping used: " + ", ".join(f"{k} ← {v}" for k, v in pv.mapping.items())))
        return opts, None
    if pv.format_label:
        st.success(md_escape(
            f"Recognised: {pv.format_label} · confidence {pv.confidence:.0%} · "
            f"table {pv.table} · channel {pv.channel or 'not detected'}"
        ))
    else:
        st.info(f"Layout not recognised: columns mapped by their names (table {pv.table}). "
                "Check the mapping below.")  # fmt: skip
    for w in pv.warnings:
        st.caption(md_escape(f"⚠ {w}"))
    with st.expander("Columns and mapping", expanded=pv.format_label is None):
        st.dataframe(
            pl.DataFrame({"column": pv.columns,
                          "sample": [", ".join(str(v)[:40] for v in pv.samples.get(c, [])[:3]
                                               if v is not None) for c in pv.columns]}),
            hide_index=True,
        )  # fmt: skip
        if pv.format_label is None:
            return _wizard(i, name, pv.columns, pv.mapping, pv.table, opts)
        st.caption(md_escape("Mapping used: " + ", ".join(f"{k} ← {v}" for k, v in pv.mapping.items())))
    return opts, None


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
    table = st.selectbox("These rows are", tables, index=tables.index(table)
                         if table in tables else 0, key=f"tb_{i}")  # fmt: skip
    mapping: dict[str, str] = {}
    fields = list(FIELDS[table])
    cols = st.columns(3)
    for j, field in enumerate(fields):
        options = [_NONE, *columns]
        default = suggested.get(field)
        idx = options.index(default) if default in options else 0
        pick = cols[j % 3].selectbox(field, options, index=idx, key=f"map_{i}_{field}")
        if pick != _NONE:
            mapping[field] = pick
    remember = st.checkbox("Remember this mapping for files with the same columns", value=True,
                           key=f"rm_{i}")  # fmt: skip
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
        st.success(f"{len(added)} file(s) imported.")
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
                f"Dates of {r.path} are {_ORDER_NAMES[r.date_order]}: re-import them as "
                f"{_ORDER_NAMES[other]}", key=f"swap_{r.path}_{r.import_id}",
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
                "table": r.table, "channel": r.channel, "format": r.format_label or r.format,
                "confidence": r.confidence, "notes": "; ".join(r.warnings + r.errors),
            }
            for r in results
        ]
    )  # fmt: skip
    show_table(reveal_bidi_columns(frame, ["file"]), hide_index=True)


def _show_last_results() -> None:
    last = st.session_state.get("td_last_import")
    if last:
        st.subheader("Last import")
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
            st.markdown("**Your data is in. Remove the demo workspace now?**")
        else:
            st.markdown("**Demo workspace**")
        st.caption(
            f"The demo (the fictional brand {demo.DEMO_BRAND}) came in as "
            f"{len(ids)} imports. Removing it deletes exactly those imports and the demo's "
            "brand accounts; your own imports stay."
        )
        sure = st.checkbox(f"Yes, remove the demo's {len(ids)} imports", key=f"{key}_confirm")
        if st.button("Remove the demo", key=f"{key}_remove", type="primary", disabled=not sure):
            with st.spinner("Removing the demo…"):
                removed = workspace.remove_demo(ctx.store)
            st.cache_data.clear()
            st.session_state.pop("td_f", None)  # the filters may name demo channels
            st.session_state["td_demo_removed"] = (
                f"Demo removed: {removed.get('imports', 0)} imports, "
                f"{removed.get('comments', 0):,} comments, {removed.get('posts', 0):,} posts."
            )
            st.rerun()


def history_view(ctx: PageContext) -> None:
    st.title("Import history")
    demo_removal(ctx, key="demo_hist")
    imports = ctx.store.imports()
    if imports.is_empty():
        st.info("Nothing imported yet.")
        return
    show_table(reveal_bidi_columns(imports.drop("warnings"), ["file_name"]), hide_index=True)
    download_buttons(imports, "imports", key="dl_imports")
    ids = imports["id"].to_list()
    pick = st.selectbox(
        "Import", ids, key="hist_pick",
        format_func=lambda i: f"#{i} · "
        + reveal_bidi(str(imports.filter(pl.col("id") == i)["file_name"][0])[:80]),
    )  # fmt: skip
    row = imports.filter(pl.col("id") == pick).row(0, named=True)
    warnings = json.loads(row["warnings"] or "[]")
    for w in warnings:
        st.caption(md_escape(f"⚠ {w}"))
    rejected = ctx.store.rejected_rows(int(pick))
    if rejected.height:
        st.markdown(f"**{rejected.height:,} rejected row(s)** with their reasons")
        show_table(rejected, hide_index=True)
        download_buttons(rejected, f"rejected_{pick}", key="dl_rejected")
    if ctx.can_edit:
        with st.expander("Undo this import"):
            st.caption("Deletes the rows of this import and everything derived from them "
                       "(rollups, reply links). Rows shared with other imports stay.")  # fmt: skip
            sure = st.checkbox(f"Yes, delete import #{pick} and its rows", key=f"hist_confirm_{pick}")
            if st.button("Delete import", key="hist_delete", type="primary", disabled=not sure):
                removed = ctx.store.delete_import(int(pick))
                st.success("Removed: " + ", ".join(f"{k} {v:,}" for k, v in removed.items()))
                st.rerun()
