"""Conversations: the comments behind every number."""

from trustdash.ui.guard import page
from trustdash.ui.views import conversations_view

ctx = page("Conversations", icon="💬")
conversations_view(ctx)
