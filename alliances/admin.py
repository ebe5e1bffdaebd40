"""Admin of the programme core: users, editions, phases, steps and themes.

Also the site's titles and a small registry through which the other apps add
their inlines to the edition page (the core imports no app: dependencies point
one way, see DESIGN.md section 2).
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alliances import admin_index
from alliances.admin_duplication import duplicate_programme
from alliances.admin_scoping import (
    ChoiceListFilter,
    ProgrammeScopedAdmin,
    ProgrammeScopedAdminMixin,
    ScopedTabularInline,
    coordinated_programme_ids,
    is_coordinator,
    is_programme_manager,
    is_superuser,
)
from alliances.invitations import users_invite
from alliances.models import Notification, Phase, Programme, Report, Step, Theme, User, programme_creator_coordinates
from alliances.privacy_admin import anonymise_users
from alliances.tasks import send_password_reset

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
    """Add an admin action to the list of editions (the core's own: « dupliquer l'édition »).

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

    The login of a person who also takes part in an edition the coordinator does
    not coordinate (as participant or committee member) is not theirs to change:
    for such a person the email is read-only and the password form is refused;
    the coordinator sends a reset link instead (action « Envoyer un lien pour
    choisir un nouveau mot de passe »), which only the person's mailbox receives.
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
    actions = ("send_invitation", "send_password_reset_link", anonymise_users)  # RGPD: alliances/privacy_admin.py

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
        if self.login_is_shared(request, obj):
            readonly += ["email", "password_status"]
        return readonly

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self.login_is_shared(request, obj):
            return fieldsets
        # No password widget (its link leads to the password form): what the coordinator may do instead.
        return [
            (name, {**options, "fields": tuple("password_status" if f == "password" else f for f in options["fields"])})
            for name, options in fieldsets
        ]

    def login_is_shared(self, request, obj):
        """Whether ``obj`` also takes part in an edition that the requesting coordinator does not coordinate.

        Never for a superuser (who manages every edition) nor for the coordinator's own
        account. Cached on the request: the admin asks several times per page.
        """
        if obj is None or obj.pk is None or is_superuser(request) or obj.pk == request.user.pk:
            return False
        cache = request.__dict__.setdefault("_alliances_shared_logins", {})
        if obj.pk not in cache:
            ids = sorted(coordinated_programme_ids(request))
            # Reverse relations of the apps, by name (the core imports no app).
            cache[obj.pk] = (
                obj.participations.exclude(enrolment__programme__in=ids).exists()
                or obj.committee_seats.exclude(committee__programme__in=ids).exists()
            )
        return cache[obj.pk]

    @admin.display(description=_("mot de passe"))
    def password_status(self, obj):
        state = _("défini") if obj.has_usable_password() else _("pas encore choisi")
        return format_html(
            '{}<br><span class="help">{}</span>',
            state,
            _(
                "Cette personne participe aussi à une édition que vous ne coordonnez pas : vous ne pouvez changer "
                "ni son adresse e-mail ni son mot de passe. Envoyez-lui plutôt un lien pour choisir un nouveau mot "
                "de passe (action de la liste des utilisateurs)."
            ),
        )

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        if user is not None and self.login_is_shared(request, user):
            messages.error(
                request,
                _(
                    "Vous ne pouvez pas changer le mot de passe de %(person)s : cette personne participe aussi à une "
                    "édition que vous ne coordonnez pas. Envoyez-lui plutôt un lien pour choisir un nouveau mot de "
                    "passe (action de la liste des utilisateurs)."
                )
                % {"person": user},
            )
            return redirect(reverse("admin:alliances_user_change", args=[user.pk]))
        return super().user_change_password(request, id, form_url)

    @admin.action(description=_("Envoyer un lien pour choisir un nouveau mot de passe"), permissions=["change"])
    def send_password_reset_link(self, request, queryset):
        """The reset email of « Mot de passe oublié », sent by the task queue to each selected person's own address."""
        people = list(queryset.order_by("pk"))
        base_url = request.build_absolute_uri("/")
        for user in people:
            send_password_reset.delay_on_commit(user.email, base_url, translation.get_language())
        ready = [user for user in people if user.is_active and user.has_usable_password()]
        if ready:
            self.message_user(
                request,
                ngettext(
                    "Un lien pour choisir un nouveau mot de passe part vers %(count)d personne.",
                    "Un lien pour choisir un nouveau mot de passe part vers %(count)d personnes.",
                    len(ready),
                )
                % {"count": len(ready)},
                messages.SUCCESS,
            )
        if len(ready) < len(people):
            self.message_user(
                request,
                ngettext(
                    "%(count)d personne n'a pas de compte actif avec un mot de passe : rien ne lui est envoyé, "
                    "envoyez-lui plutôt une invitation.",
                    "%(count)d personnes n'ont pas de compte actif avec un mot de passe : rien ne leur est envoyé, "
                    "envoyez-leur plutôt une invitation.",
                    len(people) - len(ready),
                )
                % {"count": len(people) - len(ready)},
                messages.WARNING,
            )

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
    classes = ["collapse"]  # set once per edition (the duplication copies them): folded on the edition's page


@admin.register(Programme)
class ProgrammeAdmin(ProgrammeScopedAdmin):
    programme_path = "pk"
    list_display = (
        "name",
        "cockpit_link",
        "starts_on",
        "ends_on",
        "pilot_networks",
        "recruitment_link",
        "dashboard_link",
        "sponsors",
    )
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
        # Read when the list page is built: the core's, then those other apps registered by then.
        return [duplicate_programme, *_programme_actions]

    def get_inlines(self, request, obj):
        return [PhaseInline, ThemeInline, *_programme_inlines]

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), "recruitment_link"]
        if not is_superuser(request):
            # Appointing coordinators grants access to an edition: superusers decide it.
            readonly.append("coordinators")
        return readonly

    # Coordinators run the editions they have been given. Creating (and duplicating) an edition
    # is for programme managers (« manage_programmes ») and superusers; deleting one, which
    # deletes everything recorded in it, for superusers alone, whatever permissions a user holds.
    def has_add_permission(self, request):
        if is_superuser(request):
            return super().has_add_permission(request)
        return is_programme_manager(request)

    def has_delete_permission(self, request, obj=None):
        return is_superuser(request) and super().has_delete_permission(request, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:
            programme_creator_coordinates(form.instance, request.user)

    @admin.display(description=_("réseaux pilotes / visés"), ordering="pilot_count")
    def pilot_networks(self, obj):
        return f"{obj.pilot_count} / {obj.target_networks}"

    @admin.display(description=_("cockpit"))
    def cockpit_link(self, obj):
        # The edition's cockpit (alliances/cockpit_views.py): what is late, who has not answered.
        return format_html('<a href="{}">{}</a>', reverse("cockpit:edition", args=[obj.slug]), _("Cockpit"))

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
    label_with_edition = True  # reads alike in every edition: labelled with it in filters and choices
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
    label_with_edition = True  # reads alike in every edition: labelled with it in filters and choices
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
    label_with_edition = True  # reads alike in every edition: labelled with it in filters and choices
    list_display = ("title", "programme", "order")
    list_filter = ("programme",)
    list_select_related = ("programme",)
    search_fields = ("title", "description")


# Admins of the core's pipelines live beside their code; importing them registers them.
from alliances import admin_documents, admin_notifications  # noqa: E402, F401

# The admin index by task (alliances/admin_index.py); Region, Step… rarely opened: « Autres ».
admin_index.place(admin_index.PREPARE, Programme, Phase, Theme, User)
admin_index.place(admin_index.RUN, Notification)
admin_index.place(admin_index.EVALUATE, Report)
