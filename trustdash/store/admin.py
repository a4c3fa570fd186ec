"""The store's writes outside imports: administration and privacy.

Settings, undoing an import, removing a channel or an author's comments, manual labels,
campaign rules, annotations, mapping profiles, rescored sentiment, the privacy search
across every table, and the table streams a backup reads and a restore replaces.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from trustdash.i18n import tr
from trustdash.store.db import StoreError, now, retry_on_conflict
from trustdash.store.derived import DerivedData, apply_post_campaign_rules, refresh_derived
from trustdash.store.schema import BACKUP_TABLES, DERIVED_TABLES, Schema

# Rated comments: the automatic label from the stars, or from the text's cached score.
_BY_RATING = """UPDATE comments AS c SET
    model_label = CASE WHEN c.rating >= 4 THEN 'positive' WHEN c.rating <= 2 THEN 'negative'
                       ELSE 'neutral' END,
    model_polarity = round((c.rating - 3.0) / 2.0, 2)
  WHERE c.rating BETWEEN 1 AND 5"""
_BY_TEXT = """UPDATE comments AS c SET
    model_label = coalesce((SELECT k.label FROM sentiment_cache k
                            WHERE k.text_key = c.text_key LIMIT 1), 'neutral'),
    model_polarity = coalesce((SELECT k.polarity FROM sentiment_cache k
                               WHERE k.text_key = c.text_key LIMIT 1), 0.0)
  WHERE c.rating BETWEEN 1 AND 5"""
_EFFECTIVE = """UPDATE comments AS c SET label = c.model_label, polarity = c.model_polarity
  WHERE c.rating BETWEEN 1 AND 5 AND NOT EXISTS (SELECT 1 FROM label_overrides o
    WHERE o.channel = c.channel AND o.row_key = c.row_key)"""


class Admin(Schema, DerivedData):
    """The store's administrative and privacy writes."""

    # -- settings ---------------------------------------------------------------------------
    @retry_on_conflict
    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction() as cur:
            cur.execute("DELETE FROM settings WHERE key = ?", [key])
            cur.execute("INSERT INTO settings VALUES (?, ?)", [key, json.dumps(value)])

    # -- deletions (undo, channels, authors) ---------------------------------------------------
    @retry_on_conflict
    def delete_import(self, import_id: int) -> dict[str, int]:
        """Undo an import: its rows, rejected rows, and everything derived from them."""
        with self.transaction() as cur:
            chans = {
                r[0]
                for t in ("comments", "posts", "daily_metrics")
                for r in cur.execute(
                    f"SELECT DISTINCT channel FROM {t} WHERE import_id = ?", [int(import_id)]  # noqa: S608
                ).fetchall()
            }
            removed = {}
            for t in ("comments", "posts", "daily_metrics", "rejected_rows"):
                col = "import_id"
                n = cur.execute(
                    f"DELETE FROM {t} WHERE {col} = ?", [int(import_id)]  # noqa: S608
                ).fetchone()
                removed[t] = int(n[0]) if n else 0
            cur.execute("DELETE FROM imports WHERE id = ?", [int(import_id)])
            _purge_orphans(cur)
            refresh_derived(cur, sorted(chans))
        return removed

    @retry_on_conflict
    def delete_channel(self, channel: str) -> dict[str, int]:
        """Remove a channel from every table, rollup and cache."""
        with self.transaction() as cur:
            removed = {}
            # Imports that held only this channel go too, with their rejected rows (raw
            # cells of that channel's files must not linger).
            only = [
                r[0]
                for r in cur.execute(
                    """SELECT id FROM imports i WHERE channel = ? OR EXISTS (
                         SELECT 1 FROM comments c WHERE c.import_id = i.id AND c.channel = ?)
                       OR EXISTS (SELECT 1 FROM posts p WHERE p.import_id = i.id
                         AND p.channel = ?)""",
                    [channel, channel, channel],
                ).fetchall()
            ]
            for t in ("comments", "posts", "daily_metrics", "daily_rollup", "channel_rollup",
                      "post_sentiment", "label_overrides", "notable_comments"):  # fmt: skip
                n = cur.execute(f"DELETE FROM {t} WHERE channel = ?", [channel]).fetchone()  # noqa: S608
                removed[t] = int(n[0]) if n else 0
            emptied = [
                i for i in only
                if not any(
                    cur.execute(
                        f"SELECT 1 FROM {t} WHERE import_id = ? LIMIT 1", [i]  # noqa: S608
                    ).fetchone()
                    for t in ("comments", "posts", "daily_metrics")
                )
            ]  # fmt: skip
            if emptied:
                n = cur.execute(
                    "DELETE FROM rejected_rows WHERE import_id IN (SELECT unnest(?))", [emptied]
                ).fetchone()
                removed["rejected_rows"] = int(n[0]) if n else 0
                cur.execute("DELETE FROM imports WHERE id IN (SELECT unnest(?))", [emptied])
                removed["imports"] = len(emptied)
            _purge_orphans(cur)
        return removed

    @retry_on_conflict
    def forget_author(self, author: str) -> int:
        """Remove every comment by ``author`` (and its cached scores), then refresh rollups."""
        with self.transaction() as cur:
            chans = [
                r[0]
                for r in cur.execute(
                    "SELECT DISTINCT channel FROM comments WHERE author = ?", [author]
                ).fetchall()
            ]
            n = cur.execute("DELETE FROM comments WHERE author = ?", [author]).fetchone()
            cur.execute(
                "UPDATE posts SET author = NULL WHERE author = ?", [author]
            )
            cur.execute(
                "DELETE FROM rejected_rows WHERE raw ILIKE ?",
                ["%" + author.replace("%", r"\%").replace("_", r"\_") + "%"],
            )
            _purge_orphans(cur)
            refresh_derived(cur, chans)
        return int(n[0]) if n else 0

    # -- manual corrections -----------------------------------------------------------------
    @retry_on_conflict
    def set_label(self, channel: str, row_key: str, label: str, user: str | None = None) -> None:
        polarity = {"positive": 0.5, "neutral": 0.0, "negative": -0.5}[label]
        with self.transaction() as cur:
            cur.execute(
                "DELETE FROM label_overrides WHERE channel = ? AND row_key = ?", [channel, row_key]
            )
            cur.execute(
                "INSERT INTO label_overrides VALUES (?, ?, ?, ?, ?, ?)",
                [channel, row_key, label, polarity, user, now()],
            )
            cur.execute(
                "UPDATE comments SET label = ?, polarity = ? WHERE channel = ? AND row_key = ?",
                [label, polarity, channel, row_key],
            )
            refresh_derived(cur, [channel])

    @retry_on_conflict
    def clear_label(self, channel: str, row_key: str) -> None:
        with self.transaction() as cur:
            cur.execute(
                "DELETE FROM label_overrides WHERE channel = ? AND row_key = ?", [channel, row_key]
            )
            cur.execute(
                "UPDATE comments SET label = model_label, polarity = model_polarity "
                "WHERE channel = ? AND row_key = ?",
                [channel, row_key],
            )
            refresh_derived(cur, [channel])

    @retry_on_conflict
    def relabel_rated(self, *, by_rating: bool) -> int:
        """Relabel the stored rated comments (1 to 5 stars): the automatic label is the
        rating's (4–5 positive, 3 neutral, 1–2 negative, polarity ``(stars − 3) / 2``) when
        ``by_rating``, else the text's cached score (neutral when the text was never
        scored); the shown label follows unless a person set it. Returns the number of
        rated comments; the caller refreshes the rollups."""
        with self.transaction() as cur:
            res = cur.execute(_BY_RATING if by_rating else _BY_TEXT).fetchone()
            cur.execute(_EFFECTIVE)
        return int(res[0]) if res else 0

    # -- corrections in bulk ----------------------------------------------------------------
    def same_text_rows(self, channel: str, row_key: str) -> list[tuple[str, str]]:
        """(channel, row_key) of every audience comment whose text equals this comment's."""
        rows = self.rows(
            """SELECT c.channel, c.row_key FROM comments c JOIN comments t
                 ON coalesce(c.text, '') = coalesce(t.text, '')
               WHERE t.channel = ? AND t.row_key = ? AND NOT c.is_brand
               ORDER BY c.channel, c.row_key""",
            [channel, row_key],
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    @retry_on_conflict
    def set_labels(
        self, keys: Sequence[tuple[str, str]], label: str | None, user: str | None = None
    ) -> int:
        """Label comments by hand in one transaction; ``None`` gives them back to the scorer.

        A comment labelled positive or neutral is not counted as a complaint; labelled
        negative or given back to the scorer, it takes the scorer's complaint flag again.
        Returns the number of comments changed."""
        polarity = {"positive": 0.5, "neutral": 0.0, "negative": -0.5, None: None}[label]
        pairs = list(dict.fromkeys((str(c), str(k)) for c, k in keys))
        if not pairs:
            return 0
        picked = pl.DataFrame(
            {"channel": [c for c, _ in pairs], "row_key": [k for _, k in pairs]},
            schema={"channel": pl.String, "row_key": pl.String},
        )
        with self.transaction() as cur:
            cur.register("relabel_keys", picked.to_arrow())
            try:
                cur.execute(
                    """DELETE FROM label_overrides o WHERE EXISTS (SELECT 1 FROM relabel_keys k
                         WHERE k.channel = o.channel AND k.row_key = o.row_key)"""
                )
                if label is not None:
                    cur.execute(
                        "INSERT INTO label_overrides SELECT channel, row_key, ?, ?, ?, ? "
                        "FROM relabel_keys",
                        [label, polarity, user, now()],
                    )
                # The scorer's complaint flag per comment, from the score cache by text.
                cur.execute(
                    """CREATE TEMP TABLE relabel_rows AS
                       SELECT c.channel, c.row_key, coalesce(s.is_complaint, c.is_complaint)
                                AS scorer_complaint
                       FROM comments c JOIN relabel_keys k USING (channel, row_key)
                       LEFT JOIN (SELECT DISTINCT ON (text_key) text_key, is_complaint
                                  FROM sentiment_cache) s ON s.text_key = c.text_key"""
                )
            finally:
                cur.unregister("relabel_keys")
            try:
                if label is None:
                    res = cur.execute(
                        """UPDATE comments AS c SET label = c.model_label,
                             polarity = c.model_polarity, is_complaint = r.scorer_complaint
                           FROM relabel_rows r
                           WHERE c.channel = r.channel AND c.row_key = r.row_key"""
                    ).fetchone()
                else:
                    res = cur.execute(
                        """UPDATE comments AS c SET label = ?, polarity = ?,
                             is_complaint = CASE WHEN ? = 'negative' THEN r.scorer_complaint
                                                 ELSE false END
                           FROM relabel_rows r
                           WHERE c.channel = r.channel AND c.row_key = r.row_key""",
                        [label, polarity, label],
                    ).fetchone()
            finally:
                cur.execute("DROP TABLE IF EXISTS relabel_rows")
            refresh_derived(cur, sorted({c for c, _ in pairs}))
        return int(res[0]) if res else 0


    def label_overrides(self) -> pl.DataFrame:
        return self.frame(
            "SELECT o.channel, o.row_key, o.label, c.model_label, c.text, o.created_by, "
            "o.created_at FROM label_overrides o LEFT JOIN comments c USING (channel, row_key) "
            "ORDER BY o.created_at DESC"
        )

    # -- campaigns, rules, annotations ------------------------------------------------------
    def add_campaign_rule(
        self,
        campaign: str,
        kind: str,
        value: str = "",
        *,
        channel: str | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> int:
        if kind not in ("hashtag", "keyword", "post_id", "date_window"):
            raise StoreError(tr("Unknown rule kind {kind}.", kind=repr(kind)))
        if not campaign.strip():
            raise StoreError(tr("A campaign rule needs a campaign name."))
        with self.transaction() as cur:
            rule_id = self.new_id(cur, "campaign_rules")
            cur.execute(
                "INSERT INTO campaign_rules VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [rule_id, campaign.strip(), kind, value, channel or None, start, end, now()],
            )
        self.refresh_all()
        return rule_id

    def campaign_rules(self) -> pl.DataFrame:
        return self.frame(
            "SELECT id, campaign, kind, value, channel, start_date, end_date FROM campaign_rules "
            "ORDER BY id"
        )

    @retry_on_conflict
    def delete_campaign_rule(self, rule_id: int) -> None:
        with self.transaction() as cur:
            cur.execute("DELETE FROM campaign_rules WHERE id = ?", [int(rule_id)])
        self.refresh_all()

    @retry_on_conflict
    def add_annotation(self, day: dt.date, text: str, channel: str | None = None) -> int:
        with self.transaction() as cur:
            ann_id = self.new_id(cur, "annotations")
            cur.execute(
                "INSERT INTO annotations VALUES (?, ?, ?, ?, ?)",
                [ann_id, day, channel or None, text, now()],
            )
        return ann_id

    @retry_on_conflict
    def delete_annotation(self, ann_id: int) -> None:
        with self.transaction() as cur:
            cur.execute("DELETE FROM annotations WHERE id = ?", [int(ann_id)])

    # -- mapping profiles ---------------------------------------------------------------------
    def mapping_profiles(self) -> dict[str, dict]:
        out = {}
        for sig, name, profile in self.rows(
            "SELECT signature, name, profile FROM mapping_profiles"
        ):
            with contextlib.suppress(ValueError):
                out[sig] = {"name": name, **json.loads(profile)}
        return out

    @retry_on_conflict
    def save_mapping_profile(self, signature: str, name: str, profile: Mapping[str, Any]) -> None:
        with self.transaction() as cur:
            cur.execute("DELETE FROM mapping_profiles WHERE signature = ?", [signature])
            cur.execute(
                "INSERT INTO mapping_profiles VALUES (?, ?, ?, ?)",
                [signature, name, json.dumps(dict(profile)), now()],
            )

    # -- rescoring --------------------------------------------------------------------------
    def apply_scores(self, scores: pl.DataFrame) -> int:
        """Store new sentiment for texts (columns text, text_key, polarity, label, lang,
        scored, is_complaint, is_question). Manually relabelled comments keep their label."""
        cols = ["text", "text_key", "polarity", "label", "lang", "scored", "is_complaint",
                "is_question"]  # fmt: skip
        with self.transaction() as cur:
            cur.register("rescored", scores.select(cols).to_arrow())
            try:
                res = cur.execute(
                    """UPDATE comments AS c SET text_key = s.text_key,
                         model_polarity = s.polarity, model_label = s.label,
                         polarity = s.polarity, label = s.label, lang = s.lang,
                         scored = s.scored, is_complaint = s.is_complaint,
                         is_question = s.is_question
                       FROM rescored s WHERE coalesce(c.text, '') = s.text
                         AND NOT EXISTS (SELECT 1 FROM label_overrides o
                           WHERE o.channel = c.channel AND o.row_key = c.row_key)"""
                ).fetchone()
                cur.execute(
                    """INSERT INTO sentiment_cache SELECT DISTINCT ON (text_key) text_key,
                         polarity, label, lang, scored, is_complaint, is_question
                       FROM rescored s WHERE NOT EXISTS (SELECT 1 FROM sentiment_cache c
                         WHERE c.text_key = s.text_key)"""
                )
            finally:
                cur.unregister("rescored")
        return int(res[0]) if res else 0

    # -- privacy ----------------------------------------------------------------------------
    def search_everywhere(self, needle: str) -> list[str]:
        """Tables/columns whose text contains ``needle`` (privacy checks)."""
        hits = []
        # The catalog filter keeps DuckLake's in-memory host database and registered Arrow
        # views out of the search; one scan per table keeps DuckLake's per-query cost low.
        cols: dict[str, list[str]] = {}
        for t, c in self.rows(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE data_type = 'VARCHAR' AND table_schema = 'main' "
            "AND table_catalog = current_database() ORDER BY table_name, ordinal_position"
        ):
            cols.setdefault(t, []).append(c)
        pattern = "%" + needle + "%"
        for t, names in cols.items():
            counts = self.rows(
                "SELECT "  # noqa: S608 - catalog names
                + ", ".join(f'count(*) FILTER (WHERE "{c}" ILIKE ?)' for c in names)
                + f' FROM "{t}"',
                [pattern] * len(names),
            )[0]
            hits.extend(f"{t}.{c}" for c, n in zip(names, counts, strict=True) if n)
        return hits

    # -- backup and restore (see trustdash.backup) ---------------------------------------------
    @contextlib.contextmanager
    def table_reader(self, table: str, batch_rows: int = 100_000) -> Iterator[Any]:
        """A pyarrow ``RecordBatchReader`` over one backed-up table (streamed, not loaded)."""
        if table not in BACKUP_TABLES:
            raise StoreError(tr("Unknown table {table}.", table=repr(table)))
        with self.cursor() as cur:
            yield cur.execute(f"SELECT * FROM {table}").fetch_record_batch(batch_rows)  # noqa: S608 - whitelist

    def replace_tables(self, parquet_files: Mapping[str, str | Path]) -> dict[str, int]:
        """Replace the given tables by the rows of their Parquet files, in one transaction,
        then recompute every derived table in that same transaction."""
        unknown = [t for t in parquet_files if t not in BACKUP_TABLES]
        if unknown:
            raise StoreError(
                tr("Unknown table(s) in the backup: {tables}.", tables=", ".join(sorted(unknown)))
            )
        counts: dict[str, int] = {}
        with self.transaction() as cur:
            for table in BACKUP_TABLES:
                if table not in parquet_files:
                    continue
                cur.execute(f"DELETE FROM {table}")  # noqa: S608 - whitelist
                res = cur.execute(
                    f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?)",  # noqa: S608
                    [str(parquet_files[table])],
                ).fetchone()
                counts[table] = int(res[0]) if res else 0
            for table in DERIVED_TABLES:
                cur.execute(f"DELETE FROM {table}")  # noqa: S608 - whitelist
            chans = [r[0] for r in cur.execute("SELECT DISTINCT channel FROM comments").fetchall()]
            post_chans = [r[0] for r in cur.execute("SELECT DISTINCT channel FROM posts").fetchall()]
            apply_post_campaign_rules(cur, post_chans)
            refresh_derived(cur, chans)
        # Restored settings replaced the backend's hidden id counters: re-create them.
        self.migrate()
        return counts


def _purge_orphans(cur: duckdb.DuckDBPyConnection) -> None:
    # Cached scores are keyed by text; drop those no comment uses any more so that
    # deleted text does not linger in the store.
    cur.execute(
        "DELETE FROM sentiment_cache WHERE text_key NOT IN "
        "(SELECT text_key FROM comments WHERE text_key IS NOT NULL)"
    )
    cur.execute(
        "DELETE FROM label_overrides o WHERE NOT EXISTS (SELECT 1 FROM comments c "
        "WHERE c.channel = o.channel AND c.row_key = o.row_key)"
    )
