# One image for the backend (+ hub, jobs), the action server and the Telegram gateway.
# Build from the repository root:  docker build -f deploy/Dockerfile.app -t assist-app:latest .
# Runs as: backend   uvicorn backend.main:app --host 0.0.0.0 --port 8000
#          actions   python -m rasa_sdk --actions bot.actions -p 5055
#          telegram  python -m gateway.telegram
#          jobs      python -m backend.jobs.retention ; python -m backend.jobs.migrate

# --- the web widget's npm package (deep-chat), fetched from the npm registry ---
FROM node:20-slim AS widget
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts

# --- Python dependencies (the project's own pyproject.toml) ---
FROM python:3.11-slim AS app
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 PYTHONPATH=/app
WORKDIR /app
COPY pyproject.toml ./
RUN pip install .
COPY alembic.ini ./
COPY backend/ backend/
COPY bot/__init__.py bot/__init__.py
COPY bot/actions/ bot/actions/
COPY gateway/ gateway/
COPY scripts/build_widget.py scripts/build_widget.py
COPY --from=widget /src/frontend/node_modules frontend/node_modules
COPY frontend/package.json frontend/package-lock.json frontend/
RUN python scripts/build_widget.py && rm -rf frontend/node_modules \
    && useradd --system --uid 10001 --home /app assist \
    && mkdir -p /data/outbox /data/documents && chown -R assist /data
ENV OUTBOX_DIR=/data/outbox DOCUMENTS_DIR=/data/documents ASSIST_HOST=0.0.0.0 ASSIST_PORT=8000
USER 10001
EXPOSE 8000 5055
CMD ["uvicorn", "backend.main:app", "--host", "0.0.0.0", "--port", "8000", "--no-access-log", "--proxy-headers"]
