"""Admin of sessions, invitations and attendance, resources, the S3 vote, follow-ups and news."""

from urllib.parse import urlsplit

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alliances import admin_index
from alliances.admin import register_programme_inline
from alliances.admin_history import ProgrammeScopedHistoryAdmin
from alliances.admin_scoping import (
    CHANGE,
    DELETE,
    VIEW,
    ProgrammeScopedAdmin,
    ScopedStackedInline,
    ScopedTabularInline,
    is_superuser,
)
from networks.admin import enrolment_edition, enrolment_network
from sessions import (
    admin_filters,  # noqa: F401  (registers the participants' « sans réponse » filter)
    exports,
)
from sessions.admin_actions import close_topic_vote
from sessions.models import (
    Announcement,
    CalendarFeed,
    FieldVisit,
    FollowUp,
    InspiringMeeting,
    Registration,
    Resource,
    Session,
    TopicProposal,
    TopicVote,
)
from sessions.reminders import ANNOUNCEMENT_WINDOW, announcement_email_status
from sessions.services import announcement_publish_and_send, calendar_feed_regenerate
from sessions.tasks import send_announcement


@register_programme_inline
class SessionInline(ScopedTabularInline):
    """The sessions of an edition, on the edition's page."""

    model = Session
    fields = ("number", "code", "title", "starts_at", "ends_at", "venue")
    show_change_link = True


class InspiringMeetingInline(ScopedStackedInline):
    model = InspiringMeeting
    max_num = 1
    fields = ("speaker_kind", "speaker", "organisation", "description")


class RegistrationInline(ScopedTabularInline):
    """Attendance marking on the session's page; invitations are added from the registrations list."""

    model = Registration
    fields = ("participant", "network", "rsvp", "responded_at", "attendance")
    readonly_fields = ("participant", "network", "responded_at")
    queryset_select_related = ("participant__user", "participant__enrolment__network")

    def has_add_permission(self, request, obj):
        return False

    @admin.display(description=_("réseau"))
    def network(self, obj):
        return obj.participant.enrolment.network


@admin.register(Session)
class SessionAdmin(ProgrammeScopedAdmin):
    programme_path = "programme"
    label_with_edition = True  # reads alike in every edition: labelled with it in filters and choices
    list_display = (
        "code",
        "title",
        "programme",
        "starts_at",
        "ends_at",
        "venue",
        "registration_count",
        "attendance_link",
    )
    list_filter = ("programme", "topic_vote_open")
    list_select_related = ("programme",)
    search_fields = ("code", "title", "topic", "venue", "programme__name")
    date_hierarchy = "starts_at"
    autocomplete_fields = ("themes",)
    inlines = (InspiringMeetingInline, RegistrationInline)
    actions = (close_topic_vote,)
    fieldsets = (
        (None, {"fields": ("programme", "number", "code", "title", "themes")}),
        (_("Contenu"), {"fields": ("theory", "applied_work")}),
        (_("Sujet choisi collectivement"), {"fields": ("topic", "topic_vote_open", "topic_vote_closed_at")}),
        (_("Date et lieu"), {"fields": ("starts_at", "ends_at", "venue", "online_url")}),
    )

    def annotate_queryset(self, request, queryset):
        # A subquery per listed row: a joined Count would GROUP BY every column of the sessions
        # and their editions over all the registrations of the table, before the page's LIMIT.
        registrations = (
            Registration.objects.filter(session=OuterRef("pk")).order_by().values("session").annotate(n=Count("pk"))
        )
        return queryset.annotate(registration_total=Coalesce(Subquery(registrations.values("n")), 0))

    @admin.display(description=_("invitations"), ordering="registration_total")
    def registration_count(self, obj):
        return obj.registration_total

    @admin.display(description=_("présences"))
    def attendance_link(self, obj):
        # The whole session's attendance is marked on one coordinator page of the portal.
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("community:attendance", args=[obj.pk]),
            _("Noter les présences"),
            reverse("admin:programme_sessions_session_answers_csv", args=[obj.pk]),
            _("Réponses (CSV)"),
        )

    def get_urls(self):
        answers = path(
            "<path:object_id>/reponses.csv",
            self.admin_site.admin_view(self.answers_csv_view),
            name="programme_sessions_session_answers_csv",
        )
        return [answers, *super().get_urls()]

    def answers_csv_view(self, request, object_id):
        """Every participant's answer (« sans réponse » included) and attendance: sessions.exports."""
        session = self.get_object(request, unquote(object_id))
        if session is None:
            raise Http404(_("Cette session n'existe pas ou ne fait pas partie de vos éditions."))
        if not self.has_view_permission(request, session):
            raise PermissionDenied
        return exports.csv_response(session)


@admin.register(InspiringMeeting)
class InspiringMeetingAdmin(ProgrammeScopedAdmin):
    programme_path = "session__programme"
    list_display = ("__str__", "session", "speaker_kind", "speaker", "organisation")
    list_filter = ("session__programme", "speaker_kind")
    list_select_related = ("session__programme",)
    search_fields = ("speaker", "organisation", "session__title", "session__code")
    autocomplete_fields = ("session",)


@admin.register(Registration)
class RegistrationAdmin(ProgrammeScopedHistoryAdmin):
    programme_path = "session__programme"
    list_display = ("participant", "network", "session", "rsvp", "responded_at", "attendance")
    list_editable = ("rsvp", "attendance")
    list_filter = ("session", "rsvp", "attendance", "session__programme")
    list_select_related = ("participant__user", "participant__enrolment__network", "session")
    search_fields = (
        "participant__user__email",
        "participant__user__first_name",
        "participant__user__last_name",
        "participant__enrolment__network__name",
        "session__code",
    )
    date_hierarchy = "session__starts_at"
    autocomplete_fields = ("session", "participant")
    actions = ("mark_present", "mark_absent", "mark_excused")

    @admin.display(description=_("réseau"), ordering="participant__enrolment__network__name")
    def network(self, obj):
        return obj.participant.enrolment.network

    def _mark(self, request, queryset, attendance):
        updated = queryset.update(attendance=attendance)
        self.message_user(
            request,
            ngettext("%(count)d présence notée.", "%(count)d présences notées.", updated) % {"count": updated},
            messages.SUCCESS,
        )

    @admin.action(description=_("Noter présent"), permissions=["change"])
    def mark_present(self, request, queryset):
        self._mark(request, queryset, Registration.Attendance.PRESENT)

    @admin.action(description=_("Noter absent"), permissions=["change"])
    def mark_absent(self, request, queryset):
        self._mark(request, queryset, Registration.Attendance.ABSENT)

    @admin.action(description=_("Noter excusé"), permissions=["change"])
    def mark_excused(self, request, queryset):
        self._mark(request, queryset, Registration.Attendance.EXCUSED)


@admin.register(Resource)
class ResourceAdmin(ProgrammeScopedAdmin):
    programme_path = "programme"
    list_display = ("title", "programme", "session", "theme", "source", "created_at")
    list_filter = ("programme", "session", "theme")
    list_select_related = ("programme", "session", "theme")
    search_fields = ("title", "description", "url")
    date_hierarchy = "created_at"
    autocomplete_fields = ("session", "theme")

    @admin.display(description=_("lien ou fichier"))
    def source(self, obj):
        # The site's name or the file's, not a whole address: the list fits a laptop's screen.
        if obj.url:
            return format_html('<a href="{}" title="{}">{}</a>', obj.url, obj.url, urlsplit(obj.url).netloc or obj.url)
        return obj.file.name.rsplit("/", 1)[-1] if obj.file else "—"


@admin.register(TopicProposal)
class TopicProposalAdmin(ProgrammeScopedAdmin):
    programme_path = "session__programme"
    list_display = ("title", "session", "proposed_by", "vote_count", "created_at")
    list_filter = ("session__programme", "session")
    list_select_related = ("session", "proposed_by__user")
    search_fields = ("title", "description", "session__code")
    autocomplete_fields = ("session", "proposed_by")

    def annotate_queryset(self, request, queryset):
        return queryset.annotate(vote_total=Count("votes", distinct=True))

    @admin.display(description=_("votes"), ordering="vote_total")
    def vote_count(self, obj):
        return obj.vote_total


@admin.register(TopicVote)
class TopicVoteAdmin(ProgrammeScopedAdmin):
    programme_path = "proposal__session__programme"
    list_display = ("participant", "proposal", "session", "voted_at")
    list_filter = ("proposal__session__programme", "proposal__session")
    list_select_related = ("participant__user", "proposal__session")
    search_fields = ("proposal__title", "participant__user__email", "participant__user__last_name")
    autocomplete_fields = ("proposal", "participant")

    @admin.display(description=_("session"), ordering="proposal__session__number")
    def session(self, obj):
        return obj.proposal.session


class NetworkContactAdmin(ProgrammeScopedAdmin):
    """What the follow-ups' and the field visits' admins share (``NetworkContact``)."""

    programme_path = "enrolment__programme"
    coordinator_user_fields = ("coordinator",)
    list_filter = ("enrolment__programme", "coordinator")
    list_select_related = ("enrolment__network", "enrolment__programme", "coordinator")
    autocomplete_fields = ("enrolment",)


def network_contact_fields(model):
    """The change form's fields: the model's own ones first (the abstract base's would come first otherwise)."""
    return ("enrolment", model.date_field, model.detail_field, "coordinator", "private_notes", "shared_summary")


@admin.register(FollowUp)
class FollowUpAdmin(NetworkContactAdmin):
    fields = network_contact_fields(FollowUp)
    list_display = (enrolment_network, enrolment_edition, "held_on", "kind", "coordinator")
    list_filter = ("enrolment__programme", "kind", "coordinator")
    search_fields = ("enrolment__network__name", "enrolment__network__acronym", "private_notes", "shared_summary")
    date_hierarchy = "held_on"


@admin.register(FieldVisit)
class FieldVisitAdmin(NetworkContactAdmin):
    fields = network_contact_fields(FieldVisit)
    list_display = (enrolment_network, enrolment_edition, "visited_on", "place", "coordinator")
    search_fields = ("place", "enrolment__network__name", "enrolment__network__acronym", "private_notes")
    date_hierarchy = "visited_on"


@admin.register(Announcement)
class AnnouncementAdmin(ProgrammeScopedAdmin):
    programme_path = "programme"
    coordinator_user_fields = ("author",)
    list_display = ("title", "programme", "author", "published_at")
    list_filter = ("programme",)
    list_select_related = ("programme", "author")
    search_fields = ("title", "body")
    date_hierarchy = "published_at"
    actions = ("send_by_email_now",)
    readonly_fields = ("email_status",)
    change_form_template = "admin/programme_sessions/announcement/change_form.html"

    # --- The e-mail: what happened, what will happen, « Publier et envoyer maintenant » --------

    @admin.display(description=_("envoi par e-mail"))
    def email_status(self, obj):
        if obj is None or obj.pk is None:
            return _("Enregistrez l'annonce : la page dira ensuite à qui et quand elle part par e-mail.")
        status = announcement_email_status(obj)
        lines = []
        if status.sent:
            lines.append(
                ngettext(
                    "Envoyée le %(when)s à %(count)d personne.",
                    "Envoyée le %(when)s à %(count)d personnes.",
                    status.sent,
                )
                % {"when": _moment(status.last_sent_at), "count": status.sent}
            )
        if status.waiting:
            lines.append(
                ngettext(
                    "%(count)d e-mail en attente d'envoi.", "%(count)d e-mails en attente d'envoi.", status.waiting
                )
                % {"count": status.waiting}
            )
        if status.failed:
            log_url = reverse("admin:alliances_notification_changelist")
            lines.append(
                format_html(
                    '<a href="{}?famille=announcement&amp;status=failed&amp;programme__id__exact={}">{}</a>',
                    log_url,
                    obj.programme_id,
                    ngettext("%(count)d e-mail en échec.", "%(count)d e-mails en échec.", status.failed)
                    % {"count": status.failed},
                )
            )
        if not status.recorded:
            lines.append(_("Pas encore envoyée par e-mail."))
        forecast = _forecast(obj, status)
        if forecast:
            lines.append(forecast[1])
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = extra_context or {}
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        if obj is not None and self.has_change_permission(request, obj):
            to_send = announcement_email_status(obj).to_send
            if to_send:
                extra_context["send_now_label"] = ngettext(
                    "Publier et envoyer maintenant à %(count)d personne",
                    "Publier et envoyer maintenant à %(count)d personnes",
                    to_send,
                ) % {"count": to_send}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def response_add(self, request, obj, post_url_continue=None):
        self._say_what_will_happen(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if SEND_NOW in request.POST:
            added = announcement_publish_and_send(announcement=obj)
            if added:
                self.message_user(
                    request,
                    ngettext(
                        "Annonce publiée : son e-mail part maintenant à %(count)d personne.",
                        "Annonce publiée : son e-mail part maintenant à %(count)d personnes.",
                        added,
                    )
                    % {"count": added},
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    _("Cette annonce a déjà été envoyée à toutes les personnes concernées : aucun nouvel e-mail."),
                    messages.WARNING,
                )
            return HttpResponseRedirect(request.path)
        response = super().response_change(request, obj)
        self._say_what_will_happen(request, obj)
        return response

    def _say_what_will_happen(self, request, obj):
        forecast = _forecast(obj, announcement_email_status(obj))
        if forecast:
            self.message_user(request, forecast[1], forecast[0])

    @admin.action(description=_("Envoyer par e-mail maintenant"), permissions=["change"])
    def send_by_email_now(self, request, queryset):
        """Email the selected announcements now (the job only emails recent ones); never twice to a person."""
        published = list(queryset.filter(published_at__lte=timezone.now()).values_list("pk", flat=True))
        for pk in published:
            send_announcement.delay_on_commit(pk)
        if published:
            self.message_user(
                request,
                ngettext(
                    "%(count)d annonce part par e-mail aux participants qui ne l'ont pas encore reçue.",
                    "%(count)d annonces partent par e-mail aux participants qui ne les ont pas encore reçues.",
                    len(published),
                )
                % {"count": len(published)},
                messages.SUCCESS,
            )
        if len(published) < queryset.count():
            self.message_user(
                request,
                _("Les annonces dont la date de publication n'est pas encore arrivée partiront à cette date."),
                messages.WARNING,
            )


SEND_NOW = "_send_now"  # the name of the change form's « Publier et envoyer maintenant » button


def _moment(value):
    """« 3 décembre 2026 à 10 h 05 », in the platform's time zone."""
    local = timezone.localtime(value)
    return _("%(day)s à %(time)s") % {"day": date_format(local, "j F Y"), "time": date_format(local, "G \\h i")}


def _forecast(announcement, status):
    """What the periodic job will do with the announcement's e-mail: (message level, French text), or None."""
    if not status.to_send:
        if not status.recorded:
            return (
                messages.WARNING,
                _(
                    "Personne ne recevra cette annonce par e-mail : aucun participant de l'édition "
                    "ne reçoit les actualités."
                ),
            )
        return None
    count = {"count": status.to_send}
    if not status.published:
        return (
            messages.INFO,
            ngettext(
                "Elle sera publiée le %(when)s et envoyée par e-mail à %(count)d personne dans les minutes qui suivent.",
                "Elle sera publiée le %(when)s et envoyée par e-mail à %(count)d personnes dans les minutes qui suivent.",
                status.to_send,
            )
            % {**count, "when": _moment(announcement.published_at)},
        )
    if status.in_window:
        return (
            messages.INFO,
            ngettext(
                "Elle sera envoyée par e-mail à %(count)d personne dans les prochaines minutes.",
                "Elle sera envoyée par e-mail à %(count)d personnes dans les prochaines minutes.",
                status.to_send,
            )
            % count,
        )
    return (
        messages.WARNING,
        ngettext(
            "Publiée il y a plus de %(days)d jours, elle ne part plus d'elle-même par e-mail : « Publier et "
            "envoyer maintenant » l'envoie à %(count)d personne.",
            "Publiée il y a plus de %(days)d jours, elle ne part plus d'elle-même par e-mail : « Publier et "
            "envoyer maintenant » l'envoie à %(count)d personnes.",
            status.to_send,
        )
        % {**count, "days": ANNOUNCEMENT_WINDOW.days},
    )


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ProgrammeScopedAdmin):
    """Personal calendar feeds, created from the portal; the secret token is never shown.

    A coordinator reaches the feeds of the people they may manage (see the user
    admin) and may renew a feed's link, for instance after it leaked.
    """

    coordinator_permissions = frozenset({VIEW, CHANGE, DELETE})
    list_display = ("user", "created_at", "regenerated_at")
    list_select_related = ("user",)
    search_fields = ("user__email", "user__first_name", "user__last_name")
    date_hierarchy = "created_at"
    fields = ("user", "created_at", "regenerated_at")
    readonly_fields = ("user", "created_at", "regenerated_at")
    actions = ("regenerate",)

    def scope_queryset(self, request, queryset):
        user_model = get_user_model()
        user_admin = self.admin_site.get_model_admin(user_model)
        if is_superuser(request):
            return queryset
        return queryset.filter(user__in=user_admin.scope_queryset(request, user_model._default_manager.all()))

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Renouveler le lien de l'agenda"), permissions=["change"])
    def regenerate(self, request, queryset):
        count = 0
        for feed in queryset.select_related("user"):
            calendar_feed_regenerate(user=feed.user)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d lien renouvelé.", "%(count)d liens renouvelés.", count) % {"count": count},
            messages.SUCCESS,
        )


# The admin index by task (alliances/admin_index.py); votes and calendar feeds: « Autres ».
admin_index.place(admin_index.PREPARE, Session, InspiringMeeting)
admin_index.place(admin_index.RUN, Registration, Announcement, Resource, TopicProposal)
admin_index.place(admin_index.FOLLOW, FollowUp, FieldVisit)
