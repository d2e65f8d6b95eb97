# clubsite: one image for the web app (gunicorn), the Celery worker and Celery beat.
# docker-compose.yml runs it three ways; configuration comes from the environment only.
FROM python:3.11-slim

# PYTHONPATH: health checks run `python -c ...` and `celery -A clubsite ...`; they find
# the project whatever directory they are started from.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

# A home of its own: gunicorn keeps its control socket (for gunicornc) in ~/.gunicorn.
RUN groupadd --system --gid 10001 clubsite \
    && useradd --system --uid 10001 --gid clubsite --create-home --home-dir /home/clubsite \
        --shell /usr/sbin/nologin clubsite

# Requirements first, so a code change does not reinstall them.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

# The code stays owned by root: the app user can read it, not change it.
COPY . .

# Settings refuse to load without SECRET_KEY when DEBUG is off. The throwaway key lives
# in this one command only, never in the image's environment; VAR_DIR points the
# settings' side effects (var/ and broker directories) at a directory removed at once.
RUN SECRET_KEY=build-only VAR_DIR=/tmp/clubsite-build-var \
        python manage.py collectstatic --noinput \
    && rm -rf /tmp/clubsite-build-var \
    && mkdir -p /app/var \
    && chown clubsite:clubsite /app/var

USER clubsite

EXPOSE 8000

CMD ["gunicorn", "clubsite.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
