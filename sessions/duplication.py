"""The sessions' part of « dupliquer l'édition » (see alliances/duplication.py).

Copied, dates shifted:

- sessions: themes relinked to the copied themes, venue kept, video-conference link cleared (a
  link is made for one meeting); a collectively chosen topic is cleared and its vote reset, closed,
  ready to be opened again (a topic voted belongs to that cohort); a fixed topic is kept;
- each session's inspiring meeting with its speaker kind, organisation and description but
  **without the speaker's name** (a person);
- the **resource library**: every link and file, relinked to the copied session and theme. A file
  is shared with the source (its stored name is random and nothing deletes a resource's file), so
  no bytes are copied. A resource is not dated: it is seen by the participants of the new edition
  only, and it has none yet.

Left out: registrations and attendance, topic proposals and votes, follow-ups and field visits
(people and what they produced), announcements (news of one cohort: a copy would be new news, and
go out in the next digest), calendar feeds.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliances.duplication import DuplicationContext, DuplicationContribution, clean_copies, duplications
from alliances.models import Programme, Theme
from sessions.models import InspiringMeeting, Resource, Session


def _session_was_voted(session: Session) -> bool:
    return session.topic_vote_open or session.topic_vote_closed_at is not None


@duplications.register
class SessionsDuplication(DuplicationContribution):
    key = "sessions"
    order = 30
    copied_note = gettext_lazy(
        "Les sessions gardent leur lieu, mais pas leur lien de visioconférence ; un sujet de session choisi par "
        "vote est effacé et son vote remis à zéro ; les rencontres inspirantes gardent le type d'intervenant et "
        "l'organisation, sans le nom de l'intervenant. La bibliothèque de ressources est copiée, reliée aux "
        "sessions et thématiques copiées."
    )
    left_out = (
        gettext_lazy("inscriptions et présences"),
        gettext_lazy("propositions et votes"),
        gettext_lazy("suivis et visites terrain"),
        gettext_lazy("annonces"),
    )

    def summary(self, source: Programme) -> list[tuple[str, int]]:
        return [
            (_("sessions"), Session.objects.filter(programme=source).count()),
            (_("ressources"), Resource.objects.filter(programme=source).count()),
        ]

    def copy(self, context: DuplicationContext) -> None:
        sessions = self._copy_sessions(context)
        self._copy_inspiring_meetings(context, sessions)
        self._copy_resources(context)

    def _copy_sessions(self, context: DuplicationContext) -> list[Session]:
        """Copy the sessions and their themes; return the source sessions (their inspiring meetings selected)."""
        sessions = list(
            Session.objects.filter(programme=context.source)
            .select_related("inspiring_meeting")
            .prefetch_related("themes")
            .order_by("number")
        )
        copies = [
            Session(
                programme=context.programme,
                number=session.number,
                code=session.code,
                title=session.title,
                theory=session.theory,
                applied_work=session.applied_work,
                # A topic the participants voted belongs to that cohort: the new one votes again.
                topic="" if _session_was_voted(session) else session.topic,
                topic_vote_open=False,
                topic_vote_closed_at=None,
                starts_at=context.shift_datetime(session.starts_at),
                ends_at=context.shift_datetime(session.ends_at),
                venue=session.venue,
                online_url="",
            )
            for session in sessions
        ]
        clean_copies(copies, exclude=["programme"])
        mapping = context.record(Session, sessions, Session.objects.bulk_create(copies))

        themes = context.copied(Theme)
        links = [
            Session.themes.through(session_id=mapping[session.pk].pk, theme_id=themes[theme.pk].pk)
            for session in sessions
            for theme in session.themes.all()
            if theme.pk in themes
        ]
        Session.themes.through.objects.bulk_create(links)
        return sessions

    def _copy_inspiring_meetings(self, context: DuplicationContext, sessions: list[Session]) -> None:
        copied = context.copied(Session)
        meetings: list[InspiringMeeting] = []
        for session in sessions:
            try:
                inspiring = session.inspiring_meeting
            except InspiringMeeting.DoesNotExist:
                continue
            meetings.append(
                InspiringMeeting(
                    session=copied[session.pk],
                    speaker_kind=inspiring.speaker_kind,
                    speaker="",  # a named person: not carried over
                    organisation=inspiring.organisation,
                    description=inspiring.description,
                )
            )
        clean_copies(meetings, exclude=["session"])
        InspiringMeeting.objects.bulk_create(meetings)

    def _copy_resources(self, context: DuplicationContext) -> None:
        resources = list(Resource.objects.filter(programme=context.source).order_by("pk"))
        copies = [
            Resource(
                programme=context.programme,
                session=context.copy_of(Session, resource.session_id),
                theme=context.copy_of(Theme, resource.theme_id),
                title=resource.title,
                description=resource.description,
                url=resource.url,
                file=resource.file.name,  # the same stored file: see the module's docstring
            )
            for resource in resources
        ]
        clean_copies(copies, exclude=["programme", "session", "theme", "file"])
        context.record(Resource, resources, Resource.objects.bulk_create(copies))
