"""Session reminders and announcement emails, sent through the core's notifications.

Found by :func:`alliances.notifications.sources` (autodiscovery of ``reminders``
modules); the mechanism — recording, claiming, batches, retries — lives there.

Session reminders « J-n » (``Programme.session_reminder_offsets``, 7 and 1 by
default) go at 8:00 on the n-th day before the session, to the edition's
participants (networks in « accord », active accounts) who keep
« rappels des sessions » on:

* RSVP pending (« invité », or no registration yet): a message asking them to
  answer, with links to the session's page where they confirm or decline;
* confirmed: the practical reminder (date, place, link);
* declined: nothing.

Both carry the session's ``.ics`` (with its alarm the day before, see
``sessions/calendar.py``). The RSVP is read again at send time, so a
participant who answers between the job's runs gets the right message, and
one who declines in the meantime gets none.

Announcements published by coordinators are emailed once to the edition's
participants who keep « actualités de la communauté » on: the job picks up those
published in the last :data:`ANNOUNCEMENT_WINDOW`; the admin action « Envoyer
par e-mail maintenant » sends an older one on demand (still once per person).
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Max, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from alliances import notifications
from alliances.models import Notification, Programme
from networks.models import Participant
from sessions.calendar import build_calendar
from sessions.models import Announcement, Registration, Session
from sessions.selectors import expected_participants

SESSION_REMINDER = "session_reminder"
ANNOUNCEMENT = "announcement"
#: The job emails announcements published this recently (older ones only through the admin action).
ANNOUNCEMENT_WINDOW = dt.timedelta(days=3)
#: Reminders are looked for this far ahead (offsets are at most 365 days).
HORIZON = dt.timedelta(days=367)
ICS_MIMETYPE = "text/calendar"


def edition_participants(programme_id: int) -> QuerySet[Participant]:
    """Participants of an edition's pilot networks with an active account: who the emails are for.

    The people each session expects (:func:`sessions.selectors.expected_participants`), so the
    reminders, the cockpit's « sans réponse » and the relances count the same people.
    """
    return expected_participants(programme_id)


def _offsets(programme: Programme) -> list[int]:
    try:
        return programme.session_reminder_offsets
    except Exception:  # an invalid value stored outside the form: no reminders rather than a crash
        return []


def _session_day(session: Session) -> dt.date | None:
    return timezone.localdate(session.starts_at) if session.starts_at else None


@notifications.register
class SessionReminders(notifications.Source):
    kind = SESSION_REMINDER
    preference = "notify_session_reminders"

    def find_due(self, *, now: dt.datetime) -> Iterator[Notification]:
        sessions = Session.objects.filter(starts_at__gt=now, starts_at__lte=now + HORIZON).select_related("programme")
        for session in sessions:
            day = _session_day(session)
            days = notifications.current_offset(day, _offsets(session.programme), now=now, deadline=session.starts_at)
            if days is None:
                continue
            declined = Registration.objects.filter(session=session, rsvp=Registration.Rsvp.DECLINED).values(
                "participant_id"
            )
            recipients = (
                edition_participants(session.programme_id)
                .filter(user__notify_session_reminders=True)
                .exclude(pk__in=declined)
                .values_list("user_id", flat=True)
                .distinct()
            )
            due_at = notifications.reminder_due_at(cast(dt.date, day), days)  # an offset is due: the day is set
            for user_id in recipients:
                yield notifications.due(
                    session,
                    kind=f"{self.kind}:{days}",
                    recipient_id=user_id,
                    programme_id=session.programme_id,
                    due_at=due_at,
                )

    def build(self, items: list[Notification], *, now: dt.datetime) -> dict[int, notifications.Outcome]:
        groups = notifications.group_by_object(items)
        sessions = Session.objects.select_related("programme").in_bulk({object_id for _kind, object_id in groups})
        messages: dict[int, notifications.Outcome] = {}
        for (kind, session_id), group in groups.items():
            session = sessions.get(session_id)
            if session is None:
                continue  # deleted: cancelled
            outcome = notifications.reminder_outcome(
                kind, _session_day(session), _offsets(session.programme), now=now, deadline=session.starts_at
            )
            if outcome is not True:
                messages.update({n.pk: outcome for n in group})
                continue
            messages.update(self._emails(session, group))
        return messages

    def _emails(self, session: Session, group: list[Notification]) -> dict[int, notifications.Outcome]:
        user_ids = [n.recipient_id for n in group]
        members = set(
            edition_participants(session.programme_id).filter(user_id__in=user_ids).values_list("user_id", flat=True)
        )
        rsvps = dict(
            Registration.objects.filter(session=session, participant__user_id__in=user_ids).values_list(
                "participant__user_id", "rsvp"
            )
        )
        detail_url = notifications.absolute_url("sessions:detail", session.pk)
        ics = build_calendar([session], name=str(session), detail_url=lambda _session: detail_url)
        attachment = (f"{session.programme.slug}-{slugify(session.code) or session.pk}.ics", ics, ICS_MIMETYPE)
        context = {
            "session": session,
            "detail_url": detail_url,
            "confirm_url": f"{detail_url}?reponse=confirmed#ma-reponse",
            "decline_url": f"{detail_url}?reponse=declined#ma-reponse",
            "ics_url": notifications.absolute_url("sessions:ics", session.pk),
        }
        renderers = {
            template: notifications.EmailRenderer(
                template, context, programme=session.programme, attachments=[attachment]
            )
            for template in ("session_reminder", "session_rsvp_request")
        }
        messages: dict[int, notifications.Outcome] = {}
        for notification in group:
            user = notification.recipient
            rsvp = rsvps.get(user.pk, Registration.Rsvp.INVITED)
            wanted = user.is_active and user.notify_session_reminders and user.pk in members
            if not wanted or rsvp == Registration.Rsvp.DECLINED:
                messages[notification.pk] = notifications.CANCEL
            else:
                template = "session_reminder" if rsvp == Registration.Rsvp.CONFIRMED else "session_rsvp_request"
                messages[notification.pk] = renderers[template].email(notification)
        return messages


def _announcement_recipients(announcement: Announcement) -> "QuerySet[Participant, int]":
    return (
        edition_participants(announcement.programme_id)
        .filter(user__notify_announcements=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def _announcement_notifications(announcement: Announcement) -> list[Notification]:
    return [
        notifications.due(
            announcement,
            kind=ANNOUNCEMENT,
            recipient_id=user_id,
            programme_id=announcement.programme_id,
            due_at=announcement.published_at,
        )
        for user_id in _announcement_recipients(announcement)
    ]


@notifications.register
class AnnouncementEmails(notifications.Source):
    kind = ANNOUNCEMENT
    preference = "notify_announcements"

    def find_due(self, *, now: dt.datetime) -> Iterator[Notification]:
        recent = Announcement.objects.filter(published_at__lte=now, published_at__gt=now - ANNOUNCEMENT_WINDOW)
        for announcement in recent:
            yield from _announcement_notifications(announcement)

    def build(self, items: list[Notification], *, now: dt.datetime) -> dict[int, notifications.Outcome]:
        groups = notifications.group_by_object(items)
        announcements = Announcement.objects.select_related("programme", "author").in_bulk(
            {object_id for _kind, object_id in groups}
        )
        list_url = notifications.absolute_url("community:announcements", fallback="/portail/")
        messages: dict[int, notifications.Outcome] = {}
        for (_kind, announcement_id), group in groups.items():
            announcement = announcements.get(announcement_id)
            if announcement is None:
                continue
            if announcement.published_at > now:
                messages.update({n.pk: notifications.Defer(announcement.published_at) for n in group})
                continue
            members = set(
                edition_participants(announcement.programme_id)
                .filter(user_id__in=[n.recipient_id for n in group])
                .values_list("user_id", flat=True)
            )
            renderer = notifications.EmailRenderer(
                "announcement",
                {"announcement": announcement, "announcements_url": list_url},
                programme=announcement.programme,
            )
            for notification in group:
                user = notification.recipient
                if user.is_active and user.notify_announcements and user.pk in members:
                    messages[notification.pk] = renderer.email(notification)
        return messages


def announcement_queue(*, announcement: Announcement) -> list[int]:
    """Record the announcement's email for each participant who has not had it; returns the ids to send.

    For the admin action « Envoyer par e-mail maintenant »: works whatever the
    announcement's age, and never emails a person twice (the unique record).
    Not before its publication date: the job sends it then.
    """
    now = timezone.now()
    if announcement.published_at <= now:
        notifications.create_due(now=now, candidates=_announcement_notifications(announcement))
    return list(
        Notification.objects.filter(
            kind=ANNOUNCEMENT,
            content_type=ContentType.objects.get_for_model(Announcement),
            object_id=announcement.pk,
            status=Notification.Status.PENDING,
            due_at__lte=now,
        ).values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class AnnouncementEmailStatus:
    """Where an announcement's e-mail stands, read from its notification rows (one per person)."""

    sent: int
    waiting: int  # recorded, not sent yet (pending or being sent)
    failed: int
    last_sent_at: dt.datetime | None
    to_send: int  # people it would reach now who have no row yet
    published: bool
    in_window: bool  # published recently enough for the periodic job to send it

    @property
    def recorded(self) -> int:
        return self.sent + self.waiting + self.failed


def announcement_email_status(announcement: Announcement, *, now: dt.datetime | None = None) -> AnnouncementEmailStatus:
    """Two queries: the rows by status, and the recipients without a row."""
    now = now or timezone.now()
    by_status = {
        row["status"]: row
        for row in Notification.objects.filter(
            kind=ANNOUNCEMENT,
            content_type=ContentType.objects.get_for_model(Announcement),
            object_id=announcement.pk,
        )
        .values("status")
        .annotate(count=Count("pk"), last_sent_at=Max("sent_at"))
    }

    def count(*statuses: str) -> int:
        return sum(by_status[status]["count"] for status in statuses if status in by_status)

    recorded = Notification.objects.filter(
        kind=ANNOUNCEMENT, content_type=ContentType.objects.get_for_model(Announcement), object_id=announcement.pk
    ).values("recipient_id")
    to_send = _announcement_recipients(announcement).exclude(user_id__in=recorded).count() if announcement.pk else 0
    Status = Notification.Status
    published = announcement.published_at <= now
    return AnnouncementEmailStatus(
        sent=count(Status.SENT),
        waiting=count(Status.PENDING, Status.SENDING),
        failed=count(Status.FAILED),
        last_sent_at=by_status.get(Status.SENT, {}).get("last_sent_at"),
        to_send=to_send,
        published=published,
        in_window=published and announcement.published_at > now - ANNOUNCEMENT_WINDOW,
    )
