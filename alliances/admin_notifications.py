"""The email log: notifications in the admin, with the « Renvoyer » action; the relances, read-only.

Every reminder and announcement the jobs send is recorded here (see
``alliances/notifications/``): coordinators see, for the editions they
coordinate, what left, what failed and why, and resend a failed message once
the cause is fixed (a wrong address corrected, for instance).
"""

from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, Q
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alliances import notifications, relances
from alliances.admin_scoping import ChoiceListFilter, ProgrammeScopedAdmin
from alliances.models import Notification, Relance
from alliances.tasks import dispatch_to_workers

KIND_LABELS = {
    "session_reminder": _("rappel de session"),
    "announcement": _("annonce"),
    "meeting_reminder": _("rappel de réunion de comité"),
    "questionnaire_reminder": _("rappel de questionnaire"),
    "relance": _("relance"),
}


def kind_label(kind):
    family, _sep, days = kind.partition(":")
    label = str(KIND_LABELS.get(family, family))
    return f"{label} (J-{days})" if days else label


class KindFilter(ChoiceListFilter):
    """By family (« rappel de session »…), whatever the offset (J-7, J-1)."""

    title = _("type")
    parameter_name = "famille"

    def lookups(self, request, model_admin):
        return list(KIND_LABELS.items())

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(Q(kind=self.value()) | Q(kind__startswith=f"{self.value()}:"))


class ErrorFilter(ChoiceListFilter):
    title = _("incident")
    parameter_name = "incident"

    def lookups(self, request, model_admin):
        return [("oui", _("avec une erreur")), ("non", _("sans erreur"))]

    def queryset(self, request, queryset):
        if self.value() == "oui":
            return queryset.exclude(last_error="")
        if self.value() == "non":
            return queryset.filter(last_error="")
        return queryset


@admin.register(Notification)
class NotificationAdmin(ProgrammeScopedAdmin):
    """The email log: every notification, its state and its last error. Written by the jobs, read here."""

    programme_path = "programme"
    list_display = ("kind_display", "recipient", "programme", "status", "due_at", "sent_at", "attempts", "error")
    list_filter = ("status", KindFilter, ErrorFilter, "programme", "sent_at")
    list_select_related = ("recipient", "programme")
    search_fields = ("recipient__email", "recipient__last_name", "kind", "last_error")
    date_hierarchy = "due_at"
    actions = ("resend",)
    readonly_fields = (
        "kind",
        "content_type",
        "object_id",
        "about",
        "recipient",
        "programme",
        "status",
        "due_at",
        "claimed_at",
        "sent_at",
        "attempts",
        "last_error",
        "created_at",
    )

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("type"), ordering="kind")
    def kind_display(self, obj):
        return kind_label(obj.kind)

    @admin.display(description=_("dernière erreur"))
    def error(self, obj):
        return Truncator(obj.last_error).chars(80)

    @admin.display(description=_("objet"))
    def about(self, obj):
        model = obj.content_type.model_class()
        target = model._default_manager.filter(pk=obj.object_id).first() if model else None
        return str(target) if target is not None else "—"

    @admin.action(description=_("Renvoyer"), permissions=["change"])
    def resend(self, request, queryset):
        """Send the selected finished notifications again (failed, sent or cancelled ones)."""
        skipped = queryset.exclude(status__in=notifications.RESENDABLE).count()
        with transaction.atomic():
            ids = notifications.notifications_resend(queryset=queryset)
            for chunk in notifications.chunked(ids, notifications.batch_size()):
                dispatch_to_workers(chunk)  # queued once this transaction commits
        if ids:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail remis en file d'envoi.", "%(count)d e-mails remis en file d'envoi.", len(ids)
                )
                % {"count": len(ids)},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail ignoré : il est déjà en attente ou en cours d'envoi.",
                    "%(count)d e-mails ignorés : ils sont déjà en attente ou en cours d'envoi.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(Relance)
class RelanceAdmin(ProgrammeScopedAdmin):
    """The relances sent from the cockpits: what went, when, by whom, to how many. Read-only: a relance
    happened; its e-mails are in the email log (kind « relance »)."""

    programme_path = "programme"
    list_display = ("subject", "target_display", "programme", "created_at", "created_by", "recipient_count")
    list_filter = ("programme", "target", "created_at")
    list_select_related = ("programme", "created_by")
    search_fields = ("subject", "body")
    date_hierarchy = "created_at"
    fields = (
        "programme",
        "target_display",
        "about",
        "subject",
        "body",
        "created_by",
        "created_at",
        "recipient_count",
        "emails",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("cible"), ordering="target")
    def target_display(self, obj):
        target = relances.target_for(obj.target)
        return target.model._meta.verbose_name if target else obj.target

    @admin.display(description=_("objet relancé"))
    def about(self, obj):
        model = obj.content_type.model_class()
        found = model._default_manager.filter(pk=obj.object_id).first() if model else None
        return str(found) if found is not None else "—"

    @admin.display(description=_("e-mails"))
    def emails(self, obj):
        counts = dict(
            Notification.objects.filter(
                kind=relances.KIND, content_type=ContentType.objects.get_for_model(Relance), object_id=obj.pk
            )
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        return ", ".join(f"{Notification.Status(status).label} : {n}" for status, n in sorted(counts.items())) or "—"
