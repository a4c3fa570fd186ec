"""trustdash: the Overview page (entry point: ``streamlit run app.py``)."""

from trustdash.ui.guard import page
from trustdash.ui.views import overview_view

ctx = page("Overview", icon="🛡️")
overview_view(ctx)
