"""Admin of committees, their members, meetings, attendance and decisions."""

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliances import admin_index
from alliances.admin_history import ProgrammeScopedHistoryAdmin
from alliances.admin_scoping import ChoiceListFilter, ProgrammeScopedAdmin, ScopedTabularInline, SharedDirectoryAdmin
from governance.admin_actions import invite_committee_members
from governance.models import Committee, CommitteeMember, Decision, Meeting, MeetingAttendance, Organisation
from governance.selectors import OPEN_STATUSES, overdue_q


@admin.register(Organisation)
class OrganisationAdmin(SharedDirectoryAdmin):
    """The directory of organisations sitting on committees, shared by every edition."""

    list_display = ("name", "full_name", "kind", "website")
    list_filter = ("kind",)
    search_fields = ("name", "full_name")


class CommitteeMemberInline(ScopedTabularInline):
    model = CommitteeMember
    fields = ("organisation", "person_name", "role", "user", "pending_validation")
    # A select for the organisation: its choices are computed once for all the rows,
    # where an autocomplete would fetch each row's label.
    autocomplete_fields = ("user",)
    queryset_select_related = ("organisation", "user")


@admin.register(Committee)
class CommitteeAdmin(ProgrammeScopedAdmin):
    programme_path = "programme"
    label_with_edition = True  # reads alike in every edition: labelled with it in filters and choices
    list_display = ("name", "kind", "programme", "member_count")
    list_filter = ("programme", "kind")
    list_select_related = ("programme",)
    search_fields = ("name", "mission", "programme__name")
    inlines = (CommitteeMemberInline,)

    def annotate_queryset(self, request, queryset):
        return queryset.annotate(member_total=Count("members", distinct=True))

    @admin.display(description=_("membres"), ordering="member_total")
    def member_count(self, obj):
        return obj.member_total


@admin.register(CommitteeMember)
class CommitteeMemberAdmin(ProgrammeScopedAdmin):
    programme_path = "committee__programme"
    list_display = ("__str__", "committee", "programme", "role", "user", "pending_validation")
    list_filter = ("committee__programme", "committee__kind", "pending_validation")
    list_select_related = ("committee__programme", "organisation", "user")
    search_fields = ("organisation__name", "organisation__full_name", "person_name", "role", "user__email")
    autocomplete_fields = ("committee", "organisation", "user")
    actions = (invite_committee_members,)

    @admin.display(description=_("édition"), ordering="committee__programme__name")
    def programme(self, obj):
        return obj.committee.programme


def members_without_attendance(request, meeting):
    """Ids of the committee's members whose attendance at ``meeting`` is not recorded yet (cached per request)."""
    cache = request.__dict__.setdefault("_members_without_attendance", {})
    if meeting.pk not in cache:
        recorded = MeetingAttendance.objects.filter(meeting=meeting).values("member_id")
        cache[meeting.pk] = list(
            CommitteeMember.objects.filter(committee_id=meeting.committee_id)
            .exclude(pk__in=recorded)
            .order_by("organisation__name", "person_name", "pk")
            .values_list("pk", flat=True)
        )
    return cache[meeting.pk]


class MeetingAttendanceInline(ScopedTabularInline):
    """Attendance of a meeting: one row per member of the committee.

    The members not recorded yet come as blank rows, already named: the coordinator
    only picks « présent », « absent » or « excusé ». A row left blank is not saved.
    """

    model = MeetingAttendance
    fields = ("member", "status")
    queryset_select_related = ("member__organisation",)
    parent_choice_filters = {"member": ("committee", "committee_id")}

    def get_extra(self, request, obj=None, **kwargs):
        if obj is None or obj.pk is None:
            return 0
        return len(members_without_attendance(request, obj))


class DecisionInline(ScopedTabularInline):
    model = Decision
    fields = ("title", "owner", "due_on", "status", "description")
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}}


@admin.register(Meeting)
class MeetingAdmin(ProgrammeScopedAdmin):
    programme_path = "committee__programme"
    label_with_edition = True  # reads alike in every edition: labelled with it in filters and choices
    list_display = (
        "title",
        "committee",
        "programme",
        "held_on",
        "starts_at",
        "location",
        "attendance_count",
        "has_minutes",
        "decision_count",
    )
    list_filter = ("committee__programme", "committee__kind")
    list_select_related = ("committee__programme",)
    search_fields = ("title", "agenda", "minutes", "location", "committee__name")
    date_hierarchy = "held_on"
    autocomplete_fields = ("committee",)
    inlines = (MeetingAttendanceInline, DecisionInline)
    fieldsets = (
        (None, {"fields": ("committee", "title", "held_on", "starts_at", "location")}),
        (_("Ordre du jour et compte rendu"), {"fields": ("agenda", "minutes")}),
    )

    def annotate_queryset(self, request, queryset):
        return queryset.annotate(
            decision_total=Count("decisions", distinct=True),
            present_total=Count(
                "attendances", filter=Q(attendances__status=MeetingAttendance.Status.PRESENT), distinct=True
            ),
        )

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, MeetingAttendanceInline) and obj.pk is not None:
            # The blank rows of the members not recorded yet (see MeetingAttendanceInline), on
            # GET and POST alike, so that a row left blank counts as unchanged and is skipped.
            kwargs["initial"] = [{"member": pk} for pk in members_without_attendance(request, obj)]
        return kwargs

    @admin.display(description=_("édition"), ordering="committee__programme__name")
    def programme(self, obj):
        return obj.committee.programme

    @admin.display(description=_("présents"), ordering="present_total")
    def attendance_count(self, obj):
        return obj.present_total

    @admin.display(description=_("compte rendu"), boolean=True)
    def has_minutes(self, obj):
        return bool(obj.minutes)

    @admin.display(description=_("décisions"), ordering="decision_total")
    def decision_count(self, obj):
        return obj.decision_total


class MeetingListFilter(admin.RelatedOnlyFieldListFilter):
    """The meetings present in the (scoped) changelist, labelled with their committee in the same
    query: Django's filter would load each meeting's committee on its own, one query per meeting."""

    def field_choices(self, field, request, model_admin):
        pks = model_admin.get_queryset(request).distinct().values_list(f"{self.field_path}__pk", flat=True)
        meetings = Meeting.objects.filter(pk__in=pks).select_related("committee")
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            meetings = meetings.order_by(*ordering)
        return [(meeting.pk, str(meeting)) for meeting in meetings]


@admin.register(MeetingAttendance)
class MeetingAttendanceAdmin(ProgrammeScopedAdmin):
    programme_path = "meeting__committee__programme"
    list_display = ("member", "meeting", "status")
    list_filter = ("meeting__committee__programme", "status", ("meeting", MeetingListFilter))
    list_select_related = ("meeting__committee", "member__organisation")
    search_fields = ("member__organisation__name", "member__person_name", "meeting__title")
    autocomplete_fields = ("meeting", "member")


class DecisionFollowUpFilter(ChoiceListFilter):
    title = _("suivi")
    parameter_name = "suivi"

    def lookups(self, request, model_admin):
        return [("ouvertes", _("ouvertes (à engager ou en cours)")), ("en-retard", _("en retard"))]

    def queryset(self, request, queryset):
        if self.value() == "ouvertes":
            return queryset.filter(status__in=OPEN_STATUSES)
        if self.value() == "en-retard":
            return queryset.filter(overdue_q(timezone.localdate()))
        return queryset


@admin.register(Decision)
class DecisionAdmin(ProgrammeScopedHistoryAdmin):
    """The decisions log: statuses and due dates are edited right in the list."""

    programme_path = "meeting__committee__programme"
    list_display = ("title", "meeting", "owner", "due_on", "status", "is_overdue")
    list_editable = ("due_on", "status")
    list_filter = (DecisionFollowUpFilter, "meeting__committee__programme", "status", "meeting__committee__kind")
    list_select_related = ("meeting__committee",)
    search_fields = ("title", "description", "owner", "meeting__title")
    date_hierarchy = "due_on"
    autocomplete_fields = ("meeting",)

    @admin.display(description=_("en retard"), boolean=True)
    def is_overdue(self, obj):
        return obj.is_overdue


# The admin index by task (alliances/admin_index.py); attendance (edited on the meeting): « Autres ».
admin_index.place(admin_index.GOVERN, Committee, CommitteeMember, Meeting, Decision, Organisation)
