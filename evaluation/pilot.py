"""The evaluation's part of the 2018 pilot (DESIGN §5).

- The six competencies the parcours builds, self-assessed from 1 to 5 before and after (the
  note's own list: *facts*, re-asserted on every run).
- Ready-made questionnaires: a feedback questionnaire for each session S1–S4 (for those present
  at the session), the competency self-assessment before (pré, before S1) and after (post, after
  S4) with one scale question per competency, and the final programme evaluation (phase 3a).

The questionnaires' wording and dates are not in the note: they are *seeds*, our plausible 2018
choices, written when a row is created and never overwritten, so a re-run keeps what the
coordinators edited in the admin. What ties a questionnaire to the programme is re-asserted: its
kind, session and audience. Questions are found by their position and only ever created.
"""

import datetime as dt

from django.utils import timezone

from alliances.loaders import PilotLoader, PilotRun, pilot_loaders
from alliances.pilot import upsert, upsert_many
from evaluation.models import Competency, Question, Questionnaire

COMPETENCIES = [
    "Comprendre le paysage des partenariats",
    "Identifier les enjeux",
    "Se positionner et piloter une alliance",
    "Évaluer un partenariat",
    "Pérenniser l'ingénierie partenariale dans le réseau",
    "Co-construire sur un territoire",
]


def _at(year, month, day, hour, minute=0):
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


# (session number, opens at the end of the session, closes two weeks later); the sessions' days
# are those of sessions/pilot.py (19 April, 21 June, 27 September, 22 November 2018).
FEEDBACK_WINDOWS = {
    1: (_at(2018, 4, 19, 17, 30), _at(2018, 5, 3, 23, 59)),
    2: (_at(2018, 6, 21, 17, 30), _at(2018, 7, 5, 23, 59)),
    3: (_at(2018, 9, 27, 17, 30), _at(2018, 10, 11, 23, 59)),
    4: (_at(2018, 11, 22, 17, 30), _at(2018, 12, 6, 23, 59)),
}
PRE_WINDOW = (_at(2018, 3, 26, 9, 0), _at(2018, 4, 18, 23, 59))  # after the launch bilaterals, before S1
POST_WINDOW = (_at(2018, 11, 22, 17, 30), _at(2018, 12, 9, 23, 59))  # after S4
FINAL_WINDOW = (_at(2018, 11, 26, 9, 0), _at(2018, 12, 12, 23, 59))  # phase 3a « Évaluation du programme »

SCALE_HELP = "De 1 (pas du tout) à 5 (tout à fait)."
COMPETENCY_HELP = "De 1 (je débute) à 5 (je maîtrise)."

# (text, help text, kind, choices, required) of a session feedback questionnaire; the fourth
# question is about the session's inspiring meeting, or, for S3, about its voted topic.
FEEDBACK_HEAD = [
    ("Dans l'ensemble, êtes-vous satisfait(e) de la session ?", SCALE_HELP, Question.Kind.SCALE, "", True),
    ("Les apports théoriques vous ont-ils été utiles ?", SCALE_HELP, Question.Kind.SCALE, "", True),
    (
        "Le travail applicatif vous a-t-il aidé(e) à avancer pour votre réseau ?",
        SCALE_HELP,
        Question.Kind.SCALE,
        "",
        True,
    ),
]
FEEDBACK_INSPIRING = (
    "La rencontre inspirante vous a-t-elle apporté un éclairage utile ?",
    SCALE_HELP,
    Question.Kind.SCALE,
    "",
    True,
)
FEEDBACK_TOPIC = (
    "Le sujet d'approfondissement choisi collectivement a-t-il répondu à vos attentes ?",
    SCALE_HELP,
    Question.Kind.SCALE,
    "",
    True,
)
FEEDBACK_TAIL = [
    ("Les échanges entre pairs ont-ils été riches ?", SCALE_HELP, Question.Kind.SCALE, "", True),
    (
        "Qu'allez-vous mettre en œuvre dans votre réseau à la suite de cette session ?",
        "",
        Question.Kind.TEXT,
        "",
        False,
    ),
    ("Vos suggestions pour les prochaines sessions", "", Question.Kind.TEXT, "", False),
]
SESSION_TITLES = {1: "Comprendre", 2: "Mettre en œuvre", 3: "Approfondir", 4: "Mettre en perspective"}

FINAL_TITLE = "Évaluation finale du parcours"
FINAL_QUESTIONS = [
    ("Dans l'ensemble, êtes-vous satisfait(e) du parcours ?", SCALE_HELP, Question.Kind.SCALE, "", True),
    (
        "Le rythme (quatre sessions sur neuf mois) vous a-t-il convenu ?",
        SCALE_HELP,
        Question.Kind.SCALE,
        "",
        True,
    ),
    (
        "Quels formats vous ont été les plus utiles ?",
        "Plusieurs réponses possibles.",
        Question.Kind.MULTIPLE,
        "Sessions collectives\nRencontres inspirantes\nSuivi individuel\nVisites terrain\n"
        "Échanges au sein du binôme\nCentre de ressources",
        True,
    ),
    (
        "Où en est la feuille de route partenariale de votre réseau ?",
        "",
        Question.Kind.SINGLE,
        "Finalisée et validée par la gouvernance\nFinalisée, en attente de validation\nEn cours d'écriture\n"
        "Pas encore commencée",
        True,
    ),
    (
        "Recommanderiez-vous le parcours à un autre réseau associatif ?",
        "",
        Question.Kind.SINGLE,
        "Oui, certainement\nOui, probablement\nNon, probablement pas\nNon, certainement pas",
        True,
    ),
    (
        "Que faudrait-il changer pour déployer le parcours à grande échelle ?",
        "",
        Question.Kind.TEXT,
        "",
        False,
    ),
    ("Autres remarques", "", Question.Kind.TEXT, "", False),
]

PRE_TITLE = "Auto-évaluation des compétences — avant le parcours"
POST_TITLE = "Auto-évaluation des compétences — après le parcours"
PRE_INTRODUCTION = (
    "Avant la première session, situez-vous sur chacune des six compétences que le parcours "
    "développe. Vous répondrez aux mêmes questions à la fin du parcours : la comparaison mesure "
    "la progression du groupe. Seuls des résultats agrégés sont partagés."
)
POST_INTRODUCTION = (
    "Le parcours s'achève : situez-vous de nouveau sur les six compétences, sans chercher à "
    "retrouver vos réponses du début. Seuls des résultats agrégés sont partagés."
)


def load(programme):
    """Create or update the pilot's competencies and ready-made questionnaires."""
    competencies = upsert_many(
        Competency,
        [{"programme": programme, "name": name, "order": order} for order, name in enumerate(COMPETENCIES, start=1)],
        key=("programme", "name"),
    )
    questions = []
    sessions = {session.number: session for session in programme.sessions.filter(number__in=FEEDBACK_WINDOWS)}
    for number, (opens_at, closes_at) in FEEDBACK_WINDOWS.items():
        session = sessions.get(number)
        if session is None:
            continue
        questionnaire, _ = upsert(
            Questionnaire,
            {"programme": programme, "kind": Questionnaire.Kind.SESSION_FEEDBACK, "session": session},
            {"audience": Questionnaire.Audience.SESSION_ATTENDEES},
            initial={
                "title": f"Retour sur la session S{number} — {SESSION_TITLES[number]}",
                "introduction": (
                    "Quelques minutes pour nous dire comment s'est passée la session : vos réponses "
                    "aident à préparer les suivantes."
                ),
                "opens_at": opens_at,
                "closes_at": closes_at,
            },
        )
        middle = FEEDBACK_TOPIC if number == 3 else FEEDBACK_INSPIRING
        questions += _rows(questionnaire, [*FEEDBACK_HEAD, middle, *FEEDBACK_TAIL])

    for kind, title, introduction, (opens_at, closes_at), prompt in (
        (
            Questionnaire.Kind.COMPETENCY_PRE,
            PRE_TITLE,
            PRE_INTRODUCTION,
            PRE_WINDOW,
            "Aujourd'hui, où en êtes-vous ? {}",
        ),
        (
            Questionnaire.Kind.COMPETENCY_POST,
            POST_TITLE,
            POST_INTRODUCTION,
            POST_WINDOW,
            "À la fin du parcours, où en êtes-vous ? {}",
        ),
    ):
        questionnaire, _ = upsert(
            Questionnaire,
            {"programme": programme, "kind": kind},
            {"audience": Questionnaire.Audience.ALL, "session": None},
            initial={"title": title, "introduction": introduction, "opens_at": opens_at, "closes_at": closes_at},
        )
        questions += [
            {
                "questionnaire": questionnaire,
                "order": competency.order,
                "competency": competency,
                "text": prompt.format(competency.name),
                "help_text": COMPETENCY_HELP,
                "kind": Question.Kind.SCALE,
                "choices": "",
                "required": True,
            }
            for competency in competencies
        ]

    final, _ = upsert(
        Questionnaire,
        {"programme": programme, "kind": Questionnaire.Kind.FINAL, "title": FINAL_TITLE},
        {"audience": Questionnaire.Audience.ALL, "session": None},
        initial={
            "introduction": (
                "Le parcours pilote s'achève : votre évaluation nourrit la réflexion sur son déploiement "
                "à grande échelle (phase 3)."
            ),
            "opens_at": FINAL_WINDOW[0],
            "closes_at": FINAL_WINDOW[1],
        },
    )
    questions += _rows(final, FINAL_QUESTIONS)
    upsert_many(
        Question,
        questions,
        key=("questionnaire", "order"),
        initial=("text", "help_text", "kind", "choices", "required", "competency"),
    )


def _rows(questionnaire, specs):
    return [
        {
            "questionnaire": questionnaire,
            "order": order,
            "text": text,
            "help_text": help_text,
            "kind": kind,
            "choices": choices,
            "required": required,
        }
        for order, (text, help_text, kind, choices, required) in enumerate(specs, start=1)
    ]


@pilot_loaders.register
class EvaluationPilot(PilotLoader):
    key = "evaluation"
    order = 40
    after = ("sessions",)  # a feedback questionnaire per session

    def load(self, run: PilotRun) -> None:
        load(run.programme)

    def figures(self, programme) -> list[tuple[int, str]]:
        return [(20, f"{programme.competencies.count()} compétences")]
