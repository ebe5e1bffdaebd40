"""Personal data under the person's control (RGPD): privacy page, export, deletion request, anonymisation.

Part of the core's top layer: a person's data lives in every app.

* ``user_data_export(user)`` gathers what the platform holds about one person, their
  own rows only, as JSON-ready data (« télécharger mes données »);
* ``deletion_request_record(user)`` records a deletion request and tells the
  coordinators of the person's editions, who then anonymise the person;
* ``user_anonymise(user=…, by=…)`` closes the account, blanks the personal fields,
  deletes the person's sessions and login records, and replaces their address, name
  and phone in every text column of every table (admin log, history, email log,
  other people's notes), while keeping the rows that feed the edition's aggregates
  (participations, votes, answer values).
"""

import json

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session as LoginSession
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliances.admin_notifications import kind_label
from alliances.login_records import login_records_delete, login_records_of
from alliances.models import Notification, Programme, Report
from alliances.privacy_scrub import Identity, relabel_admin_log, scrub_everywhere
from evaluation.models import Answer, Response
from governance.models import CommitteeMember, Decision, MeetingAttendance
from networks.models import Binome, Participant, RoadmapAction
from sessions.models import (
    Announcement,
    CalendarFeed,
    FieldVisit,
    FollowUp,
    Registration,
    TopicProposal,
    TopicVote,
)

ANONYMOUS_DOMAIN = "anonymise.invalid"


def anonymous_email(user):
    return f"anonyme-{user.pk}@{ANONYMOUS_DOMAIN}"


def is_anonymised(user):
    return user.email == anonymous_email(user)


# --- Export ----------------------------------------------------------------------------------
#
# Values read as the person sees them in the platform: a choice is its label in the
# active language, with its stored code beside it (``"rsvp": "confirmé", "rsvp_code":
# "confirmed"``); times are local (Europe/Paris, ISO 8601 with the offset), dates ISO.
# The keys are those of the first version of the export; new sections are added after.


def _local(moment):
    return timezone.localtime(moment).isoformat() if moment else None


def _day(date):
    return date.isoformat() if date else None


def _choice(instance, field_name, key=None):
    """``{key: label, key_code: code}`` for a field with choices (label in the active language)."""
    key = key or field_name
    code = getattr(instance, field_name)
    label = getattr(instance, f"get_{field_name}_display")() if code not in (None, "") else None
    return {key: str(label) if label is not None else code, f"{key}_code": code}


def user_data_export(user):
    """Everything the platform holds about ``user`` (and nobody else), JSON-ready."""
    participations = Participant.objects.filter(user=user).select_related(
        "enrolment__network", "enrolment__programme", "binome__enrolment__network"
    )
    registrations = Registration.objects.filter(participant__user=user).select_related("session__programme")
    votes = TopicVote.objects.filter(participant__user=user).select_related("proposal__session")
    proposals = TopicProposal.objects.filter(proposed_by__user=user).select_related("session")
    responses = (
        Response.objects.filter(participant__user=user)
        .select_related("questionnaire__programme")
        .prefetch_related("answers__question")
    )
    seats = CommitteeMember.objects.filter(user=user).select_related("committee__programme", "organisation")
    attendances = MeetingAttendance.objects.filter(member__user=user).select_related(
        "meeting__committee__programme", "member__organisation"
    )
    actions = RoadmapAction.objects.filter(owner__user=user).select_related(
        "roadmap__enrolment__network", "roadmap__enrolment__programme"
    )
    notifications = Notification.objects.filter(recipient=user).select_related("programme")
    feed = CalendarFeed.objects.filter(user=user).first()
    return {
        "exported_at": _local(timezone.now()),
        "account": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": user.phone,
            "date_joined": _local(user.date_joined),
            "last_login": _local(user.last_login),
            "invited_at": _local(user.invited_at),
            "invitation_accepted_at": _local(user.invitation_accepted_at),
            "deletion_requested_at": _local(user.deletion_requested_at),
            "notify_session_reminders": user.notify_session_reminders,
            "notify_meeting_reminders": user.notify_meeting_reminders,
            "notify_questionnaires": user.notify_questionnaires,
            "notify_announcements": user.notify_announcements,
        },
        "participations": [
            {
                "edition": p.enrolment.programme.name,
                "network": p.enrolment.network.name,
                "job_title": p.job_title,
                "binome": str(p.binome) if p.binome_id else None,
                "listed_in_directory": p.listed_in_directory,
                "joined_at": _local(p.joined_at),
            }
            for p in participations
        ],
        "registrations": [
            {
                "edition": r.session.programme.name,
                "session": str(r.session),
                "starts_at": _local(r.session.starts_at),
                **_choice(r, "rsvp"),
                "rsvp_comment": r.rsvp_comment,
                "responded_at": _local(r.responded_at),
                **_choice(r, "attendance"),
            }
            for r in registrations
        ],
        "topic_proposals": [
            {
                "session": str(p.session),
                "title": p.title,
                "description": p.description,
                "created_at": _local(p.created_at),
            }
            for p in proposals
        ],
        "votes": [
            {"session": str(v.proposal.session), "proposal": v.proposal.title, "voted_at": _local(v.voted_at)}
            for v in votes
        ],
        "responses": [
            {
                "edition": r.questionnaire.programme.name,
                "questionnaire": r.questionnaire.title,
                **_choice(r.questionnaire, "kind", "questionnaire_kind"),
                "submitted_at": _local(r.submitted_at),
                "updated_at": _local(r.updated_at),
                "answers": [
                    {"question": a.question.text, "value": a.value, "text": a.text, "selected": a.selected}
                    for a in r.answers.all()
                ],
            }
            for r in responses
        ],
        "committee_seats": [
            {
                "edition": s.committee.programme.name,
                "committee": s.committee.name,
                **_choice(s.committee, "kind", "committee_kind"),
                "organisation": s.organisation.name if s.organisation_id else None,
                "person_name": s.person_name,
                "role": s.role,
            }
            for s in seats
        ],
        "notifications": [
            {
                "kind": kind_label(n.kind),
                "kind_code": n.kind,
                "edition": n.programme.name if n.programme_id else None,
                **_choice(n, "status"),
                "created_at": _local(n.created_at),
                "sent_at": _local(n.sent_at),
            }
            for n in notifications
        ],
        "calendar_feed": {"created_at": _local(feed.created_at), "regenerated_at": _local(feed.regenerated_at)}
        if feed
        else None,
        "meeting_attendance": [
            {
                "edition": a.meeting.committee.programme.name,
                "committee": a.meeting.committee.name,
                "meeting": a.meeting.title,
                "held_on": _day(a.meeting.held_on),
                "seat": str(a.member),
                **_choice(a, "status"),
            }
            for a in attendances
        ],
        "roadmap_actions": [
            {
                "edition": a.roadmap.enrolment.programme.name,
                "network": a.roadmap.enrolment.network.name,
                "roadmap": str(a.roadmap),
                "title": a.title,
                "description": a.description,
                "due_on": _day(a.due_on),
                **_choice(a, "status"),
                "done_on": _day(a.done_on),
            }
            for a in actions
        ],
        "login_records": _login_records_export(user),
        "changes": _changes_export(user),
        "authored": _authored_export(user),
    }


LOGIN_RECORD_LABELS = {
    "login": gettext_lazy("connexion"),
    "failed_attempt": gettext_lazy("tentatives échouées"),
    "failure": gettext_lazy("échec de connexion"),
}


def _login_records_export(user):
    """The login records (django-axes) of the person's address, oldest first, kept LOGIN_RECORDS_RETENTION_DAYS."""
    records = []
    for kind, rows in login_records_of(user.email).items():
        for row in rows:
            record = {
                "kind": str(LOGIN_RECORD_LABELS[kind]),
                "kind_code": kind,
                "at": _local(row.attempt_time),
                "ip_address": row.ip_address,
                "user_agent": row.user_agent,
                "path": row.path_info,
            }
            if kind == "login":
                record["logout_at"] = _local(row.logout_time)
            elif kind == "failed_attempt":
                record["failures"] = row.failures_since_start
            records.append(record)
    return sorted(records, key=lambda record: record["at"])


def _changes_export(user):
    """The changes the person made to recorded objects (django-simple-history), oldest first.

    Which object (its type and id), when, and which fields changed — not the values:
    a change made by a coordinator is to somebody else's data, which stays theirs.
    """
    changes = []
    for model in django_apps.get_models():
        manager_name = getattr(model._meta, "simple_history_manager_attribute", None)
        if manager_name is None:
            continue
        for record in getattr(model, manager_name).filter(history_user=user).order_by("history_date", "pk"):
            fields = []
            previous = record.prev_record if record.history_type == "~" else None
            if previous is not None:
                fields = sorted(
                    str(model._meta.get_field(change.field).verbose_name)
                    for change in record.diff_against(previous).changes
                )
            changes.append(
                {
                    "object_type": str(model._meta.verbose_name),
                    "object_type_code": model._meta.label_lower,
                    "object_id": getattr(record, model._meta.pk.attname),
                    **_choice(record, "history_type", "change"),
                    "at": _local(record.history_date),
                    "reason": record.history_change_reason or "",
                    "fields": fields,
                }
            )
    return sorted(changes, key=lambda change: change["at"])


def _authored_export(user):
    """What the person wrote as a coordinator: follow-ups, field visits, announcements."""
    follow_ups = FollowUp.objects.filter(coordinator=user).select_related("enrolment__network", "enrolment__programme")
    visits = FieldVisit.objects.filter(coordinator=user).select_related("enrolment__network", "enrolment__programme")
    announcements = Announcement.objects.filter(author=user).select_related("programme")
    return {
        "follow_ups": [
            {
                "edition": f.enrolment.programme.name,
                "network": f.enrolment.network.name,
                "held_on": _day(f.held_on),
                **_choice(f, "kind"),
                "private_notes": f.private_notes,
                "shared_summary": f.shared_summary,
            }
            for f in follow_ups.order_by("held_on", "pk")
        ],
        "field_visits": [
            {
                "edition": v.enrolment.programme.name,
                "network": v.enrolment.network.name,
                "visited_on": _day(v.visited_on),
                "place": v.place,
                "private_notes": v.private_notes,
                "shared_summary": v.shared_summary,
            }
            for v in visits.order_by("visited_on", "pk")
        ],
        "announcements": [
            {
                "edition": a.programme.name,
                "title": a.title,
                "body": a.body,
                "published_at": _local(a.published_at),
            }
            for a in announcements.order_by("published_at", "pk")
        ],
    }


# --- Deletion request ------------------------------------------------------------------------


def editions_of(user):
    """The editions the person takes part in, as a participant or a committee member."""
    return Programme.objects.filter(
        Q(enrolments__participants__user=user) | Q(committees__members__user=user)
    ).distinct()


def deletion_request_record(user, *, request=None):
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


def _end_login_sessions(user):
    """Delete every session row of the person, expired ones included: each holds their user id.

    The session store is signed, not searchable: each row is decoded. Expired rows
    wait for the nightly ``clearsessions`` otherwise, and still name the account.
    """
    ended = []
    for session in LoginSession.objects.iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            ended.append(session.session_key)
    LoginSession.objects.filter(session_key__in=ended).delete()


@transaction.atomic
def user_anonymise(*, user, by):
    """Close ``user``'s account and remove their personal data from every table, keeping the aggregates.

    ``by`` is the coordinator or superuser doing it (recorded in the admin log).
    Kept: the participations, RSVPs, attendances, votes and answer values that the
    edition's figures count, linked to the closed account. Removed: the account's
    fields, their free text, their committee seat's name, their login records
    (django-axes), their sessions, their attendance certificates, and every
    mention of their address or name in any other row: labels in the admin log,
    the change history, the email log, other people's notes.
    """
    full_name = user.get_full_name().strip()
    old_email = user.email
    identity = Identity(
        email=old_email,
        first_name=user.first_name,
        last_name=user.last_name,
        phone=user.phone,
        anonymous_address=anonymous_email(user),
        anonymous_name=_("Personne anonymisée"),
    )
    participant_ids = list(Participant.objects.filter(user=user).values_list("pk", flat=True))
    response_ids = list(Response.objects.filter(participant_id__in=participant_ids).values_list("pk", flat=True))
    answer_ids = list(Answer.objects.filter(response_id__in=response_ids).values_list("pk", flat=True))
    registration_ids = list(
        Registration.objects.filter(participant_id__in=participant_ids).values_list("pk", flat=True)
    )

    # The account: closed, no way to log in, no personal field left.
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
    CalendarFeed.objects.filter(user=user).delete()
    # Who logged in from where, with which browser: no aggregate needs it.
    login_records_delete(old_email)
    _delete_certificates(participant_ids)

    # Participations stay (they count in the edition's figures), without a job title, out of the directory.
    Participant.objects.filter(pk__in=participant_ids).update(job_title="", listed_in_directory=False)
    # Free text written by the person; RSVP values, votes and answer values stay for the aggregates.
    Registration.objects.filter(pk__in=registration_ids).update(rsvp_comment="")
    Answer.objects.filter(pk__in=answer_ids).update(text="")
    Notification.objects.filter(recipient=user).update(last_error="")
    # A binôme's name may be made of its members' first names.
    binomes = list(Binome.objects.filter(members__in=participant_ids).distinct())
    for binome in binomes:
        Binome.objects.filter(pk=binome.pk).update(name=identity.scrub(binome.name, weak=True))

    # Committee seats: unlinked from the account; a seat's person is this person, their name goes.
    seats = list(CommitteeMember.objects.filter(user=user))
    for seat in seats:
        seat.user = None
        seat.person_name = "" if seat.organisation_id else _("Membre anonymisé")
        seat.save(update_fields=["user", "person_name"])
    decision_ids = []
    if full_name:
        decisions = Decision.objects.filter(owner__iexact=full_name)
        decision_ids = list(decisions.values_list("pk", flat=True))
        decisions.update(owner="")

    # The change history of those rows, scrubbed of the same fields.
    Registration.history.filter(participant_id__in=participant_ids).update(rsvp_comment="")
    Answer.history.filter(response_id__in=response_ids).update(text="")
    if full_name:
        Decision.history.filter(Q(id__in=decision_ids) | Q(owner__iexact=full_name)).update(owner="")

    # Every other mention, in any table: then the admin log of the person's own objects, relabelled.
    scrub_everywhere(identity)
    relabel_admin_log(
        identity,
        [
            user,
            *Participant.objects.filter(pk__in=participant_ids).select_related("user"),
            *Binome.objects.filter(pk__in=[b.pk for b in binomes]).select_related("enrolment__network"),
            *CommitteeMember.objects.filter(pk__in=[s.pk for s in seats]).select_related("organisation"),
        ],
    )

    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=[user],
        action_flag=2,  # CHANGE
        change_message=json.dumps([{"changed": {"fields": ["anonymisation"]}}]),
        single_object=True,
    )
    return user


def _delete_certificates(participant_ids):
    """The person's attendance certificates (PDF documents about them alone): rows now, files once committed."""
    reports = list(Report.objects.filter(parameters__participant__in=participant_ids))
    files = [report.file.name for report in reports if report.file]
    Report.objects.filter(pk__in=[report.pk for report in reports]).delete()
    if files:
        storage = Report._meta.get_field("file").storage
        transaction.on_commit(lambda: [storage.delete(name) for name in files])
