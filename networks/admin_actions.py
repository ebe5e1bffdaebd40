"""Admin tools of the participants: the « Inviter par e-mail » action and the CSV import page.

Both are meant for the Participant admin (``networks/admin.py``), wired like this::

    from networks.admin_actions import invite_participants, participant_import_urls

    class ParticipantAdmin(ProgrammeScopedAdmin):
        actions = [invite_participants]

        def get_urls(self):
            return participant_import_urls(self) + super().get_urls()

``participant_import_urls`` adds ``import-csv/`` (URL name
``admin:networks_participant_import_csv``) before the admin's own URLs, whose
``<path:object_id>/`` would otherwise catch it. A button on the change list can
link to it from ``templates/admin/networks/participant/change_list.html``
(block ``object-tools-items``).

Only coordinators use them, on the editions they coordinate (superusers on
all): the admin already scopes the querysets, and both check again.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from alliances.invitations import users_invite
from alliances.models import Programme
from networks.imports import MAX_BYTES, participants_import_csv
from networks.models import Enrolment, Participant


def _is_staff(user):
    return user.is_authenticated and user.is_active and user.is_staff


def _coordinated_programme_ids(user):
    """None means "every edition" (a superuser)."""
    if user.is_superuser:
        return None
    return set(user.coordinated_programmes().values_list("pk", flat=True))


@admin.action(description=gettext_lazy("Inviter par e-mail"))
def invite_participants(modeladmin, request, queryset):
    """Email an invitation to the selected participants of editions the user coordinates."""
    if not _is_staff(request.user):
        raise PermissionDenied
    allowed = _coordinated_programme_ids(request.user)
    invitations, refused = [], 0
    for participant in queryset.select_related("user", "enrolment__programme").order_by("pk"):
        if allowed is not None and participant.enrolment.programme_id not in allowed:
            refused += 1
            continue
        invitations.append((participant.user, participant.enrolment.programme))
    batch = users_invite(invitations=invitations, invited_by=request.user, request=request)
    refused_message = ngettext(
        "%(count)d participant d'une édition que vous ne coordonnez pas n'a pas été invité.",
        "%(count)d participants d'éditions que vous ne coordonnez pas n'ont pas été invités.",
        refused,
    )
    batch.report(modeladmin, request, skipped=[(refused, refused_message)])


# --- CSV import ------------------------------------------------------------------------


class ParticipantImportForm(forms.Form):
    programme = forms.ModelChoiceField(queryset=Programme.objects.none(), label=gettext_lazy("Édition"))
    file = forms.FileField(
        label=gettext_lazy("Fichier CSV"),
        help_text=gettext_lazy("CSV en UTF-8, séparateur virgule ou point-virgule, 1 Mo au plus."),
    )
    send_invitations = forms.BooleanField(
        label=gettext_lazy("Envoyer une invitation par e-mail aux personnes ajoutées"), required=False, initial=True
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        programmes = user.coordinated_programmes().order_by("-starts_on", "name")
        self.fields["programme"].queryset = programmes
        if len(programmes) == 1:
            self.fields["programme"].initial = programmes[0].pk

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_BYTES or getattr(file, "oversized", False):
            raise forms.ValidationError(_("Le fichier dépasse 1 Mo : découpez-le en plusieurs fichiers."))
        return file


def _changelist_url(model_admin, request):
    site_name = model_admin.admin_site.name if model_admin is not None else admin.site.name
    try:
        return reverse(f"{site_name}:networks_participant_changelist")
    except NoReverseMatch:  # Participant not registered in this admin site
        return request.path


def participant_import_csv_view(request, model_admin=None):
    """GET: the form; POST: import, then back to the change list with the counts, or the form with every error."""
    if not _is_staff(request.user) or not request.user.coordinated_programmes().exists():
        raise PermissionDenied
    report = None
    enrolled_networks = []  # shown beside the errors: the names and acronyms the « réseau » column accepts
    if request.method == "POST":
        form = ParticipantImportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            report = participants_import_csv(
                programme=form.cleaned_data["programme"],
                file=form.cleaned_data["file"],
                invited_by=request.user,
                send_invitations=form.cleaned_data["send_invitations"],
                base_url=request.build_absolute_uri("/"),
            )
            if report.already_applied:
                messages.warning(
                    request,
                    ngettext(
                        "Ce fichier a déjà été importé : la personne qu'il contient participe déjà à l'édition. "
                        "Aucun participant n'a été ajouté et aucune invitation envoyée.",
                        "Ce fichier a déjà été importé : les %(count)d personnes qu'il contient participent déjà "
                        "à l'édition. Aucun participant n'a été ajouté et aucune invitation envoyée.",
                        report.rows,
                    )
                    % {"count": report.rows},
                )
                return redirect(_changelist_url(model_admin, request))
            if report.ok:
                messages.success(
                    request,
                    " ".join(
                        (
                            _("Import terminé :"),
                            ngettext(
                                "%(count)d participant ajouté,",
                                "%(count)d participants ajoutés,",
                                report.created_participants,
                            )
                            % {"count": report.created_participants},
                            ngettext(
                                "dont %(count)d nouveau compte ;",
                                "dont %(count)d nouveaux comptes ;",
                                report.created_users,
                            )
                            % {"count": report.created_users},
                            ngettext(
                                "%(count)d déjà inscrit ;", "%(count)d déjà inscrits ;", report.already_participants
                            )
                            % {"count": report.already_participants},
                            ngettext(
                                "%(count)d invitation envoyée.", "%(count)d invitations envoyées.", report.invitations
                            )
                            % {"count": report.invitations},
                        )
                    ),
                )
                for warning in report.warnings:
                    messages.warning(request, warning)
                return redirect(_changelist_url(model_admin, request))
            enrolled_networks = [
                str(enrolment.network)
                for enrolment in Enrolment.objects.filter(programme=form.cleaned_data["programme"])
                .select_related("network")
                .order_by("network__name")
            ]
    else:
        form = ParticipantImportForm(user=request.user)
    site = model_admin.admin_site if model_admin is not None else admin.site
    context = {
        **site.each_context(request),
        "title": _("Importer des participants (CSV)"),
        "opts": Participant._meta,
        "form": form,
        "report": report,
        "enrolled_networks": enrolled_networks,
        "changelist_url": _changelist_url(model_admin, request),
        "max_megabytes": MAX_BYTES // (1024 * 1024),
    }
    return render(request, "admin/networks/participant/import_csv.html", context)


def participant_import_urls(model_admin):
    """The URL of the import page, to put first in ``ParticipantAdmin.get_urls()``."""

    def view(request):
        return participant_import_csv_view(request, model_admin=model_admin)

    return [
        path("import-csv/", model_admin.admin_site.admin_view(view), name="networks_participant_import_csv"),
    ]
