"""Admin of committees, their members, meetings, attendance and decisions."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from alliances.admin_scoping import ProgrammeScopedAdmin, ScopedTabularInline, SharedDirectoryAdmin
from governance.admin_actions import invite_committee_members
from governance.models import Committee, CommitteeMember, Decision, Meeting, MeetingAttendance, Organisation


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


class MeetingAttendanceInline(ScopedTabularInline):
    model = MeetingAttendance
    fields = ("member", "status")
    queryset_select_related = ("member__organisation",)
    parent_choice_filters = {"member": ("committee", "committee_id")}


class DecisionInline(ScopedTabularInline):
    model = Decision
    fields = ("title", "owner", "due_on", "status")


@admin.register(Meeting)
class MeetingAdmin(ProgrammeScopedAdmin):
    programme_path = "committee__programme"
    list_display = ("title", "committee", "programme", "held_on", "starts_at", "location", "decision_count")
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
        return queryset.annotate(decision_total=Count("decisions", distinct=True))

    @admin.display(description=_("édition"), ordering="committee__programme__name")
    def programme(self, obj):
        return obj.committee.programme

    @admin.display(description=_("décisions"), ordering="decision_total")
    def decision_count(self, obj):
        return obj.decision_total


@admin.register(MeetingAttendance)
class MeetingAttendanceAdmin(ProgrammeScopedAdmin):
    programme_path = "meeting__committee__programme"
    list_display = ("member", "meeting", "status")
    list_filter = ("meeting__committee__programme", "status", "meeting")
    list_select_related = ("meeting__committee", "member__organisation")
    search_fields = ("member__organisation__name", "member__person_name", "meeting__title")
    autocomplete_fields = ("meeting", "member")


@admin.register(Decision)
class DecisionAdmin(ProgrammeScopedAdmin):
    programme_path = "meeting__committee__programme"
    list_display = ("title", "meeting", "owner", "due_on", "status", "is_open")
    list_filter = ("meeting__committee__programme", "status", "meeting__committee__kind")
    list_select_related = ("meeting__committee",)
    search_fields = ("title", "description", "owner", "meeting__title")
    date_hierarchy = "due_on"
    autocomplete_fields = ("meeting",)

    @admin.display(description=_("ouverte"), boolean=True)
    def is_open(self, obj):
        return obj.is_open
