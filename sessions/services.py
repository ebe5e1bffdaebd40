"""Writes of the sessions app that carry business rules (HackSoft style: keyword-only, full_clean, save)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliances import notifications
from alliances.models import User
from alliances.tasks import dispatch_to_workers
from networks.models import Participant
from sessions.models import Announcement, CalendarFeed, Registration, Session, new_calendar_token
from sessions.reminders import announcement_email_status, announcement_queue

RSVP_ANSWERS = (Registration.Rsvp.CONFIRMED, Registration.Rsvp.DECLINED)


def rsvp_is_open(session: Session, now: dt.datetime | None = None) -> bool:
    """A participant may answer (and change their answer) until the session starts."""
    now = now or timezone.now()
    return session.starts_at is None or now < session.starts_at


def registration_respond(*, participant: Participant, session: Session, rsvp: str, comment: str = "") -> Registration:
    """Record a participant's answer to a session invitation (confirm or decline, with an optional comment).

    A participant of the edition may answer even when no registration row exists
    yet: it is created. The row is locked while it is updated, and the unique
    (session, participant) constraint with get_or_create's retry leaves exactly
    one row however many clicks race.
    """
    if rsvp not in RSVP_ANSWERS:
        raise ValidationError(_("Réponse inconnue : choisissez « je participe » ou « je ne participe pas »."))
    if session.programme_id != participant.enrolment.programme_id:
        raise ValidationError(_("Cette session n'appartient pas à votre édition."))
    if not rsvp_is_open(session):
        raise ValidationError(_("Cette session a déjà commencé : il n'est plus possible de modifier votre réponse."))
    with transaction.atomic():
        registration, _created = Registration.objects.select_for_update().get_or_create(
            session=session, participant=participant
        )
        registration.rsvp = rsvp
        registration.rsvp_comment = (comment or "").strip()
        registration.responded_at = timezone.now()
        registration.full_clean()
        registration.save()
    return registration


def calendar_feed_get_or_create(*, user: User) -> CalendarFeed:
    """The person's calendar feed, created with a fresh secret token on first use."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


def calendar_feed_regenerate(*, user: User) -> CalendarFeed:
    """Replace the feed's token: the old URL stops working at once (404)."""
    with transaction.atomic():
        feed, created = CalendarFeed.objects.select_for_update().get_or_create(user=user)
        if not created:
            feed.token = new_calendar_token()
            feed.regenerated_at = timezone.now()
            feed.full_clean()
            feed.save()
    return feed


def announcement_publish_and_send(*, announcement: Announcement, now: dt.datetime | None = None) -> int:
    """« Publier et envoyer maintenant »: publish the announcement (now, if it was dated later) and
    record its e-mail for each person who has not had it, then hand them to the workers.

    Returns how many people were added: 0 when everyone already has their e-mail (sent, being
    sent or failed: « Renvoyer » in the e-mail log resends a failed one), so a second click sends
    nothing. The announcement row is locked while it is published, and the unique notification
    record holds « once per person » however many clicks race.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
        if locked.published_at > now:
            locked.published_at = now
            locked.save(update_fields=["published_at"])
        added = announcement_email_status(locked, now=now).to_send
        ids = announcement_queue(announcement=locked)
        # Still-pending rows are dispatched again too: harmless (each is claimed once), and it
        # recovers a batch whose task was lost.
        for chunk in notifications.chunked(ids, notifications.batch_size()):
            dispatch_to_workers(chunk)
    announcement.published_at = locked.published_at
    return added
