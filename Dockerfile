# trustdash: the Streamlit dashboard in a container (official Streamlit pattern, non-root).
#
#   docker build -t trustdash .
#   docker run -p 8501:8501 -v trustdash-data:/app/data \
#     -v "$PWD/secrets.toml:/app/.streamlit/secrets.toml:ro" trustdash
#
# See docs/deploy.md (login, allow-list, reverse proxy, where the data lives).
#
# Deliveries (the brief and the alerts by email or webhook) run in a second container of the
# same image sharing the volume (docs/deploy.md, section 8):
#
#   docker run -d --name trustdash-deliver -v trustdash-data:/app/data \
#     -v "$PWD/secrets.toml:/app/.streamlit/secrets.toml:ro" \
#     --entrypoint python trustdash -m trustdash deliver --watch
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TRUSTDASH_DB=/app/data/trustdash.duckdb \
    TRUSTDASH_PUBLIC=1 \
    TRUSTDASH_NO_DEMO=1

WORKDIR /app

# curl for the HEALTHCHECK only (unpinned: take the distribution's security updates).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY .streamlit/config.toml .streamlit/config.toml
COPY app.py ./
COPY pages/ pages/
COPY trustdash/ trustdash/

RUN groupadd --gid 10001 trustdash \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin trustdash \
    && mkdir -p /app/data \
    && chown trustdash:trustdash /app/data
# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 10001:10001

# The DuckDB store (and its .wal) lives here: mount a volume or it is lost with the container.
VOLUME /app/data

EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["curl", "--fail", "--silent", "http://localhost:8501/_stcore/health"]

ENTRYPOINT ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0", "--server.headless=true"]
