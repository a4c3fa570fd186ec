"""Import history: what was imported, rejected rows, undo."""

from trustdash.ui.guard import page
from trustdash.ui.import_view import history_view

ctx = page("Import history", icon="🗂️", filters=False)
history_view(ctx)
