"""Import: upload exports, check the detected layout and mapping, import."""

from trustdash.ui.guard import page
from trustdash.ui.import_view import import_view

ctx = page("Import", icon="📥", editor_only=True, filters=False)
import_view(ctx)
