# The one image of every process in docker-compose.yml (README "Production"): web (daphne),
# Celery workers and beat, the event processor, and the one-shot migrate. Runs as a non-root
# user; settings and secrets come from the environment at run time, none are baked in.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_DEBUG=false
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
# var/: beat's schedule, Prometheus' per-process files, static files; the only writable folder.
RUN useradd --system --uid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin thulium \
    && mkdir -p var && chown thulium: var
USER thulium
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "config.asgi:application"]
