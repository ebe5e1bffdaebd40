"""The sessions' part of the 2018 pilot (DESIGN §5): S1–S4, their inspiring meetings, the resource kit.

Theory and applied work are the note's own words. Where the note leaves the applied work empty
(S2, S3, S4) it stays empty for the coordinators to fill. In the note's text the S4 heading was
lost: "Mettre en perspective" is S4, not S3's applied work.
"""

import datetime as dt

from django.utils import timezone

from alliances.loaders import PilotLoader, PilotRun, pilot_loaders
from alliances.pilot import themes_by_order, upsert
from sessions.models import InspiringMeeting, Resource, Session


def _at(day, hour, minute=0):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


# Session dates and venue are not in the note: they are plausible planning data over April –
# November 2018 (phase 2), which the coordinators edit in the admin. They are therefore written
# when a session is created and never overwritten by a re-run. So are the S3 vote's state and
# topic (the vote's workflow owns them) and the links to the themes.
SESSIONS = [
    {
        "number": 1,
        "code": "S1",
        "title": "Comprendre",
        "theory": (
            "État des lieux des partenariats en France\n"
            "- Les enjeux des alliances (panorama & enjeux des associations, fragilités des territoires, "
            "cohérence territoriale, place et complémentarités des acteurs, RSE & partenariats, "
            "innovations publiques)\n"
            "- Les modèles socio-économiques associatifs (typologie des MSE, place du levier des "
            "partenariats, évolution en 10 ans, spécificités par type de partenaires publics & privés)"
        ),
        "applied_work": "Bilan des actions de partenariat des participants et des freins rencontrés",
        "day": dt.date(2018, 4, 19),
        "themes": [1, 2],
        "inspiring": (
            InspiringMeeting.SpeakerKind.PRIVATE_PARTNER,
            "Un partenaire privé fait le récit d'une alliance stratégique qu'il a vécue.",
        ),
    },
    {
        "number": 2,
        "code": "S2",
        "title": "Mettre en œuvre",
        "theory": (
            "Comment mettre en place une dynamique d'alliances innovantes\n"
            "- Comment identifier les enjeux des partenariats\n"
            "- Comment se positionner et piloter les alliances innovantes\n"
            "- Comment évaluer les partenariats\n"
            "- Comment pérenniser l'ingénierie partenariale au sein d'un réseau associatif"
        ),
        "applied_work": "",
        "day": dt.date(2018, 6, 21),
        "themes": [3, 4, 5],
        "inspiring": (
            InspiringMeeting.SpeakerKind.ASSOCIATIVE_PEER,
            "Un pair associatif ayant développé une stratégie de partenariat innovante partage son expérience.",
        ),
    },
    {
        # The note plans no inspiring meeting for S3: its content depends on the topic voted.
        "number": 3,
        "code": "S3",
        "title": "Approfondir",
        "theory": (
            "Mise en perspective sur un sujet d'approfondissement choisi collectivement par les participants. "
            "Sujets envisagés :\n"
            "- Changement d'échelle de l'innovation sociétale\n"
            "- La co-construction territoriale\n"
            "- L'engagement des salariés\n"
            "- …"
        ),
        "applied_work": "",
        "day": dt.date(2018, 9, 27),
        "themes": [6],
        "inspiring": None,
    },
    {
        "number": 4,
        "code": "S4",
        "title": "Mettre en perspective",
        "theory": (
            "Les mutations de l'intérêt général\n"
            "- Les évolutions de l'écosystème : système politique, pouvoir d'agir des citoyens et des "
            "organisations dans l'action collective\n"
            "- Les conditions de la co-construction du bien commun"
        ),
        "applied_work": "",
        "day": dt.date(2018, 11, 22),
        "themes": [4, 6],
        "inspiring": (
            InspiringMeeting.SpeakerKind.INSTITUTIONAL,
            "Un décideur institutionnel apporte son regard sur les mutations de l'intérêt général.",
        ),
    },
]

RESOURCE_KIT = {
    "title": "Kit « Partenariats associations – entreprises »",
    "url": "https://partenariatassociationsentreprises.wordpress.com/",
    "description": (
        "Centre de ressources numériques dédié aux partenariats entre associations & entreprises : les "
        "outils du kit, capitalisés par Le RAMEAU avec la Caisse des Dépôts, le Mouvement associatif et "
        "le Ministère en charge de la Vie Associative, disponibles en open source."
    ),
}
RESOURCE_KIT_THEME = 5  # RSE & partenariats


def load(programme):
    """Create or update the pilot's sessions, inspiring meetings and resource kit."""
    themes = themes_by_order(programme)
    for spec in SESSIONS:
        session, created = upsert(
            Session,
            {"programme": programme, "number": spec["number"]},
            {
                "code": spec["code"],
                "title": spec["title"],
                "theory": spec["theory"],
                "applied_work": spec["applied_work"],
            },
            initial={
                "starts_at": _at(spec["day"], 9, 30),
                "ends_at": _at(spec["day"], 17, 30),
                "venue": "Paris",
                "topic": "",
                "topic_vote_open": False,
            },
        )
        if created:
            session.themes.set([themes[order] for order in spec["themes"]])
        if spec["inspiring"]:
            speaker_kind, description = spec["inspiring"]
            upsert(InspiringMeeting, {"session": session}, {"speaker_kind": speaker_kind, "description": description})
    upsert(
        Resource,
        {"programme": programme, "title": RESOURCE_KIT["title"]},
        {"url": RESOURCE_KIT["url"], "description": RESOURCE_KIT["description"]},
        initial={"theme": themes[RESOURCE_KIT_THEME]},
    )


@pilot_loaders.register
class SessionsPilot(PilotLoader):
    key = "sessions"
    order = 20
    after = ("alliances",)  # the themes

    def load(self, run: PilotRun) -> None:
        load(run.programme)

    def summary(self, programme) -> list[str]:
        sessions = programme.sessions.order_by("number")
        return ["  Sessions : " + ", ".join(f"{s.code} {s.title}" for s in sessions) + "."]

    def figures(self, programme) -> list[tuple[int, str]]:
        return [(30, f"{programme.resources.count()} ressource(s)")]
