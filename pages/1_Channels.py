"""Channels: one channel in depth, its components over time."""

from trustdash.ui.guard import page
from trustdash.ui.views import channels_view

ctx = page("Channels", icon="📡")
channels_view(ctx)
