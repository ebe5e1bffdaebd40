"""The documents' watchdog in django-celery-beat's tables: ``alliances.recover_reports`` every 5 minutes.

A task of its own rather than a step of the reminders job: it must run more often than every
15 minutes (a person waits for the document), it belongs to the documents, not to the
notifications, and a coordinator can pause or retime either in the admin without touching the
other. Idempotent, like 0004: an entry that already exists under its name is left as it is.
"""

from django.db import migrations
from django.utils import timezone

WATCHDOG = "Documents bloqués : relance ou échec (toutes les 5 minutes)"


def create_periodic_task(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")

    every_5_minutes, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=WATCHDOG,
        defaults={
            "task": "alliances.recover_reports",
            "interval": every_5_minutes,
            "description": (
                "Marque « échec » un document en cours depuis plus que la limite de temps des tâches "
                "(son processus s'est arrêté) et le relance une fois (alliances.documents)."
            ),
        },
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_periodic_task(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=WATCHDOG).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("alliances", "0008_report_claim_token_and_watchdog"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_periodic_task, remove_periodic_task)]
