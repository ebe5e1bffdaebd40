"""The platform's periodic jobs, in django-celery-beat's tables (editable in the admin afterwards).

Idempotent: an entry that already exists under its name is left as it is, so a
schedule a coordinator changed in the admin is never overwritten.
"""

import zoneinfo

from django.db import migrations
from django.utils import timezone

REMINDERS = "Rappels et annonces par e-mail (toutes les 15 minutes)"
CLEARSESSIONS = "Nettoyage des sessions expirées (chaque nuit)"


def create_periodic_tasks(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")

    every_15_minutes, _ = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=REMINDERS,
        defaults={
            "task": "alliances.send_reminders",
            "interval": every_15_minutes,
            "description": "Enregistre les rappels dus et les envoie par lots (alliances.notifications).",
        },
    )
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="3",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=zoneinfo.ZoneInfo("Europe/Paris"),
    )
    PeriodicTask.objects.get_or_create(
        name=CLEARSESSIONS,
        defaults={
            "task": "alliances.clear_sessions",
            "crontab": nightly,
            "description": "Supprime les sessions web expirées (manage.py clearsessions).",
        },
    )
    # Tell a running beat (DatabaseScheduler) that its schedule changed.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_periodic_tasks(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[REMINDERS, CLEARSESSIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("alliances", "0003_notifications_reports_reminder_settings"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_periodic_tasks, remove_periodic_tasks)]
