"""The nightly purge of login records (RGPD), in django-celery-beat's tables.

Idempotent like 0004: an entry that already exists under its name is left as it
is, so a schedule changed in the admin is never overwritten.
"""

import zoneinfo

from django.db import migrations
from django.utils import timezone

PURGE_LOGIN_RECORDS = "Purge des journaux de connexion anciens (chaque nuit)"


def create_purge_task(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")

    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="45",
        hour="3",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=zoneinfo.ZoneInfo("Europe/Paris"),
    )
    PeriodicTask.objects.get_or_create(
        name=PURGE_LOGIN_RECORDS,
        defaults={
            "task": "alliances.purge_login_records",
            "crontab": nightly,
            "description": (
                "Supprime les connexions et tentatives de connexion (django-axes) plus anciennes que "
                "LOGIN_RECORDS_RETENTION_DAYS jours (90 par défaut)."
            ),
        },
    )
    # Tell a running beat (DatabaseScheduler) that its schedule changed.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_purge_task(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=PURGE_LOGIN_RECORDS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("alliances", "0006_notification_claim_and_user_name_indexes"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_purge_task, remove_purge_task)]
