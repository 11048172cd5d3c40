# Hearth API image: the uv workspace installed from uv.lock, run as a non-root user.
#   docker build -t hearth-api .
#   docker run --env-file .env -p 8000:8000 hearth-api   (see docker-compose.yml for the whole stack)
# It runs in the production profile: the .env must set HEARTH_SECRET_KEY and HEARTH_DATABASE_URL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

# uv comes from PyPI, like every other dependency
RUN pip install --no-cache-dir "uv>=0.9,<0.14"

WORKDIR /app

# Dependencies first (a layer that changes only with the lock): the workspace manifests, then the sync.
COPY pyproject.toml uv.lock README.md* ./
COPY packages/platform-core/pyproject.toml packages/platform-core/README.md packages/platform-core/
COPY packages/identity/pyproject.toml packages/identity/README.md packages/identity/
COPY packages/connections/pyproject.toml packages/connections/README.md packages/connections/
COPY packages/posts/pyproject.toml packages/posts/README.md packages/posts/
COPY packages/storage/pyproject.toml packages/storage/README.md packages/storage/
COPY packages/testing/pyproject.toml packages/testing/README.md packages/testing/
COPY apps/api/pyproject.toml apps/api/README.md apps/api/
RUN uv sync --locked --no-dev --package hearth-api --no-install-workspace

# Then the code, the migrations and their configuration.
COPY packages/ packages/
COPY apps/ apps/
COPY alembic.ini ./
COPY migrations/ migrations/
RUN uv sync --locked --no-dev --package hearth-api

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home hearth \
    && mkdir -p /data \
    && chown hearth:hearth /data
USER hearth

# The production profile: the image refuses to start without HEARTH_SECRET_KEY and HEARTH_DATABASE_URL, so no
# container ever serves on 0.0.0.0 with a key it made up or an embedded database.
ENV PATH="/app/.venv/bin:$PATH" \
    HEARTH_ENV=production \
    HEARTH_DATA_DIR=/data \
    HEARTH_LOG_FORMAT=json

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=3)"]

# Production points it at PostgreSQL (HEARTH_DATABASE_URL); run `hearth migrate` before serving.
CMD ["hearth", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
