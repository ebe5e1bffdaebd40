"""Admin of networks, their enrolment in an edition, participants and their work."""

from django.contrib import admin
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from alliances import admin_index
from alliances.admin_history import ProgrammeScopedHistoryAdmin
from alliances.admin_scoping import (
    VIEW,
    ProgrammeScopedAdmin,
    ScopedTabularInline,
    SharedDirectoryAdmin,
    coordinated_programme_ids,
    is_superuser,
)
from networks.admin_actions import invite_participants, participant_import_urls
from networks.models import (
    Binome,
    Enrolment,
    Network,
    Obstacle,
    Participant,
    Partnership,
    Region,
    Roadmap,
    RoadmapAction,
)

# --- Columns of the lists of a network's work (here and in sessions/admin.py) -----------------


@admin.display(description=_("réseau"), ordering="enrolment__network__name")
def enrolment_network(obj):
    """The enrolment's network by its acronym, the full name on hover: the list fits a laptop's screen
    (an enrolment's label, « network — edition », is twice as long)."""
    network = obj.enrolment.network
    return format_html('<span title="{}">{}</span>', network.name, network.acronym or network.name)


@admin.display(description=_("édition"), ordering="enrolment__programme__name")
def enrolment_edition(obj):
    """Left out for a coordinator of one edition (ProgrammeScopedAdminMixin.edition_columns)."""
    return obj.enrolment.programme


# --- Shared directories ----------------------------------------------------------------


@admin.register(Region)
class RegionAdmin(SharedDirectoryAdmin):
    """The French regions: reference data loaded by a migration, read-only for coordinators."""

    coordinator_permissions = frozenset({VIEW})
    list_display = ("name", "code")
    search_fields = ("name", "code")


@admin.register(Network)
class NetworkAdmin(SharedDirectoryAdmin):
    """The directory of networks, shared by every edition.

    Every coordinator maintains the shared description, but the contact person's name,
    e-mail and phone are personal data: a coordinator changes them only for a network
    enrolled in one of their editions (or one they are creating); elsewhere they are
    read-only, with a French note that says why. Superusers change any.
    """

    contact_fields = ("contact_name", "contact_email", "contact_phone")
    list_display = ("name", "acronym", "field_of_action", "member_associations", "contact_name", "contact_email")
    list_filter = ("regions",)
    search_fields = ("name", "acronym", "field_of_action", "contact_name", "contact_email")
    filter_horizontal = ("regions",)
    fieldsets = (
        (None, {"fields": ("name", "acronym", "field_of_action", "regions", "member_associations", "website")}),
        (_("Contact"), {"fields": contact_fields}),
    )

    def contact_is_editable(self, request, obj):
        if obj is None or obj.pk is None or is_superuser(request):
            return True
        cache = request.__dict__.setdefault("_alliances_editable_contacts", {})  # asked twice per page
        if obj.pk not in cache:
            ids = sorted(coordinated_programme_ids(request))
            cache[obj.pk] = obj.enrolments.filter(programme__in=ids).exists()
        return cache[obj.pk]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not self.contact_is_editable(request, obj):
            readonly += [name for name in self.contact_fields if name not in readonly]
        return readonly

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.contact_is_editable(request, obj):
            return fieldsets
        note = _(
            "Ce réseau ne participe à aucune des éditions que vous coordonnez : son contact (nom, e-mail, "
            "téléphone) est une donnée personnelle que seule l'équipe d'une de ses éditions peut modifier."
        )
        return [
            (name, {**options, "description": note})
            if tuple(options["fields"]) == self.contact_fields
            else (name, options)
            for name, options in fieldsets
        ]


# --- Enrolments and participants ---------------------------------------------------------


class ParticipantInlineFormSet(BaseInlineFormSet):
    """The enrolment's participants: a binôme may not receive more members than its free slots.

    Each form's clean() sees the database only (the binôme locked, see Participant.clean), so two
    rows of one submission could each take the last free slot: count them together here.
    """

    def clean(self):
        super().clean()
        kept = [form for form in self.forms if form.has_changed() or form.instance.pk]
        kept = [form for form in kept if form.is_valid() and not self._should_delete_form(form)]
        in_formset = {form.instance.pk for form in self.forms if form.instance.pk}
        joining = {}
        for form in kept:
            binome = form.cleaned_data.get("binome")
            if binome is not None and (form.instance.pk is None or "binome" in form.changed_data):
                joining.setdefault(binome, []).append(form)
        for binome, forms in joining.items():
            # Members the submission leaves in place: those not in the formset, and rows not moved.
            staying = binome.members.exclude(pk__in=in_formset).count() + sum(
                1
                for form in kept
                if form.instance.pk and form.cleaned_data.get("binome") == binome and "binome" not in form.changed_data
            )
            for form in forms[max(Binome.MAX_MEMBERS - staying, 0) :]:
                form.add_error("binome", Binome.FULL_MESSAGE)


class ParticipantInline(ScopedTabularInline):
    model = Participant
    formset = ParticipantInlineFormSet
    fields = ("user", "job_title", "binome", "listed_in_directory")
    autocomplete_fields = ("user",)
    queryset_select_related = ("user",)
    parent_choice_filters = {"binome": ("enrolment", "pk")}


class BinomeInline(ScopedTabularInline):
    model = Binome
    fields = ("name",)
    show_change_link = True


@admin.register(Enrolment)
class EnrolmentAdmin(ProgrammeScopedHistoryAdmin):
    programme_path = "programme"
    list_display = (
        "network",
        "programme",
        "status",
        "decided_on",
        "launch_meeting_on",
        "participant_count",
        "share_inventory",
    )
    list_filter = ("programme", "status", "share_inventory")
    list_select_related = ("network", "programme")
    search_fields = ("network__name", "network__acronym", "programme__name")
    date_hierarchy = "decided_on"
    autocomplete_fields = ("network",)
    inlines = (ParticipantInline, BinomeInline)
    fieldsets = (
        (None, {"fields": ("programme", "network", "status", "refusal_reason")}),
        (_("Dates"), {"fields": ("solicited_on", "decided_on")}),
        (_("Bilatérale de lancement"), {"fields": ("launch_meeting_on", "launch_meeting_notes")}),
        (_("Partage"), {"fields": ("share_inventory",)}),
    )

    def annotate_queryset(self, request, queryset):
        return queryset.annotate(participant_total=Count("participants", distinct=True))

    @admin.display(description=_("participants"), ordering="participant_total")
    def participant_count(self, obj):
        return obj.participant_total


@admin.register(Binome)
class BinomeAdmin(ProgrammeScopedAdmin):
    programme_path = "enrolment__programme"
    list_display = ("__str__", "enrolment", "member_count")
    list_filter = ("enrolment__programme",)
    list_select_related = ("enrolment__network", "enrolment__programme")
    search_fields = ("name", "enrolment__network__name", "enrolment__network__acronym")
    autocomplete_fields = ("enrolment",)

    def annotate_queryset(self, request, queryset):
        return queryset.annotate(member_total=Count("members", distinct=True))

    @admin.display(description=_("membres"), ordering="member_total")
    def member_count(self, obj):
        return f"{obj.member_total} / {Binome.MAX_MEMBERS}"


_participant_filters = []


def register_participant_filter(filter_class):
    """Add a list filter to the participants' changelist (e.g. « sans réponse pour la session »).

    Called by the admin module of an app that depends on networks; usable as a decorator.
    """
    if filter_class not in _participant_filters:
        _participant_filters.append(filter_class)
    return filter_class


@admin.register(Participant)
class ParticipantAdmin(ProgrammeScopedAdmin):
    programme_path = "enrolment__programme"
    list_display = (
        "__str__",
        "email",
        "network",
        "programme",
        "job_title",
        "binome",
        "listed_in_directory",
        "portal_preview",
    )
    list_filter = ("enrolment__programme", "listed_in_directory")
    list_select_related = ("user", "enrolment__network", "programme", "binome__enrolment__network")
    search_fields = (
        "user__email",
        "user__first_name",
        "user__last_name",
        "job_title",
        "enrolment__network__name",
        "enrolment__network__acronym",
    )
    autocomplete_fields = ("user", "enrolment", "binome")
    readonly_fields = ("joined_at",)
    actions = (invite_participants,)
    # A participant has no edition field of their own: the next add form offers the enrolments
    # of the same edition (see preselected_programme).
    add_another_keeps = {"enrolment__programme": "programme_id"}

    def preselected_programme(self, request):
        """The edition named by ``?enrolment__programme=<id>`` (the cockpit's « + participant »), if
        the user reaches it: the form then offers that edition's enrolments only, in a plain list."""
        value = request.GET.get("enrolment__programme", "")
        if not value.isdigit() or not 0 < int(value) < 2**31:
            return None
        programme_id = int(value)
        if not (is_superuser(request) or programme_id in coordinated_programme_ids(request)):
            return None
        return programme_id

    def get_autocomplete_fields(self, request):
        fields = super().get_autocomplete_fields(request)
        if self.preselected_programme(request) is not None:
            fields = tuple(name for name in fields if name != "enrolment")
        return fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        programme_id = self.preselected_programme(request) if db_field.name == "enrolment" else None
        if programme_id is not None:
            kwargs["queryset"] = Enrolment.objects.filter(programme_id=programme_id).select_related(
                "network", "programme"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_list_filter(self, request):
        return (*super().get_list_filter(request), *_participant_filters)

    def get_urls(self):
        # The CSV import page (its button: templates/admin/networks/participant/change_list.html).
        return participant_import_urls(self) + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        # « Inviter une personne » (the one-step invitation of an edition): the edition filtered, else
        # the running editions the user coordinates (three at most), else their latest one.
        extra_context = {**(extra_context or {}), "invite_programmes": self._invite_programmes(request)}
        return super().changelist_view(request, extra_context)

    def _invite_programmes(self, request):
        programmes = request.user.coordinated_programmes().order_by("-starts_on", "name")
        filtered = request.GET.get("enrolment__programme__id__exact", "")
        if filtered.isascii() and filtered.isdigit() and int(filtered) < 2**31:  # junk is no filter
            chosen = list(programmes.filter(pk=int(filtered)))
            if chosen:
                return chosen
        today = timezone.localdate()
        return list(programmes.filter(starts_on__lte=today, ends_on__gte=today)[:3]) or list(programmes[:1])

    @admin.display(description=_("adresse e-mail"), ordering="user__email")
    def email(self, obj):
        return obj.user.email

    @admin.display(description=_("réseau"), ordering="enrolment__network__name")
    def network(self, obj):
        # The acronym, the full name on hover: the list fits a laptop's screen.
        network = obj.enrolment.network
        return format_html('<span title="{}">{}</span>', network.name, network.acronym or network.name)

    @admin.display(description=_("portail"))
    def portal_preview(self, obj):
        """The read-only preview of the portal as this participant (its page asks before opening it)."""
        if obj.enrolment.status != Enrolment.Status.AGREED:
            return "—"
        url = reverse("preview:start", kwargs={"slug": obj.programme.slug, "participant_pk": obj.pk})
        return format_html('<a href="{}">{}</a>', url, _("Aperçu"))


# --- A network's work ----------------------------------------------------------------------


@admin.register(Partnership)
class PartnershipAdmin(ProgrammeScopedHistoryAdmin):
    programme_path = "enrolment__programme"
    # The form, scale and evaluation are in the filters and the form: the list fits a laptop's screen.
    list_display = (
        "partner_name",
        enrolment_network,
        enrolment_edition,
        "family",
        "partner_type",
        "depth",
        "status",
        "start_year",
    )
    list_filter = (
        "enrolment__programme",
        "family",
        "partner_type",
        "company_form",
        "scale",
        "depth",
        "evaluated",
        "status",
        "objective_human_resources",
        "objective_stakeholders",
        "objective_innovation",
        "objective_economic",
    )
    list_select_related = ("enrolment__network", "enrolment__programme")
    search_fields = ("partner_name", "notes", "enrolment__network__name", "enrolment__network__acronym")
    autocomplete_fields = ("enrolment",)
    readonly_fields = ("updated_at",)
    fieldsets = (
        (None, {"fields": ("enrolment", "partner_name", "family", "partner_type", "company_form", "scale")}),
        (
            _("Objectifs"),
            {
                "fields": (
                    "objective_human_resources",
                    "objective_stakeholders",
                    "objective_innovation",
                    "objective_economic",
                )
            },
        ),
        (_("Relation"), {"fields": ("depth", "evaluated", "start_year", "status", "notes", "updated_at")}),
    )


@admin.register(Obstacle)
class ObstacleAdmin(ProgrammeScopedAdmin):
    programme_path = "enrolment__programme"
    list_display = ("__str__", enrolment_network, enrolment_edition, "category", "severity", "created_at")
    list_filter = ("enrolment__programme", "category", "severity")
    list_select_related = ("enrolment__network", "enrolment__programme")
    search_fields = ("description", "enrolment__network__name", "enrolment__network__acronym")
    autocomplete_fields = ("enrolment",)
    date_hierarchy = "created_at"


class RoadmapActionInline(ScopedTabularInline):
    model = RoadmapAction
    fields = ("title", "owner", "due_on", "status", "done_on")
    parent_choice_filters = {"owner": ("enrolment", "enrolment_id")}


@admin.register(Roadmap)
class RoadmapAdmin(ProgrammeScopedHistoryAdmin):
    programme_path = "enrolment__programme"
    list_display = ("__str__", "enrolment", "action_count", "updated_at")
    list_filter = ("enrolment__programme",)
    list_select_related = ("enrolment__network", "enrolment__programme")
    search_fields = ("title", "ambition", "enrolment__network__name", "enrolment__network__acronym")
    autocomplete_fields = ("enrolment",)
    readonly_fields = ("updated_at",)
    inlines = (RoadmapActionInline,)

    def annotate_queryset(self, request, queryset):
        return queryset.annotate(action_total=Count("actions", distinct=True))

    @admin.display(description=_("actions"), ordering="action_total")
    def action_count(self, obj):
        return obj.action_total


@admin.register(RoadmapAction)
class RoadmapActionAdmin(ProgrammeScopedHistoryAdmin):
    programme_path = "roadmap__enrolment__programme"
    list_display = ("title", "network", "owner", "due_on", "status", "done_on")
    list_filter = ("roadmap__enrolment__programme", "status")
    list_select_related = ("roadmap__enrolment__network", "owner__user")
    search_fields = ("title", "description", "roadmap__enrolment__network__name")
    date_hierarchy = "due_on"
    autocomplete_fields = ("roadmap", "owner")

    @admin.display(description=_("réseau"), ordering="roadmap__enrolment__network__name")
    def network(self, obj):
        return obj.roadmap.enrolment.network


# The admin index by task (alliances/admin_index.py); regions and binômes (edited on the enrolment): « Autres ».
admin_index.place(admin_index.PREPARE, Network, Enrolment, Participant)
admin_index.place(admin_index.FOLLOW, Partnership, Obstacle, Roadmap, RoadmapAction)
