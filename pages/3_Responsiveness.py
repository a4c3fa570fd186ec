"""Responsiveness: reply rates and first-response times, unanswered actionable comments."""

from trustdash.ui.guard import page
from trustdash.ui.views import responsiveness_view

ctx = page("Responsiveness", icon="⏱️")
responsiveness_view(ctx)
