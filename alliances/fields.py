"""Model fields of the project: free text with a length limit that every writer meets.

Django's ``TextField`` passes ``max_length`` to its form field only: model validation
(``full_clean()``, which the services call) and the database accept any length, so a
300,000-character note was saved. ``LimitedTextField`` enforces it at the three levels:

* forms (the admin's and the portal's ModelForms): the form field gets ``max_length``, hence
  Django's French message « Assurez-vous que cette valeur comporte au plus 5000 caractères
  (actuellement 300000). », and the textarea its ``maxlength``;
* model validation: a ``MaxLengthValidator``, as ``CharField`` has, so the services'
  ``full_clean()`` refuses it with the same message;
* the database: a check constraint on each such column (``LENGTH(column) <= max_length``, in
  characters on SQLite and PostgreSQL alike), named ``<app>_<model>_<field>_len`` and added to
  its model's ``Meta.constraints`` by the field itself (simple_history's copies too), so that ``bulk_create()``, ``update()`` and any other writer are held too. The
  check costs a length computation per written row, nothing on reads. (Not Django's column
  checks, ``db_check()``: a migration altering a column only compares those of the built-in
  types, so PostgreSQL would never get it; a named constraint is migrated like any other.)

The limits are generous for what people write (a note, a description, minutes): they are
there to refuse a pasted file or a script, not to make anyone shorten a real text.
"""

from django.core import validators
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

#: A comment, a reason: a few sentences.
SHORT_TEXT = 1_000
#: A description, notes, an answer: a few paragraphs (about two pages).
TEXT = 5_000
#: A summary, an agenda, a programme's text: several pages.
LONG_TEXT = 20_000
#: The minutes of a meeting (about 20 pages).
MINUTES_TEXT = 50_000


class TextLengthConstraint(models.CheckConstraint):
    """The database's « LENGTH(column) <= limit » of a :class:`LimitedTextField`.

    Not checked again by ``full_clean()``: the field's own ``MaxLengthValidator`` has already
    refused a long text, with a message that gives the length, and Django's check of a
    ``CheckConstraint`` costs a query per constraint (``SELECT 1 WHERE …``) at every validation.
    """

    def validate(self, model, instance, exclude=None, using=None):
        return None


class LimitedTextField(models.TextField):
    """A ``TextField`` whose ``max_length`` is enforced by forms, model validation and the database."""

    def __init__(self, *args, max_length, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)
        self.validators.append(validators.MaxLengthValidator(self.max_length))

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        if cls._meta.abstract:
            return  # each concrete model gets its own copy of the field, and its constraint
        constraint = TextLengthConstraint(
            condition=LessThanOrEqual(Length(name), self.max_length),
            # Unique in the database, under PostgreSQL's 63 characters for the project's names.
            name=f"{cls._meta.app_label}_{cls._meta.model_name}_{name}_len",
            violation_error_message=_("Ce texte est trop long."),
        )
        if any(existing.name == constraint.name for existing in cls._meta.constraints):
            # A model rendered from a migration's state (CreateModel) declares it already in its options:
            # adding it again would make PostgreSQL refuse the second constraint of the same name.
            return
        # A new list: Options may hold the Meta class's own list object. The migrations read a model's
        # constraints only when its Meta declared some (``original_attrs``): declared here for them.
        cls._meta.constraints = [*cls._meta.constraints, constraint]
        cls._meta.original_attrs["constraints"] = cls._meta.constraints
