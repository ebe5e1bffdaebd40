"""The admin's answer to a bad query-string parameter: the plain list or an empty form field, never a 500.

A list filter, the date hierarchy or an add form's initial values take their values from the
URL (``?edition=abc``, ``?held_on__year=99999999999999999999``, ``?programme=3``). Django lets
some of them reach the database or a widget; what is here refuses or drops them first. The
project's admins get it through :class:`~alliances.admin_scoping.ProgrammeScopedAdminMixin`,
the libraries' admins through :func:`~alliances.admin_scoping.harden_library_admins`.
"""

import functools

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection, models


class ChoiceListFilter(admin.SimpleListFilter):
    """A ``SimpleListFilter`` that accepts only one of the values it offers (its ``lookups()``).

    Its value comes from the query string, and ``queryset()`` hands it to the ORM as it is
    (``programme=self.value()``): text where an id is expected, an id past the database's
    integers or an edition the user does not coordinate would raise there, or filter on
    something not offered. Refused up front with Django's ``IncorrectLookupParameters``,
    which the changelist answers as for its own filters: a redirect to the plain list
    (``?e=1``). The lookups are computed for the sidebar anyway: the check costs no query.
    """

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        value = self.value()
        if value is not None and value not in {str(lookup) for lookup, _title in self.lookup_choices}:
            raise IncorrectLookupParameters(f"{self.parameter_name}={value!r} is not one of the filter's choices.")


class ValidatingChangeListMixin:
    """Turn the parameter errors Django's changelist lets through into ``IncorrectLookupParameters``.

    Django parses the date hierarchy's ``__year/__month/__day`` with ``int()`` and ``datetime()``
    and catches only part of what they raise: a year of 20 digits (``OverflowError``) or 9999
    without a month (``ValueError`` building the end of the year) end in a 500. Every other bad
    value of a filter is already an ``IncorrectLookupParameters`` there: the admin redirects to
    the plain list (``?e=1``).
    """

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as exc:
            raise IncorrectLookupParameters(exc) from exc


@functools.cache
def validating_changelist(changelist_class):
    """``changelist_class`` with :class:`ValidatingChangeListMixin` (one class per original)."""
    if issubclass(changelist_class, ValidatingChangeListMixin):
        return changelist_class
    return type(f"Validating{changelist_class.__name__}", (ValidatingChangeListMixin, changelist_class), {})


_INVALID = object()


def _initial_value(field, value):
    """``value`` (text, or a list for a many-to-many) as ``field`` holds it, or ``_INVALID``."""
    values = value if isinstance(value, list) else [value]
    base = field.target_field if field.is_relation else field
    try:
        converted = [base.to_python(item) for item in values]
    except (ValidationError, ValueError, TypeError, OverflowError, OSError):
        # OSError: django-timezone-field (Celery beat's schedules) opens the zone file a name gives,
        # and a 300-character name is « File name too long ».
        return _INVALID
    if isinstance(base, models.IntegerField):
        low, high = connection.ops.integer_field_range(base.get_internal_type())
        for number in converted:
            if number is not None and ((low is not None and number < low) or (high is not None and number > high)):
                return _INVALID  # the widgets would look it up: an overflow in the database
    return converted if isinstance(value, list) else converted[0]


def clean_initial_data(model, initial):
    """The add form's initial values taken from the URL (``?programme=3``) that the fields can hold.

    Django hands them to the widgets as text: a select or an autocomplete looks ``abc`` (or a
    20-digit id) up in the database, a date-time widget calls ``.date()`` on the text — a 500.
    Each value is converted as its model field would (``to_python()``, an id within the
    database's integers); one that does not convert is dropped, and the form starts empty there.
    """
    cleaned = {}
    for name, value in initial.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        if field is None or not getattr(field, "concrete", False):
            cleaned[name] = value  # not a column: the form ignores it, or its own field decides
            continue
        converted = _initial_value(field, value)
        if converted is not _INVALID:
            cleaned[name] = converted
    return cleaned
