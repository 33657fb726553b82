# The registry's image: web (gunicorn) and scheduler run from it, against PostGIS.
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsqlite3-mod-spatialite curl \
    postgresql-client \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -e . \
 && useradd --system --home /app resilience \
 && mkdir -p /app/instance /backups && chown resilience /app/instance /backups
USER resilience
# gunicorn's workers share request timings for /metrics here (gunicorn.conf.py empties it).
ENV PROMETHEUS_MULTIPROC_DIR=/tmp/resilience-metrics
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "4", "--threads", "8", "web.wsgi:app"]
