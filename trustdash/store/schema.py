"""The store's schema: its tables, their DDL by version, and the migration to the latest.

Also the table lists the rest of trustdash works from (exports, backups, derived tables)
and the columns an import writes.
"""

from __future__ import annotations

from trustdash.i18n import tr
from trustdash.store.db import (
    DELIVERY_GUARD_KEY,
    ID_KEY_PREFIX,
    ID_TABLES,
    IMPORT_GUARD_KEY,
    Database,
    StoreError,
    now,
    retry_on_conflict,
)
from trustdash.store.derived import (
    BUCKET_COL,
    CHANNEL_SUMS,
    DERIVED_VERSION,
    ROLLUP_COUNTS,
    refresh_derived,
)

EXPORT_TABLES = ("comments", "posts", "daily_metrics", "imports", "rejected_rows")
# Tables a backup holds (restored in this order), and those recomputed after a restore.
BACKUP_TABLES = (
    "settings", "campaigns", "campaign_rules", "annotations", "mapping_profiles", "imports",
    "rejected_rows", "comments", "posts", "daily_metrics", "sentiment_cache", "label_overrides",
    "subscriptions", "deliveries",
)  # fmt: skip
# The settings row holding the version of the derived tables' definitions (hidden).
DERIVED_VERSION_KEY = ID_KEY_PREFIX + "derived_version"
DERIVED_TABLES = ("daily_rollup", "channel_rollup", "post_sentiment", "notable_comments")

SCHEMA_VERSION = 4

_MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE IF NOT EXISTS imports (
            id BIGINT, file_name VARCHAR, sha256 VARCHAR, format VARCHAR,
            format_label VARCHAR, confidence DOUBLE, channel VARCHAR, campaign VARCHAR,
            table_name VARCHAR, rows_read BIGINT, rows_imported BIGINT, rows_updated BIGINT,
            duplicates BIGINT, rejected BIGINT, warnings VARCHAR, imported_by VARCHAR,
            imported_at TIMESTAMP, options VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS rejected_rows (
            import_id BIGINT, row_number BIGINT, reason VARCHAR, raw VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS comments (
            channel VARCHAR NOT NULL, row_key VARCHAR NOT NULL, comment_id VARCHAR,
            post_id VARCHAR, parent_id VARCHAR, author VARCHAR, is_brand BOOLEAN,
            is_brand_source BOOLEAN, is_automated BOOLEAN, created_at TIMESTAMP,
            replied_at TIMESTAMP, reply_text VARCHAR, text VARCHAR, likes BIGINT,
            shares BIGINT, rating DOUBLE, campaign VARCHAR, campaign_source VARCHAR,
            url VARCHAR, lang VARCHAR, polarity DOUBLE, label VARCHAR, scored BOOLEAN,
            model_polarity DOUBLE, model_label VARCHAR, is_complaint BOOLEAN,
            is_question BOOLEAN, text_key VARCHAR, first_reply_at TIMESTAMP,
            import_id BIGINT)""",
        """CREATE TABLE IF NOT EXISTS posts (
            channel VARCHAR NOT NULL, post_id VARCHAR NOT NULL, created_at TIMESTAMP,
            author VARCHAR, text VARCHAR, url VARCHAR, post_type VARCHAR, campaign VARCHAR,
            campaign_source VARCHAR, impressions BIGINT, reach BIGINT, views BIGINT,
            likes BIGINT, comments BIGINT, shares BIGINT, saves BIGINT, clicks BIGINT,
            import_id BIGINT, updated_at TIMESTAMP)""",
        """CREATE TABLE IF NOT EXISTS daily_metrics (
            channel VARCHAR NOT NULL, date DATE NOT NULL, metric VARCHAR NOT NULL,
            value DOUBLE, import_id BIGINT)""",
        """CREATE TABLE IF NOT EXISTS sentiment_cache (
            text_key VARCHAR, polarity DOUBLE, label VARCHAR, lang VARCHAR,
            scored BOOLEAN, is_complaint BOOLEAN, is_question BOOLEAN)""",
        """CREATE TABLE IF NOT EXISTS label_overrides (
            channel VARCHAR, row_key VARCHAR, label VARCHAR, polarity DOUBLE,
            created_by VARCHAR, created_at TIMESTAMP)""",
        """CREATE TABLE IF NOT EXISTS campaigns (
            name VARCHAR, description VARCHAR, start_date DATE, end_date DATE,
            created_at TIMESTAMP)""",
        """CREATE TABLE IF NOT EXISTS campaign_rules (
            id BIGINT, campaign VARCHAR, kind VARCHAR, value VARCHAR,
            channel VARCHAR, start_date DATE, end_date DATE, created_at TIMESTAMP)""",
        """CREATE TABLE IF NOT EXISTS annotations (
            id BIGINT, date DATE, channel VARCHAR, text VARCHAR,
            created_at TIMESTAMP)""",
        """CREATE TABLE IF NOT EXISTS settings (key VARCHAR, value VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS mapping_profiles (
            signature VARCHAR, name VARCHAR, profile VARCHAR,
            created_at TIMESTAMP)""",
        """CREATE TABLE IF NOT EXISTS daily_rollup (
            channel VARCHAR, campaign VARCHAR, day DATE, audience DOUBLE, pos DOUBLE,
            neg DOUBLE, neu DOUBLE, unscored DOUBLE, complaints DOUBLE, actionable DOUBLE,
            answered DOUBLE, """
        + ", ".join(f"{c} DOUBLE" for c in BUCKET_COL.values())
        + """, brand_replies DOUBLE, n_en DOUBLE, n_fr DOUBLE, n_other DOUBLE,
            rating_sum DOUBLE, rating_n DOUBLE)""",
        """CREATE TABLE IF NOT EXISTS post_sentiment (
            channel VARCHAR, post_id VARCHAR, pos BIGINT, neg BIGINT)""",
    ],
    # The few most negative and most positive audience comments per channel, campaign and
    # day, kept at import so that "the comments behind a change" never scan the comments.
    2: [
        """CREATE TABLE IF NOT EXISTS notable_comments (
            channel VARCHAR, campaign VARCHAR, day DATE, created_at TIMESTAMP, text VARCHAR,
            label VARCHAR, polarity DOUBLE, row_key VARCHAR)""",
    ],
    # The daily rollup summed over campaigns (one row per channel and day): what a view
    # without a campaign filter reads, a sixth of the rows (numpy conversion costs per value).
    3: [
        """CREATE TABLE IF NOT EXISTS channel_rollup (channel VARCHAR, day DATE, """
        + ", ".join(f"{c} DOUBLE" for c in ROLLUP_COUNTS)
        + ")",
        f"INSERT INTO channel_rollup SELECT channel, day, {CHANNEL_SUMS} FROM daily_rollup "  # noqa: S608 - whitelist
        "GROUP BY channel, day ORDER BY day, channel",
    ],
    # Deliveries: who receives the brief or the alerts, and the log of what was sent. A
    # delivery's logical key (subscription_id, item_key) is unique: the store keeps it so
    # (see trustdash.store.delivery), DuckLake having no UNIQUE constraint.
    4: [
        """CREATE TABLE IF NOT EXISTS subscriptions (
            id BIGINT, recipient VARCHAR, kind VARCHAR, every VARCHAR, weekday INTEGER,
            lang VARCHAR, channels VARCHAR, campaigns VARCHAR, min_severity VARCHAR,
            cooldown_hours DOUBLE, paused BOOLEAN, created_by VARCHAR,
            created_at TIMESTAMP)""",
        """CREATE TABLE IF NOT EXISTS deliveries (
            subscription_id BIGINT, recipient VARCHAR, kind VARCHAR, item_key VARCHAR,
            summary VARCHAR, status VARCHAR, error VARCHAR, attempts INTEGER,
            next_attempt_at TIMESTAMP, sent_at TIMESTAMP, created_at TIMESTAMP,
            updated_at TIMESTAMP)""",
    ],
}

_MIGRATION_TABLES = tuple(
    stmt.split("EXISTS", 1)[1].split("(", 1)[0].strip()
    for steps in _MIGRATIONS.values()
    for stmt in steps
    if stmt.lstrip().startswith("CREATE TABLE")
)

# Columns written into the comments table from a prepared frame (see ingest).
COMMENT_INSERT_COLUMNS = (
    "channel", "row_key", "comment_id", "post_id", "parent_id", "author", "is_brand",
    "is_brand_source", "is_automated", "created_at", "replied_at", "reply_text", "text",
    "likes", "shares", "rating", "campaign", "campaign_source", "url", "lang", "polarity",
    "label", "scored", "model_polarity", "model_label", "is_complaint", "is_question",
    "text_key", "import_id",
)  # fmt: skip
POST_COLUMNS = (
    "channel", "post_id", "created_at", "author", "text", "url", "post_type", "campaign",
    "impressions", "reach", "views", "likes", "comments", "shares", "saves", "clicks",
)  # fmt: skip


class Schema(Database):
    """The store's tables and their migration."""

    def user_tables(self) -> list[str]:
        """The store's tables, in creation order (schema_version first)."""
        return ["schema_version", *_MIGRATION_TABLES]

    # -- migrations -------------------------------------------------------------------------
    def schema_version(self) -> int:
        return int(self.one("SELECT coalesce(max(version), 0) FROM schema_version") or 0)

    @retry_on_conflict
    def migrate(self) -> int:
        """Bring the file to :data:`SCHEMA_VERSION`; returns the number of steps applied."""
        with self.transaction() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER, applied_at TIMESTAMP)"
            )
            current = cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
            have = int(current[0]) if current else 0
            if have > SCHEMA_VERSION:
                raise StoreError(
                    tr(
                        "The store {store} was written by a newer trustdash (schema {found} > "
                        "{known}); upgrade trustdash to open it.",
                        store=self.target,
                        found=have,
                        known=SCHEMA_VERSION,
                    )
                )
            steps = 0
            for version in range(have + 1, SCHEMA_VERSION + 1):
                for stmt in _MIGRATIONS[version]:
                    cur.execute(stmt)
                cur.execute(
                    "INSERT INTO schema_version VALUES (?, ?)", [version, now()]
                )
                steps += 1
            # Derived tables follow their definitions: a store derived under other ones
            # (or before a derived table existed) is derived again.
            derived = cur.execute(
                "SELECT value FROM settings WHERE key = ?", [DERIVED_VERSION_KEY]
            ).fetchone()
            if derived is None or derived[0] != str(DERIVED_VERSION):
                chans = [r[0] for r in cur.execute("SELECT DISTINCT channel FROM comments")
                         .fetchall()]  # fmt: skip
                refresh_derived(cur, chans)
                cur.execute("DELETE FROM settings WHERE key = ?", [DERIVED_VERSION_KEY])
                cur.execute("INSERT INTO settings VALUES (?, ?)",
                            [DERIVED_VERSION_KEY, str(DERIVED_VERSION)])  # fmt: skip
            if self.backend == "ducklake":
                # Id counters must exist as committed rows before any claim (Database.new_id).
                for key in (*(ID_KEY_PREFIX + t for t in ID_TABLES), IMPORT_GUARD_KEY,
                            DELIVERY_GUARD_KEY):
                    if not cur.execute("SELECT 1 FROM settings WHERE key = ?", [key]).fetchone():
                        cur.execute("INSERT INTO settings VALUES (?, '0')", [key])
            return steps
