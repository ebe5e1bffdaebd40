"""The system checks every edition-scoped admin of the project passes (``manage.py check``).

Run from the ``check()`` of :mod:`alliances.admin_scoping`'s mixins (admins and inlines):

* ``alliances.E001``: the admin declares ``programme_path``, ``shared_directory`` or its own
  ``scope_queryset()``;
* ``alliances.E002``: its ``programme_path`` leads to :class:`~alliances.models.Programme`;
* ``alliances.E003``: its own list filters derive from
  :class:`~alliances.admin_parameters.ChoiceListFilter`.
"""

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.core import checks
from django.core.exceptions import FieldDoesNotExist

from alliances.admin_parameters import ChoiceListFilter
from alliances.models import Programme


def check_programme_scope(model_admin, own_scope):
    """alliances.E001/E002: an edition-scoped admin says how its model reaches Programme.

    ``own_scope``: the admin overrides ``scope_queryset()`` (then it scopes itself).
    """
    name = type(model_admin).__qualname__
    if model_admin.shared_directory or own_scope:
        return []
    path = model_admin.get_programme_path()
    if not path:
        return [
            checks.Error(
                f"{name} declares neither programme_path, shared_directory nor its own scope_queryset().",
                obj=type(model_admin),
                id="alliances.E001",
            )
        ]
    if path == "pk":
        target = model_admin.model
    else:
        try:
            target = get_fields_from_path(model_admin.model, path)[-1].related_model
        except (FieldDoesNotExist, AttributeError) as exc:
            target = exc
    if target is not Programme:
        return [
            checks.Error(
                f"{name}.programme_path {path!r} does not lead from {model_admin.model.__name__} to Programme.",
                obj=type(model_admin),
                id="alliances.E002",
            )
        ]
    return []


def check_list_filters(model_admin):
    """alliances.E003: the project's own list filters refuse a value they do not offer (ChoiceListFilter)."""
    unchecked = [
        entry.__qualname__
        for entry in getattr(model_admin, "list_filter", ())
        if isinstance(entry, type)
        and issubclass(entry, admin.SimpleListFilter)
        and not issubclass(entry, ChoiceListFilter)
    ]
    return [
        checks.Error(
            f"{type(model_admin).__qualname__}.list_filter: {name} must derive from ChoiceListFilter, "
            "so that a value it does not offer is refused instead of reaching the database.",
            obj=type(model_admin),
            id="alliances.E003",
        )
        for name in unchecked
    ]
