"""Model fields of the project: free text with a length limit that every writer meets.

Django's ``TextField`` passes ``max_length`` to its form field only: model validation
(``full_clean()``, which the services call) and the database accept any length, so a
300,000-character note was saved. ``LimitedTextField`` enforces it at the three levels:

* forms (the admin's and the portal's ModelForms): the form field gets ``max_length``, hence
  Django's French message « Assurez-vous que cette valeur comporte au plus 5000 caractères
  (actuellement 300000). », and the textarea its ``maxlength``;
* model validation: a ``MaxLengthValidator``, as ``CharField`` has, so the services'
  ``full_clean()`` refuses it with the same message;
* the database: a CHECK on the column (``LENGTH(column) <= max_length``, in characters on
  SQLite and PostgreSQL alike), the mechanism Django uses for positive integers, so that
  ``bulk_create()``, ``update()`` and any other writer are held too. The check costs a length
  computation per written row, nothing on reads.

The limits are generous for what people write (a note, a description, minutes): they are
there to refuse a pasted file or a script, not to make anyone shorten a real text.
"""

from django.core import validators
from django.db import models

#: A comment, a reason: a few sentences.
SHORT_TEXT = 1_000
#: A description, notes, an answer: a few paragraphs (about two pages).
TEXT = 5_000
#: A summary, an agenda, a programme's text: several pages.
LONG_TEXT = 20_000
#: The minutes of a meeting (about 20 pages).
MINUTES_TEXT = 50_000


class LimitedTextField(models.TextField):
    """A ``TextField`` whose ``max_length`` is enforced by forms, model validation and the database."""

    def __init__(self, *args, max_length, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)
        self.validators.append(validators.MaxLengthValidator(self.max_length))

    def db_check(self, connection):
        # format_map, not **: the parameters quote the column name on access of its "qn_" key.
        return "LENGTH({qn_column}) <= {max_length}".format_map(self.db_type_parameters(connection))
