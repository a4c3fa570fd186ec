"""Campaigns side by side, against the brand baseline, before / during / after."""

from trustdash.ui.guard import page
from trustdash.ui.views import campaigns_view

ctx = page("Campaigns", icon="🎯")
campaigns_view(ctx)
