"""The Import page (upload, recognise, map, import) and the Import history page."""

from __future__ import annotations

import json

import polars as pl
import streamlit as st

from trustdash import formats
from trustdash.ingest import FileResult, ImportOptions, import_files
from trustdash.safe_text import reveal_bidi_columns
from trustdash.schema import FIELDS
from trustdash.ui.guard import PageContext
from trustdash.ui.text import md_escape, reveal_bidi
from trustdash.ui.widgets import download_buttons

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
    if st.button("Import", type="primary", key="do_import"):
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
        _show_results(results)


def _file_options(
    ctx: PageContext, i: int, name: str, data: bytes, profiles: dict
) -> tuple[ImportOptions, dict | None]:
    """Preview one file and let the user set channel, campaign and mapping."""
    c1, c2 = st.columns(2)
    channel = c1.text_input("Channel (leave empty to use the detected one)", key=f"ch_{i}",
                            max_chars=60)  # fmt: skip
    campaign = c2.text_input("Campaign for rows without one (optional)", key=f"cp_{i}",
                             max_chars=120)  # fmt: skip
    opts = ImportOptions(channel=channel or None, campaign=campaign or None,
                         user=ctx.access.email or "app")  # fmt: skip
    try:
        pv = formats.preview(data, name, formats.MapOptions(profiles=profiles))
    except formats.BadFile as exc:
        columns = _columns_for_wizard(data, name)
        if not columns:
            st.error(md_escape(str(exc)))
            return opts, None
        st.warning(md_escape(str(exc)))
        return _wizard(i, name, columns, {}, "comments", opts)
    except Exception as exc:  # a preview must never break the page
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
    except Exception:
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
            "profile": {"table": table, "mapping": mapping, "channel": opts.channel},
        }
    return opts, profile


def _show_results(results: list[FileResult]) -> None:
    ok = [r for r in results if r.ok]
    bad = [r for r in results if not r.ok]
    if ok:
        st.success(f"{len(ok)} file(s) imported.")
    for r in bad:
        st.error(md_escape("\n".join(r.errors)))
    frame = pl.DataFrame(
        [
            {
                "file": r.path, "format": r.format_label or r.format,
                "confidence": r.confidence, "table": r.table, "channel": r.channel,
                "read": r.rows_read, "imported": r.rows_imported, "updated": r.rows_updated,
                "duplicates": r.duplicates, "rejected": r.rejected,
                "status": "ok" if r.ok else "failed", "notes": "; ".join(r.warnings + r.errors),
            }
            for r in results
        ]
    )  # fmt: skip
    st.dataframe(reveal_bidi_columns(frame, ["file"]), hide_index=True)


def _show_last_results() -> None:
    last = st.session_state.get("td_last_import")
    if last:
        st.subheader("Last import")
        _show_results([FileResult(**r) for r in last])


def history_view(ctx: PageContext) -> None:
    st.title("Import history")
    imports = ctx.store.imports()
    if imports.is_empty():
        st.info("Nothing imported yet.")
        return
    st.dataframe(reveal_bidi_columns(imports.drop("warnings"), ["file_name"]), hide_index=True)
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
        st.dataframe(rejected, hide_index=True)
        download_buttons(rejected, f"rejected_{pick}", key="dl_rejected")
    if ctx.can_edit:
        with st.expander("Undo this import"):
            st.caption("Deletes the rows of this import and everything derived from them "
                       "(rollups, reply links). Rows shared with other imports stay.")  # fmt: skip
            if st.button("Delete import", key="hist_delete", type="primary"):
                removed = ctx.store.delete_import(int(pick))
                st.success("Removed: " + ", ".join(f"{k} {v:,}" for k, v in removed.items()))
                st.rerun()
