"""The sessions' part of a person's data (RGPD): registrations, topics and votes, calendar feed,
attendance certificates, and what a coordinator wrote (follow-ups, field visits, announcements)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet

from alliances.models import Report, User
from alliances.privacy import (
    Anonymisation,
    PrivacyContributor,
    export_choice,
    export_day,
    export_time,
    privacy_registry,
)
from networks.models import Participant
from sessions.models import (
    Announcement,
    CalendarFeed,
    FieldVisit,
    FollowUp,
    Registration,
    TopicProposal,
    TopicVote,
)


@privacy_registry.register
class SessionsPrivacy(PrivacyContributor):
    key = "sessions"
    order = 20
    models = (
        "programme_sessions.Registration",
        "programme_sessions.TopicProposal",
        "programme_sessions.TopicVote",
        "programme_sessions.CalendarFeed",
        "programme_sessions.FollowUp",
        "programme_sessions.FieldVisit",
        "programme_sessions.Announcement",
        "alliances.Report",  # the attendance certificates (sessions/documents.py), about one person
    )
    positions = {"registrations": 30, "topic_proposals": 40, "votes": 50, "calendar_feed": 90, "authored": 150}

    def export(self, user: User) -> dict[str, Any]:
        registrations = Registration.objects.filter(participant__user=user).select_related("session__programme")
        votes = TopicVote.objects.filter(participant__user=user).select_related("proposal__session")
        proposals = TopicProposal.objects.filter(proposed_by__user=user).select_related("session")
        feed = CalendarFeed.objects.filter(user=user).first()
        return {
            "registrations": [
                {
                    "edition": r.session.programme.name,
                    "session": str(r.session),
                    "starts_at": export_time(r.session.starts_at),
                    **export_choice(r, "rsvp"),
                    "rsvp_comment": r.rsvp_comment,
                    "responded_at": export_time(r.responded_at),
                    **export_choice(r, "attendance"),
                }
                for r in registrations
            ],
            "topic_proposals": [
                {
                    "session": str(p.session),
                    "title": p.title,
                    "description": p.description,
                    "created_at": export_time(p.created_at),
                }
                for p in proposals
            ],
            "votes": [
                {
                    "session": str(v.proposal.session),
                    "proposal": v.proposal.title,
                    "voted_at": export_time(v.voted_at),
                }
                for v in votes
            ],
            "calendar_feed": {
                "created_at": export_time(feed.created_at),
                "regenerated_at": export_time(feed.regenerated_at),
            }
            if feed
            else None,
            "authored": _authored_export(user),
        }

    def anonymise(self, anonymisation: Anonymisation) -> list[Model | QuerySet[Any]]:
        """The feed and the certificates go; RSVP values stay for the aggregates, without their free text."""
        user = anonymisation.user
        participant_ids = list(Participant.objects.filter(user=user).values_list("pk", flat=True))
        CalendarFeed.objects.filter(user=user).delete()
        _delete_certificates(participant_ids)
        Registration.objects.filter(participant_id__in=participant_ids).update(rsvp_comment="")
        # The change history of those rows, scrubbed of the same field.
        Registration.history.filter(participant_id__in=participant_ids).update(rsvp_comment="")
        return []


def _delete_certificates(participant_ids: list[int]) -> None:
    """The person's attendance certificates (PDF documents about them alone): rows now, files once committed."""
    reports = list(Report.objects.filter(parameters__participant__in=participant_ids))
    files = [report.file.name for report in reports if report.file]
    Report.objects.filter(pk__in=[report.pk for report in reports]).delete()
    if files:
        storage = Report._meta.get_field("file").storage

        def delete_files() -> None:
            for name in files:
                storage.delete(name)

        transaction.on_commit(delete_files)


def _authored_export(user: User) -> dict[str, list[dict[str, Any]]]:
    """What the person wrote as a coordinator: follow-ups, field visits, announcements."""
    follow_ups = FollowUp.objects.filter(coordinator=user).select_related("enrolment__network", "enrolment__programme")
    visits = FieldVisit.objects.filter(coordinator=user).select_related("enrolment__network", "enrolment__programme")
    announcements = Announcement.objects.filter(author=user).select_related("programme")
    return {
        "follow_ups": [
            {
                "edition": f.enrolment.programme.name,
                "network": f.enrolment.network.name,
                "held_on": export_day(f.held_on),
                **export_choice(f, "kind"),
                "private_notes": f.private_notes,
                "shared_summary": f.shared_summary,
            }
            for f in follow_ups.order_by("held_on", "pk")
        ],
        "field_visits": [
            {
                "edition": v.enrolment.programme.name,
                "network": v.enrolment.network.name,
                "visited_on": export_day(v.visited_on),
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
                "published_at": export_time(a.published_at),
            }
            for a in announcements.order_by("published_at", "pk")
        ],
    }
