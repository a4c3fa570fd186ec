"""Results of :mod:`trustdash.analysis` cached per store state, filters and arguments.

Every widget click reruns a Streamlit page; the numbers only change when the data,
the settings or the filters do. The store's ``data_version`` is part of the key, so
an import, a relabel or a settings change is seen at once.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from trustdash import analysis
from trustdash.ui.guard import PageContext, shared_store

# The analysis functions pages may call through the cache (names from our code only).
ALLOWED = frozenset(
    {"overview", "trust_table", "brand_headline", "responsiveness", "campaign_phases",
     "channel_components", "series", "rank_stability"}
)  # fmt: skip


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _call(target: str, version: str, name: str, args: tuple, kwargs: tuple) -> Any:
    return getattr(analysis, name)(shared_store(), *args, **dict(kwargs))


def cached(ctx: PageContext, name: str, *args: Any, **kwargs: Any) -> Any:
    """``analysis.<name>(store, *args, **kwargs)``, computed once per store state."""
    if name not in ALLOWED:
        raise ValueError(name)
    return _call(ctx.store.target, ctx.store.data_version(), name, args,
                 tuple(sorted(kwargs.items())))  # fmt: skip
