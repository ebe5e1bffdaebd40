#!/bin/sh
# Entrypoint of the Alliances image. The first argument selects the role:
#   web     apply migrations, then serve with gunicorn on 0.0.0.0:8000 (WEB_CONCURRENCY workers, default 2)
#   worker  a Celery worker (run as many as needed: `docker compose up --scale worker=3`)
#   beat    the Celery beat scheduler, schedules read from the database (django-celery-beat):
#           exactly ONE beat may run in the whole deployment, or every periodic job fires twice
# Anything else is run as a command, e.g. `docker compose run --rm web python manage.py createsuperuser`.
# Extra arguments after the role are passed on to gunicorn or celery.
set -eu

role="${1:-web}"
if [ "$#" -gt 0 ]; then
    shift
fi

case "$role" in
    web)
        python manage.py migrate --noinput
        exec gunicorn alliances.wsgi:application \
            --bind 0.0.0.0:8000 \
            --workers "${WEB_CONCURRENCY:-2}" \
            --access-logfile - \
            "$@"
        ;;
    worker)
        exec celery -A alliances worker --loglevel "${LOG_LEVEL:-INFO}" "$@"
        ;;
    beat)
        exec celery -A alliances beat \
            --scheduler django_celery_beat.schedulers:DatabaseScheduler \
            --loglevel "${LOG_LEVEL:-INFO}" \
            "$@"
        ;;
    *)
        exec "$role" "$@"
        ;;
esac
