"""Settings: weights, targets, recency, brand accounts, campaign rules, annotations."""

from trustdash.ui.guard import page
from trustdash.ui.settings_view import settings_view

ctx = page("Settings", icon="⚙️", filters=False)
settings_view(ctx)
