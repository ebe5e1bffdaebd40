"""Admin of the programme core: users, editions, phases, steps and themes.

Also the site's titles and a small registry through which the other apps add
their inlines to the edition page (the core imports no app: dependencies point
one way, see DESIGN.md section 2).
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from alliances.admin_scoping import (
    ChoiceListFilter,
    ProgrammeScopedAdmin,
    ProgrammeScopedAdminMixin,
    ScopedTabularInline,
    coordinated_programme_ids,
    is_coordinator,
    is_superuser,
)
from alliances.invitations import users_invite
from alliances.models import Phase, Programme, Step, Theme, User
from alliances.privacy import anonymise_users

admin.site.site_header = _("Alliances innovantes — administration")
admin.site.site_title = _("Alliances innovantes")
admin.site.index_title = _("Pilotage du programme")
# No « Voir le site »: « / » sends a coordinator back to the admin. The header links to the
# committee area instead (templates/admin/base_site.html).
admin.site.site_url = None


# --- Inlines contributed by other apps to the edition page ------------------------------

_programme_inlines = []
_programme_actions = []


def register_programme_inline(inline_class):
    """Add an inline (e.g. the sessions of an edition) to the edition's change page.

    Called by the admin module of an app that depends on the core; usable as a decorator.
    """
    if inline_class not in _programme_inlines:
        _programme_inlines.append(inline_class)
    return inline_class


def register_programme_action(func):
    """Add an admin action (e.g. « dupliquer l'édition ») to the list of editions.

    Called by the admin module of an app that depends on the core; usable as a decorator.
    The action declares its own permissions (``@admin.action(permissions=[...])``).
    """
    if func not in _programme_actions:
        _programme_actions.append(func)
    return func


# --- Users -------------------------------------------------------------------------------


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name")


class UserAdminChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class UserEditionFilter(ChoiceListFilter):
    """People taking part in an edition, as participant or committee member."""

    title = _("édition")
    parameter_name = "edition"

    def lookups(self, request, model_admin):
        programmes = (
            Programme.objects.all() if is_superuser(request) else Programme.objects.coordinated_by(request.user)
        )
        return [(str(pk), name) for pk, name in programmes.values_list("pk", "name")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        in_edition = User.objects.filter(
            Q(participations__enrolment__programme=self.value()) | Q(committee_seats__committee__programme=self.value())
        ).values("pk")
        return queryset.filter(pk__in=in_edition)


@admin.register(User)
class UserAdmin(ProgrammeScopedAdminMixin, DjangoUserAdmin):
    """Users log in with their email address: no username anywhere.

    Coordinators see, add and change the participants and committee members of
    their editions, the people not yet attached to any edition, and themselves —
    never other staff accounts, whose passwords and emails they could otherwise
    take over. Rights (is_staff, is_superuser, groups, permissions) are read-only
    for anyone but superusers.
    """

    coordinator_permissions = frozenset({"view", "add", "change"})
    form = UserAdminChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identité"), {"fields": ("first_name", "last_name", "phone")}),
        (
            _("Notifications"),
            {
                "fields": (
                    "notify_session_reminders",
                    "notify_meeting_reminders",
                    "notify_questionnaires",
                    "notify_announcements",
                )
            },
        ),
        (_("Droits"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates importantes"), {"fields": ("invited_at", "invitation_accepted_at", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = (
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "is_active",
        "invited_at",
        "invitation_accepted_at",
        "last_login",
    )
    list_filter = ("is_staff", "is_superuser", "is_active", UserEditionFilter, "groups", "deletion_requested_at")
    search_fields = ("email", "first_name", "last_name", "phone")
    ordering = ("last_name", "first_name", "email")
    date_hierarchy = "date_joined"
    readonly_fields = ("invited_at", "invitation_accepted_at", "last_login", "date_joined")
    rights_fields = ("is_superuser", "is_staff", "groups", "user_permissions")
    actions = ("send_invitation", anonymise_users)  # RGPD: alliances/privacy.py

    def scope_queryset(self, request, queryset):
        if is_superuser(request):
            return queryset
        if not is_coordinator(request):
            return queryset.none()
        ids = sorted(coordinated_programme_ids(request))
        users = User._default_manager
        participants = users.filter(participations__enrolment__programme__in=ids).values("pk")
        members = users.filter(committee_seats__committee__programme__in=ids).values("pk")
        attached = users.filter(Q(participations__isnull=False) | Q(committee_seats__isnull=False)).values("pk")
        return queryset.filter(
            Q(pk=request.user.pk)
            | (
                Q(is_staff=False, is_superuser=False)
                & (Q(pk__in=participants) | Q(pk__in=members) | ~Q(pk__in=attached))
            )
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not is_superuser(request):
            readonly += [name for name in self.rights_fields if name not in readonly]
        return readonly

    @admin.action(description=_("Envoyer une invitation (lien pour choisir son mot de passe)"), permissions=["change"])
    def send_invitation(self, request, queryset):
        batch = users_invite(
            invitations=((user, None) for user in queryset.order_by("pk")), invited_by=request.user, request=request
        )
        batch.report(self, request)


# --- Editions ----------------------------------------------------------------------------


class PhaseInline(ScopedTabularInline):
    model = Phase
    fields = ("number", "title", "starts_on", "ends_on", "progress_display")
    readonly_fields = ("progress_display",)
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("steps")

    @admin.display(description=_("avancement"))
    def progress_display(self, obj):
        return f"{obj.progress()} %" if obj.pk else "—"


class ThemeInline(ScopedTabularInline):
    model = Theme
    fields = ("order", "title", "description")


@admin.register(Programme)
class ProgrammeAdmin(ProgrammeScopedAdmin):
    programme_path = "pk"
    list_display = ("name", "starts_on", "ends_on", "pilot_networks", "recruitment_link", "dashboard_link", "sponsors")
    list_filter = ("coordinators",)
    search_fields = ("name", "slug", "sponsors")
    date_hierarchy = "starts_on"
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("coordinators",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "description", "sponsors")}),
        (_("Calendrier et objectif"), {"fields": ("starts_on", "ends_on", "target_networks", "recruitment_link")}),
        (_("Équipe"), {"fields": ("coordinators",)}),
    )

    def annotate_queryset(self, request, queryset):
        # "Pilot networks" are the enrolments in accord (networks.Enrolment.Status.AGREED),
        # counted by the database. A lookup, not an import: the core imports no app.
        return queryset.annotate(pilot_count=Count("enrolments", filter=Q(enrolments__status="agreed"), distinct=True))

    @property
    def actions(self):
        # Read when the list page is built: the actions other apps registered by then.
        return list(_programme_actions)

    def get_inlines(self, request, obj):
        return [PhaseInline, ThemeInline, *_programme_inlines]

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), "recruitment_link"]
        if not is_superuser(request):
            # Appointing coordinators grants access to an edition: superusers decide it.
            readonly.append("coordinators")
        return readonly

    # Coordinators run the editions they have been given; they neither create new
    # editions nor delete one (which would delete everything recorded in it).
    # Both are superuser decisions, whatever Django permissions a user holds.
    def has_add_permission(self, request):
        return is_superuser(request) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return is_superuser(request) and super().has_delete_permission(request, obj)

    @admin.display(description=_("réseaux pilotes / visés"), ordering="pilot_count")
    def pilot_networks(self, obj):
        return f"{obj.pilot_count} / {obj.target_networks}"

    @admin.display(description=_("recrutement"))
    def recruitment_link(self, obj):
        # The coordinators' funnel page (networks.coordination_urls): a route name, not an import.
        if obj is None or not obj.pk:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("recruitment:funnel", args=[obj.slug]), _("Entonnoir"))

    @admin.display(description=_("tableau de bord"))
    def dashboard_link(self, obj):
        # The dashboard web page, where the coordinators produce its PDF (alliances/document_views.py).
        return format_html('<a href="{}">{}</a>', reverse("documents:dashboard", args=[obj.slug]), _("Tableau de bord"))


class StepInline(ScopedTabularInline):
    model = Step
    fields = ("letter", "title", "status", "due_on", "done_on")


@admin.register(Phase)
class PhaseAdmin(ProgrammeScopedAdmin):
    programme_path = "programme"
    list_display = ("__str__", "programme", "starts_on", "ends_on", "progress_display")
    list_filter = ("programme",)
    list_select_related = ("programme",)
    search_fields = ("title", "programme__name")
    date_hierarchy = "starts_on"
    inlines = (StepInline,)

    def annotate_queryset(self, request, queryset):
        # progress() is derived from the steps: one query for all the rows' steps.
        return queryset.prefetch_related("steps")

    @admin.display(description=_("avancement"))
    def progress_display(self, obj):
        return f"{obj.progress()} %"


@admin.register(Step)
class StepAdmin(ProgrammeScopedAdmin):
    programme_path = "phase__programme"
    list_display = ("__str__", "phase", "programme", "status", "due_on", "done_on", "is_late")
    list_filter = ("phase__programme", "status")
    list_select_related = ("phase__programme",)
    search_fields = ("title", "phase__title")
    date_hierarchy = "due_on"
    autocomplete_fields = ("phase",)

    @admin.display(description=_("édition"), ordering="phase__programme__name")
    def programme(self, obj):
        return obj.phase.programme

    @admin.display(description=_("en retard"), boolean=True)
    def is_late(self, obj):
        return obj.is_late


@admin.register(Theme)
class ThemeAdmin(ProgrammeScopedAdmin):
    programme_path = "programme"
    list_display = ("title", "programme", "order")
    list_filter = ("programme",)
    list_select_related = ("programme",)
    search_fields = ("title", "description")


# Admins of the core's pipelines live beside their code; importing them registers them.
from alliances import admin_documents, admin_notifications  # noqa: E402, F401
