"""``python manage.py send_reminders [--dry-run] [--queue]``: the reminders job, by hand.

The same code as the periodic task ``alliances.send_reminders``
(:func:`alliances.notifications.run`): record what is due, release stale
claims, send the due notifications in batches of one SMTP connection each.
By default the batches are sent here, in this process, and each message is
printed; ``--queue`` hands them to the Celery workers instead, exactly as beat
does. ``--dry-run`` prints what would be sent and writes nothing.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from alliances import notifications
from alliances.tasks import dispatch_to_workers

STATUS_LABELS = {
    "sent": "envoyé",
    "failed": "échec",
    "retry": "nouvel essai plus tard",
    "cancelled": "annulé (plus d'actualité)",
    "deferred": "reporté",
}


def _when(moment):
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


class Command(BaseCommand):
    help = "Envoie les rappels et annonces dus (le même code que la tâche périodique)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Affiche ce qui serait envoyé, sans rien envoyer ni enregistrer."
        )
        parser.add_argument(
            "--queue", action="store_true", help="Confie les lots aux workers Celery au lieu de les envoyer ici."
        )

    def handle(self, *args, dry_run=False, queue=False, **options):
        if dry_run:
            return self._dry_run()
        totals = {}

        def show(notification, status, error=""):
            totals[status] = totals.get(status, 0) + 1
            line = f"{STATUS_LABELS.get(status, status):<26} {notification.kind:<26} → {notification.recipient.email}"
            self.stdout.write(f"{line} — {error}" if error else line)

        def send_here(ids):
            notifications.send_batch(ids, on_result=show)

        report = notifications.run(dispatch=dispatch_to_workers if queue else send_here)
        for error in report.errors:
            self.stderr.write(f"Source en erreur : {error}")
        summary = (
            f"{report.created} notification(s) enregistrée(s), {report.released} prise(s) en charge expirée(s) "
            f"remise(s) en file, {report.due} à envoyer en {report.batches} lot(s)"
        )
        if queue:
            self.stdout.write(self.style.SUCCESS(f"{summary}, confiés aux workers."))
        else:
            done = ", ".join(f"{count} {STATUS_LABELS.get(status, status)}" for status, count in sorted(totals.items()))
            self.stdout.write(self.style.SUCCESS(f"{summary}. Résultat : {done or 'rien à envoyer'}."))

    def _dry_run(self):
        planned, stale, errors = notifications.plan()
        for item in planned:
            state = "enregistré" if item.recorded else "nouveau"
            email = item.recipient.email if item.recipient else "?"
            self.stdout.write(f"{state:<11} {item.kind:<26} {item.obj} → {email} (dû le {_when(item.due_at)})")
        for error in errors:
            self.stderr.write(f"Source en erreur : {error}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Simulation : {len(planned)} message(s) seraient envoyés "
                f"(dont {stale} prise(s) en charge expirée(s)), rien n'a été envoyé ni enregistré."
            )
        )
