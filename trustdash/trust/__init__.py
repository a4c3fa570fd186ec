"""The Trust Score: a pure function of aggregated counts (see docs/trust.md).

* :mod:`~trustdash.trust.model`: components, weights, bands, settings, recency and
  shrinkage.
* :mod:`~trustdash.trust.components`: each component's rows, formula and how it adds
  up across channels, campaigns and periods.
* :mod:`~trustdash.trust.counts`: the one aggregation path, rollup rows to counts.
* :mod:`~trustdash.trust.scoring`: counts to scores, totals and ranks.
* :mod:`~trustdash.trust.intervals`: Beta quantiles and Monte-Carlo draws.
* :mod:`~trustdash.trust.alerts`: negative spikes and response-time statistics.
* :mod:`~trustdash.trust.explain`: explanations and the changes between windows.
"""

from trustdash.trust.alerts import (
    ALERT_SCHEMA,
    alerts,
    alerts_from_arrays,
    business_hours_between,
    response_stats,
)
from trustdash.trust.components import (
    FORMULAS,
    MISSING_REASON,
    PARTIAL_FLAG,
    brand_consistency,
    component_percentiles,
    consistency,
    consistency_coverage,
    coverage_share,
    net_sentiment,
    s1_sentiment_balance,
    s2_complaint_pressure,
    s3_responsiveness,
    s4_advocacy,
    s5_engagement_quality,
    s6_consistency,
    s6_from_counts,
    s6_from_windows,
    trust_score,
    used_weights,
)
from trustdash.trust.counts import Counts, Rollup, counts_frame, counts_of
from trustdash.trust.explain import biggest_changes, changes_between, explain
from trustdash.trust.intervals import (
    GroupStreams,
    beta_draws,
    beta_interval,
    quantiles,
    shared_draws,
)
from trustdash.trust.model import (
    BANDS,
    COMPONENT_NAMES,
    COMPONENTS,
    DEFAULT_TARGET_HOURS,
    DEFAULT_TARGET_HOURS_OTHER,
    INSUFFICIENT,
    NO_DATA,
    PRESETS,
    PROPORTION_COMPONENTS,
    RESPONSE_BINS,
    TrustSettings,
    band,
    bands,
    recency_weight,
    shrink,
)
from trustdash.trust.scoring import (
    SCORE_SCHEMA,
    Scored,
    brand_total,
    pooled_prior,
    rank_stability,
    score,
    score_groups,
    score_partitions,
    scored_partitions,
)

__all__ = [
    "ALERT_SCHEMA", "BANDS", "COMPONENTS", "COMPONENT_NAMES", "DEFAULT_TARGET_HOURS",
    "DEFAULT_TARGET_HOURS_OTHER", "FORMULAS", "INSUFFICIENT", "MISSING_REASON", "NO_DATA",
    "PARTIAL_FLAG", "PRESETS", "PROPORTION_COMPONENTS", "RESPONSE_BINS", "SCORE_SCHEMA",
    "Counts", "GroupStreams", "Rollup", "Scored", "TrustSettings", "alerts",
    "alerts_from_arrays", "band", "bands", "beta_draws", "beta_interval", "biggest_changes", "brand_consistency",
    "brand_total", "business_hours_between", "changes_between", "component_percentiles",
    "consistency", "consistency_coverage", "counts_frame", "coverage_share", "counts_of", "explain", "net_sentiment", "pooled_prior",
    "quantiles", "rank_stability", "recency_weight", "response_stats", "s1_sentiment_balance",
    "s2_complaint_pressure", "s3_responsiveness", "s4_advocacy", "s5_engagement_quality",
    "s6_consistency", "s6_from_counts", "s6_from_windows", "score", "score_groups",
    "score_partitions", "scored_partitions", "shared_draws", "shrink", "trust_score", "used_weights",
]  # fmt: skip
