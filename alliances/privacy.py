"""Personal data under the person's control (RGPD): export, deletion request, anonymisation.

An extension point (pretix's data shredders are the model): the core knows no app's models.
Each app exports and anonymises its OWN models in its ``<app>/privacy.py``, as a
:class:`PrivacyContributor` registered in :data:`privacy_registry`; the core's own models (the
account, its notifications, login records, admin log, change history, login sessions) are the
core's contributor, below. A system check (``alliances/privacy_checks.py``) refuses a model of a
project app that holds personal data and that no contributor covers.

* ``user_data_export(user)`` gathers what the platform holds about one person, their
  own rows only, as JSON-ready data (« télécharger mes données »): each contributor's sections;
* ``deletion_request_record(user)`` records a deletion request and tells the
  coordinators of the person's editions, who then anonymise the person;
* ``user_anonymise(user=…, by=…)`` lets each contributor close or blank its rows of the person,
  then replaces their address, name and phone in every text column of every table (admin log,
  history, email log, other people's notes: ``alliances/privacy_scrub.py``), while keeping the
  rows that feed the edition's aggregates (participations, votes, answer values).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import reduce
from typing import TYPE_CHECKING, Any

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session as LoginSession
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliances.admin_notifications import kind_label
from alliances.login_records import login_records_delete, login_records_of
from alliances.models import Notification, Programme, User
from alliances.privacy_scrub import Identity, relabel_admin_log, scrub_everywhere
from alliances.registry import Registry

if TYPE_CHECKING:
    import datetime as dt

    from django_stubs_ext import StrOrPromise

ANONYMOUS_DOMAIN = "anonymise.invalid"


def anonymous_email(user: User) -> str:
    return f"anonyme-{user.pk}@{ANONYMOUS_DOMAIN}"


def is_anonymised(user: User) -> bool:
    return user.email == anonymous_email(user)


# --- The extension point ---------------------------------------------------------------------


@dataclass
class Anonymisation:
    """What every contributor is given to anonymise one person."""

    user: User  # the account, already closed when the apps' contributors run (same pk)
    by: User  # the coordinator or superuser doing it
    identity: Identity  # the person's address, names and phone as written in other rows
    full_name: str  # as it was before the anonymisation (« Camille Zébulonne »), "" without one


class PrivacyContributor:
    """One app's part of a person's data: the models it covers, their export, their anonymisation.

    ``models`` are the labels (``"networks.Participant"``) of the models it exports or anonymises;
    ``person_models`` those that stand for a person as the user model does (a model linked to
    one holds personal data, see the system check); ``exempt`` maps a label to the reason its
    personal-looking fields are no one's personal data, or are kept on purpose. ``positions``
    place the contributor's export sections among everyone's (the export's keys keep the order
    of its first version; a new section takes a number after the others).
    """

    key: str = ""
    order: int = 100
    models: tuple[str, ...] = ()
    person_models: tuple[str, ...] = ()
    exempt: Mapping[str, str] = {}
    positions: Mapping[str, int] = {}

    def covers(self, model: type[Model]) -> bool:
        return model._meta.label_lower in {label.lower() for label in self.models}

    def export(self, user: User) -> dict[str, Any]:
        """This app's sections of the person's export (their own rows only, JSON-ready)."""
        return {}

    def anonymise(self, anonymisation: Anonymisation) -> list[Model | QuerySet[Any]]:
        """Close, blank or delete this app's rows of the person; keep the rows aggregates count.

        Returns the person's own objects (instances, or querysets read only after every text
        has been scrubbed) whose admin-log entries get their new label and lose the person's
        names (see :func:`alliances.privacy_scrub.relabel_admin_log`).
        """
        return []

    def editions(self, user: User) -> Q | None:
        """Which editions (``Programme`` rows) the person takes part in through this app's models."""
        return None


privacy_registry: Registry[PrivacyContributor] = Registry("privacy")


# --- Export ----------------------------------------------------------------------------------
#
# Values read as the person sees them in the platform: a choice is its label in the
# active language, with its stored code beside it (``"rsvp": "confirmé", "rsvp_code":
# "confirmed"``); times are local (Europe/Paris, ISO 8601 with the offset), dates ISO.

LATE = 10_000  # the position of a section its contributor did not place


def export_time(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def export_day(date: dt.date | None) -> str | None:
    return date.isoformat() if date else None


def export_choice(instance: Model, field_name: str, key: str | None = None) -> dict[str, Any]:
    """``{key: label, key_code: code}`` for a field with choices (label in the active language)."""
    key = key or field_name
    code = getattr(instance, field_name)
    label = getattr(instance, f"get_{field_name}_display")() if code not in (None, "") else None
    return {key: str(label) if label is not None else code, f"{key}_code": code}


def user_data_export(user: User) -> dict[str, Any]:
    """Everything the platform holds about ``user`` (and nobody else), JSON-ready: every contributor's sections."""
    sections: dict[str, Any] = {}
    positions: dict[str, int] = {}
    for contributor in privacy_registry.all():
        for key, value in contributor.export(user).items():
            if key in sections:
                raise ImproperlyConfigured(f"Two privacy contributors export a section named {key!r}.")
            sections[key] = value
            positions[key] = contributor.positions.get(key, LATE)
    return dict(sorted(sections.items(), key=lambda item: positions[item[0]]))


# --- Deletion request ------------------------------------------------------------------------


def editions_of(user: User) -> QuerySet[Programme]:
    """The editions the person takes part in (as a participant, a committee member…: each app says)."""
    conditions = [q for q in (contributor.editions(user) for contributor in privacy_registry.all()) if q is not None]
    if not conditions:
        return Programme.objects.none()
    return Programme.objects.filter(reduce(operator.or_, conditions)).distinct()


def deletion_request_record(user: User, *, request: HttpRequest | None = None) -> list[str]:
    """Record the request (once) and email the coordinators of the person's editions.

    Without an edition (or coordinators), the superusers are told instead.
    """
    if user.deletion_requested_at is None:
        user.deletion_requested_at = timezone.now()
        user.save(update_fields=["deletion_requested_at"])
    User = get_user_model()
    recipients = set(
        # Staff only: the admin link in the email is of no use to anyone else (nor are they coordinators).
        User.objects.filter(programmes_coordinated__in=editions_of(user), is_active=True, is_staff=True).values_list(
            "email", flat=True
        )
    )
    if not recipients:
        recipients = set(User.objects.filter(is_superuser=True, is_active=True).values_list("email", flat=True))
    admin_url = reverse("admin:alliances_user_changelist") + "?deletion_requested_at__isnull=False"
    if request is not None:
        admin_url = request.build_absolute_uri(admin_url)
    body = render_to_string("privacy/deletion_request_email.txt", {"person": user, "admin_url": admin_url})
    if recipients:
        send_mail(
            _("Demande de suppression de données personnelles"),
            body,
            settings.DEFAULT_FROM_EMAIL,
            sorted(recipients),
        )
    return sorted(recipients)


# --- Anonymisation ---------------------------------------------------------------------------


@transaction.atomic
def user_anonymise(*, user: User, by: User) -> User:
    """Close ``user``'s account and remove their personal data from every table, keeping the aggregates.

    ``by`` is the coordinator or superuser doing it (recorded in the admin log).
    Each contributor anonymises its rows (the core first: the account is closed before the
    apps' rows are read); then every mention of the person's address or name in any other row
    is replaced (labels in the admin log, the change history, the email log, other people's
    notes), and the admin log of the person's own objects is relabelled.
    """
    anonymisation = Anonymisation(
        user=user,
        by=by,
        identity=Identity(
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            phone=user.phone,
            anonymous_address=anonymous_email(user),
            anonymous_name=_("Personne anonymisée"),
        ),
        full_name=user.get_full_name().strip(),
    )
    own_objects = [contributor.anonymise(anonymisation) for contributor in privacy_registry.all()]

    # Every other mention, in any table: then the admin log of the person's own objects, relabelled.
    scrub_everywhere(anonymisation.identity)
    relabel_admin_log(
        anonymisation.identity, (obj for group in own_objects for source in group for obj in _each(source))
    )

    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=[user],
        action_flag=2,  # CHANGE
        change_message=json.dumps([{"changed": {"fields": ["anonymisation"]}}]),
        single_object=True,
    )
    return user


def _each(source: Model | QuerySet[Any]) -> Iterable[Model]:
    return [source] if isinstance(source, models.Model) else source


# --- The core's own contribution: the account and what the core records about it ---------------

LOGIN_RECORD_LABELS: dict[str, StrOrPromise] = {
    "login": gettext_lazy("connexion"),
    "failed_attempt": gettext_lazy("tentatives échouées"),
    "failure": gettext_lazy("échec de connexion"),
}


def _history_models() -> set[type[models.Model]]:
    """The change-history models of django-simple-history (one per recorded model)."""
    found: set[type[Model]] = set()
    for model in django_apps.get_models():
        manager_name = getattr(model._meta, "simple_history_manager_attribute", None)
        if manager_name is not None:
            found.add(getattr(model, manager_name).model)
    return found


@privacy_registry.register
class AccountPrivacy(PrivacyContributor):
    """The account, its notifications, login records and sessions, the change history, the admin log."""

    key = "account"
    order = 0
    models = ("alliances.User", "alliances.Notification", "alliances.Programme")
    exempt = {
        "alliances.Relance": "who sent a reminder: the coordinator's work record, kept; its text is scrubbed "
        "with every table's",
    }
    positions = {"exported_at": 0, "account": 10, "notifications": 80, "login_records": 130, "changes": 140}

    def covers(self, model: type[Model]) -> bool:
        # The change history of every recorded model: the person's changes are exported, its text scrubbed.
        return super().covers(model) or model in _history_models()

    def export(self, user: User) -> dict[str, Any]:
        notifications = Notification.objects.filter(recipient=user).select_related("programme")
        return {
            "exported_at": export_time(timezone.now()),
            "account": {
                "email": user.email,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "phone": user.phone,
                "date_joined": export_time(user.date_joined),
                "last_login": export_time(user.last_login),
                "invited_at": export_time(user.invited_at),
                "invitation_accepted_at": export_time(user.invitation_accepted_at),
                "deletion_requested_at": export_time(user.deletion_requested_at),
                "notify_session_reminders": user.notify_session_reminders,
                "notify_meeting_reminders": user.notify_meeting_reminders,
                "notify_questionnaires": user.notify_questionnaires,
                "notify_announcements": user.notify_announcements,
            },
            "notifications": [
                {
                    "kind": kind_label(n.kind),
                    "kind_code": n.kind,
                    "edition": n.programme.name if n.programme is not None else None,
                    **export_choice(n, "status"),
                    "created_at": export_time(n.created_at),
                    "sent_at": export_time(n.sent_at),
                }
                for n in notifications
            ],
            "login_records": _login_records_export(user),
            "changes": _changes_export(user),
        }

    def anonymise(self, anonymisation: Anonymisation) -> list[Model | QuerySet[Any]]:
        """The account: closed, no way to log in, no personal field left; its sessions and login records gone."""
        user = anonymisation.user
        old_email = user.email
        user.email = anonymous_email(user)
        user.first_name = ""
        user.last_name = ""
        user.phone = ""
        user.is_active = False
        user.is_staff = False
        user.is_superuser = False
        user.invited_at = None
        user.invitation_accepted_at = None
        user.notify_session_reminders = False
        user.notify_meeting_reminders = False
        user.notify_questionnaires = False
        user.notify_announcements = False
        if user.deletion_requested_at is None:
            user.deletion_requested_at = timezone.now()
        user.set_unusable_password()
        user.save()
        user.groups.clear()
        user.user_permissions.clear()
        user.programmes_coordinated.clear()
        _end_login_sessions(user)
        # Who logged in from where, with which browser: no aggregate needs it.
        login_records_delete(old_email)
        Notification.objects.filter(recipient=user).update(last_error="")
        return [user]


def _end_login_sessions(user: User) -> None:
    """Delete every session row of the person, expired ones included: each holds their user id.

    The session store is signed, not searchable: each row is decoded. Expired rows
    wait for the nightly ``clearsessions`` otherwise, and still name the account.
    """
    ended = []
    for session in LoginSession.objects.iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            ended.append(session.session_key)
    LoginSession.objects.filter(session_key__in=ended).delete()


def _login_records_export(user: User) -> list[dict[str, Any]]:
    """The login records (django-axes) of the person's address, oldest first, kept LOGIN_RECORDS_RETENTION_DAYS."""
    records: list[dict[str, Any]] = []
    for kind, rows in login_records_of(user.email).items():
        for row in rows:
            record = {
                "kind": str(LOGIN_RECORD_LABELS[kind]),
                "kind_code": kind,
                "at": export_time(row.attempt_time),
                "ip_address": row.ip_address,
                "user_agent": row.user_agent,
                "path": row.path_info,
            }
            if kind == "login":
                record["logout_at"] = export_time(row.logout_time)
            elif kind == "failed_attempt":
                record["failures"] = row.failures_since_start
            records.append(record)
    return sorted(records, key=lambda record: record["at"])


def _changes_export(user: User) -> list[dict[str, Any]]:
    """The changes the person made to recorded objects (django-simple-history), oldest first.

    Which object (its type and id), when, and which fields changed — not the values:
    a change made by a coordinator is to somebody else's data, which stays theirs.
    """
    changes: list[dict[str, Any]] = []
    for model in django_apps.get_models():
        manager_name = getattr(model._meta, "simple_history_manager_attribute", None)
        if manager_name is None:
            continue
        for record in getattr(model, manager_name).filter(history_user=user).order_by("history_date", "pk"):
            fields = []
            previous = record.prev_record if record.history_type == "~" else None
            if previous is not None:
                fields = sorted(_verbose_name(model, change.field) for change in record.diff_against(previous).changes)
            changes.append(
                {
                    "object_type": str(model._meta.verbose_name),
                    "object_type_code": model._meta.label_lower,
                    "object_id": getattr(record, model._meta.pk.attname),
                    **export_choice(record, "history_type", "change"),
                    "at": export_time(record.history_date),
                    "reason": record.history_change_reason or "",
                    "fields": fields,
                }
            )
    return sorted(changes, key=lambda change: change["at"])


def _verbose_name(model: type[Model], name: str) -> str:
    """A changed field's label (a history diff names concrete fields, which have one)."""
    field = model._meta.get_field(name)
    return str(field.verbose_name) if isinstance(field, models.Field) else name
