"""Leadership Brief: one printable screen and the offline HTML report."""

from trustdash.ui.guard import page
from trustdash.ui.views import brief_view

ctx = page("Brief", icon="📰")
brief_view(ctx)
