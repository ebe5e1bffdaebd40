# The Alliances image: one image, three roles (web, worker, beat) chosen by docker/entrypoint.sh.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    DATA_DIR=/data \
    MEDIA_ROOT=/data/media

# WeasyPrint's system libraries (Pango, HarfBuzz) and a font for the PDF documents.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Requirements first, so that code changes do not reinstall them. The lock pins every package with its hashes
# (make lock): pip refuses anything else.
COPY requirements/ requirements/
RUN pip install --require-hashes -r requirements/base.txt

COPY . .

# Static files are collected at build time (whitenoise serves them from gunicorn). The SECRET_KEY
# below exists only for this step; the real one comes from the environment at run time.
RUN SECRET_KEY=build-only-not-a-secret DEBUG=false python manage.py collectstatic --noinput --verbosity 0 \
    && chmod 0755 /app/docker/entrypoint.sh \
    && useradd --create-home --uid 1000 --user-group alliances \
    && mkdir -p /data/media \
    && chown -R alliances:alliances /data

USER alliances
VOLUME ["/data/media"]
EXPOSE 8000

ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
