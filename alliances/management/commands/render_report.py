"""``manage.py render_report KIND --programme SLUG --output FILE.pdf``: render a document now, in this process.

The same code path as the workers (``alliances.documents.report_request`` then ``report_render``):
the document is recorded as a Report (so it also appears in the admin and, when committee-visible,
in the committee area) and its PDF is copied to ``--output``.

Examples::

    python manage.py render_report dashboard --programme alliances-innovantes-2018 --output tableau.pdf
    python manage.py render_report attendance_sheet --programme alliances-innovantes-2018 --session 1 --output s1.pdf
    python manage.py render_report attendance_certificate --programme … --participant ana@example.org --output a.pdf
    python manage.py render_report committee_pack --programme … --committee pilotage --output dossier.pdf
"""

import shutil
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alliances.documents import DocumentError, get_kind, kind_choices, report_render, report_request
from alliances.models import Programme, Report


class Command(BaseCommand):
    help = "Produit un document PDF (tableau de bord, rapport, dossier de séance, feuille d'émargement…)."

    def add_arguments(self, parser):
        codes = ", ".join(code for code, _label in kind_choices())
        parser.add_argument("kind", help=f"Type de document : {codes}.")
        parser.add_argument("--programme", required=True, help="Identifiant (slug) de l'édition.")
        parser.add_argument("--output", required=True, help="Fichier PDF à écrire.")
        parser.add_argument("--session", help="Numéro (ou code, S1) de la session : feuille d'émargement.")
        parser.add_argument("--participant", help="Adresse e-mail du participant : attestation de participation.")
        parser.add_argument("--committee", help="Comité (pilotage, orientation, technique) : dossier de séance.")
        parser.add_argument(
            "--meeting", help="Identifiant de la réunion : dossier de séance (par défaut la prochaine)."
        )

    def handle(self, *args, kind, programme, output, **options):
        try:
            document_kind = get_kind(kind)
        except DocumentError as error:
            raise CommandError(str(error)) from None
        destination = Path(output)
        if destination.parent and not destination.parent.exists():
            raise CommandError(_("Le dossier « %(folder)s » n'existe pas.") % {"folder": destination.parent})
        edition = Programme.objects.filter(slug=programme).first()
        if edition is None:
            raise CommandError(_("Aucune édition n'a l'identifiant « %(slug)s ».") % {"slug": programme})
        names = {p.name for p in document_kind.parameters}
        raw = {name: options[name] for name in ("session", "participant", "committee", "meeting") if options.get(name)}
        unused = sorted(set(raw) - names)
        if unused:
            options_text = ", ".join("--" + name for name in unused)
            raise CommandError(_("Ce document ne prend pas ces options : %(options)s.") % {"options": options_text})
        try:
            report = report_request(kind=kind, programme=edition, parameters=raw, enqueue=False)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        report = report_render(report.pk)
        if report.status != Report.Status.READY:
            raise CommandError(
                _("Échec de la production du document (n° %(id)s) : %(error)s")
                % {"id": report.pk, "error": report.error}
            )
        with report.file.open("rb") as source, destination.open("wb") as target:
            shutil.copyfileobj(source, target)
        message = ngettext(
            "%(title)s : %(pages)s page écrite dans %(path)s.",
            "%(title)s : %(pages)s pages écrites dans %(path)s.",
            report.pages or 0,
        ) % {
            "title": report.parameters.get("title"),
            "pages": report.pages,
            "path": destination,
        }
        self.stdout.write(self.style.SUCCESS(message))
