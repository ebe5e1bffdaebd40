"""The model-agnostic half of anonymisation: a person's identity replaced in every text column of every table.

Knows no model: it walks every installed model's text columns (an app's, a library's), so a
table added later is reached without anyone remembering it. The apps' own rows are handled
by their privacy contributors (``<app>/privacy.py``), see :mod:`alliances.privacy`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps as django_apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Model, Q
from django.db.models.functions import Cast

# (needle for the database, regex, replacement)
Pattern = tuple[str, re.Pattern[str], str]


class Identity:
    """The ways a person's identity is written in other rows, and what replaces each.

    ``strong`` patterns (the address, the full name in either order, with or
    without its accents, the phone number) are replaced wherever they appear, in
    every text column of every table: they name this person and nobody else.
    ``weak`` ones (the first name, the last name alone) are replaced only in rows
    about the person (their binôme's name, the admin log of their objects):
    elsewhere « Martin » may be a colleague or a town, and replacing it would
    damage somebody else's data.

    Names are matched as whole words and addresses as whole addresses, ignoring
    case: ``ann@example.org`` is not replaced inside ``joann@example.org``, nor
    « Pierre Martin » inside « Jean-Pierre Martin ». Text
    that holds JSON written with ``ensure_ascii`` (the admin log's change messages)
    writes « é » as ``\\u00e9``: each pattern is also matched in that form.
    """

    def __init__(
        self, *, email: str, first_name: str, last_name: str, phone: str, anonymous_address: str, anonymous_name: str
    ) -> None:
        first_name, last_name = first_name.strip(), last_name.strip()
        names: set[str] = set()
        if first_name and last_name:
            for first, last in {(first_name, last_name), (_unaccented(first_name), _unaccented(last_name))}:
                names |= {f"{first} {last}", f"{last} {first}"}
        self.strong: list[Pattern] = []
        self.weak: list[Pattern] = []
        if email.strip():
            self._add(self.strong, email.strip(), anonymous_address, address=True)
        for name in sorted(names):
            self._add(self.strong, name, anonymous_name)
        if sum(c.isdigit() for c in phone) >= 6:
            self._add(self.strong, phone.strip(), "")
        for name in sorted({first_name, last_name, _unaccented(first_name), _unaccented(last_name)} - {""}):
            self._add(self.weak, name, anonymous_name)

    @staticmethod
    def _add(patterns: list[Pattern], value: str, replacement: str, *, address: bool = False) -> None:
        needle = _database_needle(value)
        for escaped in (False, True):
            body = "".join(_char_pattern(char, escaped=escaped) for char in " ".join(value.split()))
            regex = rf"(?<![\w.+-]){body}(?!\.?[\w-])" if address else rf"(?<![\w@-]){body}(?![\w@-])"
            substitute = json.dumps(replacement)[1:-1] if escaped else replacement
            patterns.append((needle, re.compile(regex, re.IGNORECASE), substitute))

    def scrub(self, value: Any, *, weak: bool = False) -> Any:
        """``value`` with every pattern replaced (strings inside lists and dicts too, for JSON)."""
        if isinstance(value, str):
            for _needle, regex, replacement in self.strong + (self.weak if weak else []):
                value = regex.sub(_literal(replacement), value)
            return value
        if isinstance(value, list):
            return [self.scrub(item, weak=weak) for item in value]
        if isinstance(value, dict):
            return {key: self.scrub(item, weak=weak) for key, item in value.items()}
        return value


def _literal(replacement: str) -> Callable[[re.Match[str]], str]:
    """The replacement as it is: ``re.sub`` would read the backslashes of a string as escapes."""
    return lambda _match: replacement


def _unaccented(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _char_pattern(char: str, *, escaped: bool) -> str:
    """One character of a pattern: any run of spaces for a space; in JSON's ``\\uXXXX`` form, either case."""
    if char == " ":
        return r"\s+"
    if not escaped or char.isascii():
        return re.escape(char)
    forms = {json.dumps(form)[1:-1] for form in (char, char.lower(), char.upper()) if len(form) == 1}
    return "(?:" + "|".join(re.escape(form) for form in sorted(forms)) + ")"


def _database_needle(value: str) -> str:
    """What the narrowing query looks for: SQLite compares only ASCII letters without case, so the
    longest ASCII stretch of the value (« bulonne Camille » for « Zébulonne Camille »), found in both
    the text and its JSON-escaped form; the exact match is then made in Python."""
    stretches = [part.strip() for part in re.split(r"[^\x00-\x7f]+", value)]
    longest = max(stretches, key=len)
    return longest if len(longest) >= 3 else value


def _text_fields(model: type[Model]) -> list[models.Field[Any, Any]]:
    """The columns of ``model`` that may hold a name or an address."""
    fields: list[models.Field[Any, Any]] = []
    for field in model._meta.concrete_fields:
        if field.is_relation or field.primary_key:
            continue
        if isinstance(field, models.CharField | models.TextField | models.JSONField):
            fields.append(field)
    return fields


# Columns never scrubbed: a password hash cannot hold a name, and the session store is
# signed (the person's sessions are deleted instead, see alliances.privacy).
_SKIPPED_COLUMNS = {("alliances.User", "password"), ("sessions.Session", "session_data")}


def scrub_everywhere(identity: Identity) -> dict[str, int]:
    """Replace the person's strong identifiers in every text column of every model of every app.

    One narrowing query per model (``icontains`` on each column and pattern), then
    the exact replacement in Python, written with ``update()``: no signal, no
    history row recording the name once more. Generic on purpose: a table added
    later (an app's, a library's) is reached without anyone remembering it.
    Returns the number of rows changed per model label.
    """
    changed: dict[str, int] = {}
    for model in django_apps.get_models():
        fields = [f for f in _text_fields(model) if (model._meta.label, f.name) not in _SKIPPED_COLUMNS]
        if not fields or model._meta.proxy or not model._meta.managed:
            continue
        lookup = Q()
        annotations: dict[str, Cast] = {}
        for field in fields:
            column = field.attname
            if isinstance(field, models.JSONField):
                column = f"_scrub_{field.attname}"
                annotations[column] = Cast(field.attname, models.TextField())
            for needle in sorted({needle for needle, _regex, _replacement in identity.strong}):
                lookup |= Q(**{f"{column}__icontains": needle})
        rows = model._base_manager.annotate(**annotations).filter(lookup).only("pk", *(f.attname for f in fields))
        for row in rows:
            updates: dict[str, Any] = {}
            for field in fields:
                value = getattr(row, field.attname)
                scrubbed = identity.scrub(value)
                if isinstance(scrubbed, str) and field.max_length:
                    scrubbed = scrubbed[: field.max_length]
                if scrubbed != value:
                    updates[field.attname] = scrubbed
            if updates:
                _update_row(model, row.pk, updates)
                changed[model._meta.label] = changed.get(model._meta.label, 0) + 1
    return changed


def _update_row(model: type[Model], pk: Any, updates: dict[str, Any]) -> None:
    """Write one scrubbed row; a label that now collides with another's unique value gets the row's id."""
    try:
        with transaction.atomic():
            model._base_manager.filter(pk=pk).update(**updates)
    except IntegrityError:
        model._base_manager.filter(pk=pk).update(
            **{name: f"{value} ({pk})" if isinstance(value, str) else value for name, value in updates.items()}
        )


def relabel_admin_log(identity: Identity, objects: Iterable[models.Model]) -> None:
    """The admin log of the person's own objects: their current (anonymised) label, and no name in the message."""
    for obj in objects:
        entries = LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(type(obj)), object_id=str(obj.pk)
        )
        label = str(obj)[:200]
        for entry in entries.only("pk", "change_message"):
            LogEntry.objects.filter(pk=entry.pk).update(
                object_repr=label, change_message=identity.scrub(entry.change_message, weak=True)
            )
