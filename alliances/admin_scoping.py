"""Scope the Django admin to the editions a coordinator coordinates.

One rule, written once, used by every ModelAdmin and inline of the project:

* a superuser sees and edits everything (Django's own permission checks apply);
* a *programme manager* — an active staff user holding ``alliances.manage_programmes``
  (``User.is_programme_manager``) — is a coordinator of every edition: they see and edit the
  objects of all editions, create and duplicate editions (never delete one);
* a *coordinator* — an active staff user listed in ``Programme.coordinators`` of at
  least one edition — sees and edits only the objects that belong to the editions
  they coordinate, without any Django permission row being assigned to them;
* any other staff user gets nothing from these admins (403 on their pages).

Each admin declares how its model reaches :class:`~alliances.models.Programme`
through the ORM, for example::

    class RegistrationAdmin(ProgrammeScopedAdmin):
        programme_path = "session__programme"

``"pk"`` is the path of ``Programme`` itself. Reference directories that belong to
no edition (networks, regions, organisations) set ``shared_directory = True``
instead; an admin with an unusual scope (users) overrides :meth:`scope_queryset`.
A system check (``alliances.E001``/``E002``) refuses an admin that does none of these.

What the mixin does with the path:

* ``get_queryset`` is filtered, so changelists, change/delete/history pages,
  actions and autocomplete results only reach objects of coordinated editions:
  anything else "does not exist" for the coordinator;
* foreign-key and many-to-many choices (plain selects, raw ids and autocomplete
  fields alike) are restricted with the *related* model's own scope, so a form
  refuses an object of another edition;
* relation filters of the changelist only offer values present in the scoped
  queryset (``RelatedOnlyFieldListFilter``), so they do not leak other editions;
* objects that read alike from one edition to the next (« S2 — Mettre en œuvre ») are labelled
  with their edition in other admins' filters, selects and autocomplete results, when their own
  admin says so (``label_with_edition = True``);
* inlines apply the same filtering and permissions;
* the project's own list filters derive from :class:`ChoiceListFilter`, which takes only a
  value it offers (a system check, ``alliances.E003``, refuses any other ``SimpleListFilter``):
  a hand-edited ``?edition=abc`` is a redirect to the plain list, never a 500.

Row-level access relies on ``get_queryset``, as Django's admin fetches every
object through it; ``has_*_permission`` therefore answers per model, cheaply
(one query per request, cached on the request, whatever the number of calls).

The system checks live in :mod:`alliances.admin_checks`, the refusal of bad query-string
parameters (``ChoiceListFilter``, the validating changelist, the add form's initial values)
in :mod:`alliances.admin_parameters`.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.utils.html import format_html
from django.utils.translation import gettext

from alliances.admin_checks import check_list_filters, check_programme_scope

# Re-exported: the apps' admins import their list filters' base from here.
from alliances.admin_parameters import ChoiceListFilter as ChoiceListFilter
from alliances.admin_parameters import clean_initial_data, validating_changelist
from alliances.models import Programme

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ALL_ACTIONS = frozenset({VIEW, ADD, CHANGE, DELETE})

_REQUEST_CACHE_ATTR = "_alliances_coordinated_programme_ids"
# Django's own message (translated by Django's catalogue), not one of ours: a variable, so that
# makemessages does not copy it into the project's catalogue.
_DJANGO_ACTION_CHECKBOX_LABEL = "Select this object for an action - {}"


def coordinated_programme_ids(request):
    """Primary keys of the editions the requesting user coordinates, cached on the request.

    Empty for anonymous, inactive or non-staff users; every edition for a programme manager.
    Superusers are handled by the callers (they are not limited to the editions they coordinate).
    """
    ids = getattr(request, _REQUEST_CACHE_ATTR, None)
    if ids is None:
        user = request.user
        if user.is_authenticated and user.is_active and user.is_staff:
            # A programme manager coordinates every edition; a superuser, those they are listed in
            # (the callers give superusers everything anyway).
            programmes = (
                Programme.objects.filter(coordinators=user)
                if user.is_superuser
                else Programme.objects.coordinated_by(user)
            )
            ids = frozenset(programmes.values_list("pk", flat=True))
        else:
            ids = frozenset()
        setattr(request, _REQUEST_CACHE_ATTR, ids)
    return ids


def is_superuser(request):
    user = request.user
    return user.is_authenticated and user.is_active and user.is_superuser


def is_programme_manager(request):
    """A superuser, or a staff user who may create and duplicate editions and sees them all."""
    user = request.user
    return user.is_authenticated and user.is_programme_manager


def is_coordinator(request):
    """An active staff user coordinating at least one edition, or a programme manager (a superuser is one)."""
    return bool(coordinated_programme_ids(request)) or is_programme_manager(request)


def scope_to_programmes(request, queryset, programme_path):
    """Filter ``queryset`` to the objects whose ``programme_path`` is a coordinated edition."""
    if is_superuser(request) or is_programme_manager(request):
        return queryset  # every edition: no list of ids to filter on
    ids = coordinated_programme_ids(request)
    if not ids:
        return queryset.none()
    return queryset.filter(**{f"{programme_path}__in": sorted(ids)})


def coordinators_queryset(request, queryset=None):
    """Staff users who may be recorded as « coordinateur » / author of an object.

    For a coordinator: the coordinators of the editions they coordinate (themselves
    included); for a superuser: every staff user.
    """
    if queryset is None:
        queryset = get_user_model()._default_manager.all()
    queryset = queryset.filter(is_staff=True, is_active=True)
    if is_superuser(request):
        return queryset
    ids = coordinated_programme_ids(request)
    if not ids:
        return queryset.none()
    coordinating = get_user_model()._default_manager.filter(programmes_coordinated__in=sorted(ids)).values("pk")
    return queryset.filter(pk__in=coordinating)


class EditionRelatedOnlyFieldListFilter(admin.RelatedOnlyFieldListFilter):
    """Django's « related only » filter, its choices labelled with their edition when the related
    model's admin asks for it (``label_with_edition``): « S2 — Mettre en œuvre (Parcours 2026) »
    instead of the same label twice. One query, as Django's: the edition comes with select_related."""

    def field_choices(self, field, request, model_admin):
        related_admin = model_admin.admin_site._registry.get(field.related_model)
        if not getattr(related_admin, "label_with_edition", False):
            return super().field_choices(field, request, model_admin)
        present = model_admin.get_queryset(request).distinct().values_list(f"{self.field_path}__pk", flat=True)
        queryset = field.related_model._default_manager.filter(pk__in=present)
        if isinstance(related_admin.list_select_related, list | tuple) and related_admin.list_select_related:
            queryset = queryset.select_related(*related_admin.list_select_related)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, related_admin.edition_label(obj)) for obj in queryset]


class EditionAutocompleteJsonView(AutocompleteJsonView):
    """The admin's autocomplete results, labelled with their edition where the searched model's admin
    asks for it (``label_with_edition``); installed on the site by ``label_autocomplete_results``."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if getattr(self.model_admin, "label_with_edition", False):
            result["text"] = self.model_admin.edition_label(obj)
        return result


def label_autocomplete_results(site):
    """Serve ``site``'s autocomplete with :class:`EditionAutocompleteJsonView` (before its URLs are built)."""
    site.autocomplete_view = lambda request: EditionAutocompleteJsonView.as_view(admin_site=site)(request)


def harden_library_admins(site):
    """Give the libraries' admins registered on ``site`` (auth, Celery beat, axes) the same checks.

    The project's admins get the validating changelist and the cleaned initial data from
    :class:`ProgrammeScopedAdminMixin`; the others are registered by their packages, so their
    instance's methods are wrapped once the registry is complete (``CoreConfig.ready()``).
    """
    for model_admin in site._registry.values():
        if isinstance(model_admin, ProgrammeScopedAdminMixin):
            continue
        changelist = model_admin.get_changelist
        model_admin.get_changelist = lambda request, changelist=changelist, **kwargs: validating_changelist(
            changelist(request, **kwargs)
        )
        initial_data = model_admin.get_changeform_initial_data
        model_admin.get_changeform_initial_data = lambda request, initial_data=initial_data, model=model_admin.model: (
            clean_initial_data(model, initial_data(request))
        )


class _ProgrammeScopingBase:
    """What a ModelAdmin and an InlineModelAdmin share."""

    #: ORM path from the model to Programme ("pk" for Programme itself).
    programme_path = None
    #: Reference data that belongs to no edition: every coordinator sees it.
    shared_directory = False
    #: What a coordinator may do on this model (superusers: everything).
    coordinator_permissions = ALL_ACTIONS
    #: Foreign keys to users whose choices are the coordinators of the coordinated
    #: editions, and whose initial value on an add form is the current user.
    coordinator_user_fields = ()
    #: The objects of this model read alike from one edition to the next (sessions S1–S4, the
    #: three phases, committees…): label them with their edition where other admins offer them.
    #: ``list_select_related`` must reach the edition (the labels cost no query).
    label_with_edition = False

    def edition_label(self, obj):
        """« S2 — Mettre en œuvre (Parcours 2026) »: the object and its edition."""
        programme = obj
        for name in self.get_programme_path().split("__"):
            programme = getattr(programme, name)
        return f"{obj} ({programme})"

    # --- Scope ------------------------------------------------------------------

    def get_programme_path(self):
        return self.programme_path

    def scope_queryset(self, request, queryset):
        """Restrict ``queryset`` of this admin's model to what the request's user may reach."""
        if self.shared_directory:
            if is_superuser(request) or is_coordinator(request):
                return queryset
            return queryset.none()
        return scope_to_programmes(request, queryset, self.get_programme_path())

    def coordinator_may(self, request, action):
        return action in self.coordinator_permissions and is_coordinator(request)

    # --- Choices of related fields ------------------------------------------------

    def _related_admin(self, model):
        return self.admin_site._registry.get(model)

    def scope_choices(self, request, db_field, queryset):
        """Restrict the choices of a relation field with the related model's own scope."""
        if db_field.name in self.coordinator_user_fields:
            return coordinators_queryset(request, queryset)
        related_admin = self._related_admin(db_field.remote_field.model)
        if related_admin is None:
            return queryset
        select_related = getattr(related_admin, "list_select_related", None)
        if isinstance(select_related, list | tuple) and select_related:
            # The labels of the choices (and of autocomplete's selected values) use them.
            queryset = queryset.select_related(*select_related)
        scope = getattr(related_admin, "scope_queryset", None)
        if scope is None:
            # Models registered by other packages (auth groups and permissions…):
            # coordinators never get to edit them, superusers see everything.
            return queryset
        return scope(request, queryset)

    def _base_choice_queryset(self, db_field, request, kwargs):
        queryset = kwargs.get("queryset")
        if queryset is None:
            queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(kwargs.get("using"))
        return queryset

    def _label_choices_with_edition(self, db_field, formfield):
        related_admin = self._related_admin(db_field.remote_field.model)
        if formfield is not None and getattr(related_admin, "label_with_edition", False):
            formfield.label_from_instance = related_admin.edition_label
        return formfield

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = self._base_choice_queryset(db_field, request, kwargs)
        kwargs["queryset"] = self.scope_choices(request, db_field, queryset)
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return self._label_choices_with_edition(db_field, formfield)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.remote_field.through._meta.auto_created:
            queryset = self._base_choice_queryset(db_field, request, kwargs)
            kwargs["queryset"] = self.scope_choices(request, db_field, queryset)
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        return self._label_choices_with_edition(db_field, formfield)

    def check(self, **kwargs):
        own_scope = type(self).scope_queryset is not _ProgrammeScopingBase.scope_queryset
        return [*super().check(**kwargs), *check_programme_scope(self, own_scope), *check_list_filters(self)]


def reaches_several_editions(request):
    """Whether the user's admin spans more than one edition (then lists name each object's edition).

    Coordinators: from their editions' ids (cached); superusers and programme managers: whether
    more than one edition exists (one query, cached on the request).
    """
    if not (is_superuser(request) or is_programme_manager(request)):
        return len(coordinated_programme_ids(request)) > 1
    cached = request.__dict__.get("_alliances_several_editions")
    if cached is None:
        cached = request.__dict__["_alliances_several_editions"] = Programme.objects.all()[:2].count() > 1
    return cached


def _edition_column(name, field, related_admin):
    """A list column showing the foreign key ``name`` with its edition (see ``label_with_edition``)."""

    def column(obj):
        value = getattr(obj, name)
        return "-" if value is None else related_admin.edition_label(value)

    column.__name__ = name  # the column's CSS class (field-<name>), as for the plain field
    column.short_description = field.verbose_name
    column.admin_order_field = name
    column.related_admin = related_admin
    return column


class ProgrammeScopedAdminMixin(_ProgrammeScopingBase):
    """Mixin for a ``ModelAdmin`` whose objects belong to an edition (see module docstring)."""

    list_per_page = 50
    #: On « Enregistrer et ajouter un nouveau », the parameters of the next add form's URL, each
    #: read from an attribute of the object just saved: the next enrolment, session or committee
    #: is in the same edition. ``None``: ``{"programme": "programme_id"}`` when the model has a
    #: ``programme`` foreign key (``programme_path == "programme"``), else nothing.
    add_another_keeps = None

    def get_add_another_keeps(self):
        if self.add_another_keeps is not None:
            return self.add_another_keeps
        return {"programme": "programme_id"} if self.get_programme_path() == "programme" else {}

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        keeps = self.get_add_another_keeps()
        if "_addanother" not in request.POST or not keeps or response.status_code != 302:
            return response
        # Django's redirect is the bare add URL (plus the changelist's preserved filters).
        url = urlsplit(response["Location"])
        query = [(k, v) for k, v in parse_qsl(url.query, keep_blank_values=True) if k not in keeps]
        query += [(name, str(getattr(obj, attribute))) for name, attribute in keeps.items()]
        response["Location"] = urlunsplit(url._replace(query=urlencode(query)))
        return response

    #: Columns that name the edition: left out of the list for a coordinator of one edition,
    #: where they would repeat the same name on every row (and push the list past the screen).
    edition_columns = ("programme", "enrolment_edition")

    def get_changelist(self, request, **kwargs):
        return validating_changelist(super().get_changelist(request, **kwargs))

    def get_list_display(self, request):
        columns = super().get_list_display(request)
        if reaches_several_editions(request):
            labelled = self._edition_labelled_columns(request)
            return [labelled.get(column, column) if isinstance(column, str) else column for column in columns]
        if is_superuser(request) or is_programme_manager(request):
            return columns
        kept = [column for column in columns if getattr(column, "__name__", column) not in self.edition_columns]
        return kept or columns

    def _edition_labelled_columns(self, request):
        """{column: callable} for the list's foreign keys to objects labelled with their edition
        (``label_with_edition``), when the user reaches several editions and the list has no edition
        column: « S2 — Mettre en œuvre (Parcours 2026) » in the session column. Cached on the request
        (asked for the list and for its queryset)."""
        cache = request.__dict__.setdefault("_alliances_edition_columns", {})
        if self not in cache:
            columns = {}
            editable = set(self.list_editable or ())
            names = {getattr(column, "__name__", column) for column in self.list_display}
            if names & set(self.edition_columns):
                cache[self] = columns  # the list has its edition column already
                return columns
            for name in self.list_display:
                if not isinstance(name, str) or name in editable:
                    continue
                try:
                    field = self.model._meta.get_field(name)
                except FieldDoesNotExist:
                    continue
                related_admin = self._related_admin(field.related_model) if field.many_to_one else None
                if getattr(related_admin, "label_with_edition", False):
                    columns[name] = _edition_column(name, field, related_admin)
            cache[self] = columns
        return cache[self]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if isinstance(self.list_select_related, list | tuple) and self.list_select_related:
            # Also for change pages and autocomplete results, whose labels need them.
            queryset = queryset.select_related(*self.list_select_related)
        if reaches_several_editions(request):
            labelled = self._edition_labelled_columns(request)
            if labelled:
                # The edition of each labelled column, fetched with the rows.
                queryset = queryset.select_related(
                    *(f"{name}__{column.related_admin.get_programme_path()}" for name, column in labelled.items())
                )
        queryset = self.annotate_queryset(request, self.scope_queryset(request, queryset))
        if not queryset.ordered:
            # Aggregating annotations drop the model's default ordering (GROUP BY):
            # restore it, autocomplete paginates this queryset.
            queryset = queryset.order_by(*(self.get_ordering(request) or self.model._meta.ordering or ("pk",)))
        return queryset

    def annotate_queryset(self, request, queryset):
        """Hook: add what the changelist computes in the database (counts…), so its cost
        does not depend on its number of rows."""
        return queryset

    def action_checkbox(self, obj):
        """Django's checkbox of a changelist row, the same HTML written directly: rendering a
        CheckboxInput through the form templates costs about 0.2 ms a row (bench/pages.py)."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext(_DJANGO_ACTION_CHECKBOX_LABEL), str(obj)),
        )

    def get_list_filter(self, request):
        """Offer only the related values present in the (scoped) changelist."""
        list_filter = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and self._is_relation_path(entry):
                entry = (entry, EditionRelatedOnlyFieldListFilter)
            list_filter.append(entry)
        return list_filter

    def _is_relation_path(self, path):
        try:
            return get_fields_from_path(self.model, path)[-1].is_relation
        except (FieldDoesNotExist, AttributeError):
            return False

    def get_changeform_initial_data(self, request):
        initial = clean_initial_data(self.model, super().get_changeform_initial_data(request))
        for field_name in self.coordinator_user_fields:
            initial.setdefault(field_name, request.user.pk)
        if self.get_programme_path() == "programme" and not is_superuser(request):
            ids = coordinated_programme_ids(request)
            if len(ids) == 1:
                initial.setdefault("programme", next(iter(ids)))
        return initial

    # --- Permissions: coordinators need no Django permission rows. -----------------

    def has_module_permission(self, request):
        if is_superuser(request):
            return super().has_module_permission(request)
        return is_coordinator(request)

    def has_view_permission(self, request, obj=None):
        if is_superuser(request):
            return super().has_view_permission(request, obj)
        return self.coordinator_may(request, VIEW) or self.coordinator_may(request, CHANGE)

    def has_add_permission(self, request):
        if is_superuser(request):
            return super().has_add_permission(request)
        return self.coordinator_may(request, ADD)

    def has_change_permission(self, request, obj=None):
        if is_superuser(request):
            return super().has_change_permission(request, obj)
        return self.coordinator_may(request, CHANGE)

    def has_delete_permission(self, request, obj=None):
        if is_superuser(request):
            return super().has_delete_permission(request, obj)
        return self.coordinator_may(request, DELETE)


class _ParentCachingFormSetMixin:
    """Give every row the parent object itself, not only its id.

    Each row of an inline displays ``str(row)``, which often reads the parent
    (``Registration.__str__`` reads its session): without this, one query per row.
    """

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if self.instance.pk is not None and not self.save_as_new:
            setattr(form.instance, self.fk.name, self.instance)
        return form


class ProgrammeScopedInlineMixin(_ProgrammeScopingBase):
    """Mixin for an inline: same scope and permissions as the admin of its model.

    ``programme_path`` defaults to the one of the model's registered admin.

    An inline's page must not cost a query per row either: the rows get their
    parent object, the choices of a select are computed once for all the rows
    (Django evaluates them again for every form), and ``parent_choice_filters``
    narrows a select to the parent's own objects, e.g. ``{"member": ("committee",
    "committee_id")}``: the members offered on a meeting are those of its committee
    (``committee=meeting.committee_id``).
    """

    #: select_related() of the inline's queryset (labels of its rows).
    queryset_select_related = ()
    #: field name -> (lookup on the field's model, attribute of the parent object).
    parent_choice_filters = {}

    def get_programme_path(self):
        if self.programme_path:
            return self.programme_path
        registered = self._related_admin(self.model)
        return getattr(registered, "programme_path", None)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.queryset_select_related:
            queryset = queryset.select_related(*self.queryset_select_related)
        return self.scope_queryset(request, queryset)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        fields = formset.form.base_fields  # a fresh form class per call: safe to adjust
        if obj is not None:
            for name, (lookup, attribute) in self.parent_choice_filters.items():
                if name in fields:
                    fields[name].queryset = fields[name].queryset.filter(**{lookup: getattr(obj, attribute)})
        for field in fields.values():
            if _is_plain_model_select(field):
                # Evaluated once here instead of once per row; validation still uses the queryset.
                field.choices = list(iter(field.choices))  # iter(): no COUNT query for a length hint
        return type(formset.__name__, (_ParentCachingFormSetMixin, formset), {})

    # ``obj`` is the parent object, already reached through its admin's scoped queryset.

    def has_view_permission(self, request, obj=None):
        if is_superuser(request):
            return super().has_view_permission(request, obj)
        return self.coordinator_may(request, VIEW) or self.coordinator_may(request, CHANGE)

    def has_add_permission(self, request, obj):
        if is_superuser(request):
            return super().has_add_permission(request, obj)
        return self.coordinator_may(request, ADD)

    def has_change_permission(self, request, obj=None):
        if is_superuser(request):
            return super().has_change_permission(request, obj)
        return self.coordinator_may(request, CHANGE)

    def has_delete_permission(self, request, obj=None):
        if is_superuser(request):
            return super().has_delete_permission(request, obj)
        return self.coordinator_may(request, DELETE)


def _is_plain_model_select(field):
    """A single-choice select over a queryset (not an autocomplete, raw id or hidden primary key)."""
    if not isinstance(field, forms.ModelChoiceField) or isinstance(field, forms.ModelMultipleChoiceField):
        return False
    widget = getattr(field.widget, "widget", field.widget)  # unwrap RelatedFieldWidgetWrapper
    return isinstance(widget, forms.Select) and not isinstance(widget, AutocompleteSelect)


class ProgrammeScopedAdmin(ProgrammeScopedAdminMixin, admin.ModelAdmin):
    """A ModelAdmin whose objects belong to an edition."""


class SharedDirectoryAdmin(ProgrammeScopedAdminMixin, admin.ModelAdmin):
    """Reference data shared by every edition: coordinators view, add and change it.

    No deletion by coordinators: the entry may be used by editions they do not
    coordinate (deleting is left to superusers).
    """

    shared_directory = True
    coordinator_permissions = frozenset({VIEW, ADD, CHANGE})


class ScopedTabularInline(ProgrammeScopedInlineMixin, admin.TabularInline):
    extra = 0


class ScopedStackedInline(ProgrammeScopedInlineMixin, admin.StackedInline):
    extra = 0
