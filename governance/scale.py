"""The governance's part of a generated edition (``generate_scale_data``, plan in ``alliances/scale.py``).

3 committees of 5 members (seats of a shared pool of organisations, an independent expert), with
a committee member account on the steering and orientation committees, 2 meetings each with
attendance and 2 decisions. Leaves ``shared["meetings"]`` for the later builders.
"""

import datetime as dt

from django.contrib.auth import get_user_model

from alliances.loaders import SCALE_EMAIL_DOMAIN, ScaleBuilder, ScaleEdition, ScaleRun, scale_builders
from governance.models import Committee, CommitteeMember, Decision, Meeting, MeetingAttendance, Organisation

COMMITTEES = [
    (Committee.Kind.STEERING, "Comité de pilotage"),
    (Committee.Kind.ORIENTATION, "Comité d'orientation"),
    (Committee.Kind.TECHNICAL, "Comité technique"),
]
ORGANISATION_POOL = 12
MEMBERS_PER_COMMITTEE = 5
MEETINGS_PER_COMMITTEE = 2
DECISIONS_PER_MEETING = 2


def organisation_pool():
    """The organisations sitting on the generated committees: shared by every edition (2 queries)."""
    names = [f"Organisation d'échelle {k:02d}" for k in range(1, ORGANISATION_POOL + 1)]
    kinds = Organisation.Kind.values
    existing = {org.name: org for org in Organisation.objects.filter(name__in=names)}
    missing = [
        Organisation(name=name, kind=kinds[k % len(kinds)], website=f"https://org{k:02d}.{SCALE_EMAIL_DOMAIN}/")
        for k, name in enumerate(names, start=1)
        if name not in existing
    ]
    if missing:
        Organisation.objects.bulk_create(missing)
        existing = {org.name: org for org in Organisation.objects.filter(name__in=names)}
    return [existing[name] for name in names]


def build_committees(edition, rng, organisations):
    """The three committees and their members; return the committees and their members by committee pk."""
    User = get_user_model()
    committee_user = edition.add(
        User,
        [
            User(
                email=edition.email("comite"),
                password=edition.run.password_hash,
                first_name="Membre",
                last_name=f"Comité {edition.slug}",
            )
        ],
    )[0]
    committees = edition.add(
        Committee,
        [
            Committee(
                programme=edition.programme, kind=kind, name=f"{name} — {edition.slug}", mission="Mission du comité."
            )
            for kind, name in COMMITTEES
        ],
    )
    members = []
    for k, committee in enumerate(committees):
        seated = rng.sample(organisations, MEMBERS_PER_COMMITTEE - 1)
        members += [
            CommitteeMember(
                committee=committee,
                organisation=organisation,
                person_name=f"Représentant·e {n + 1}",
                role="Membre",
                # The committee member account sits on the steering and orientation committees.
                user=committee_user if n == 0 and k < 2 else None,
                pending_validation=n == MEMBERS_PER_COMMITTEE - 2 and k == 2,
            )
            for n, organisation in enumerate(seated)
        ]
        members.append(CommitteeMember(committee=committee, person_name="Consultant·e indépendant·e", role="Expert"))
    members_of = {}
    for member in edition.add(CommitteeMember, members):
        members_of.setdefault(member.committee_id, []).append(member)
    return committees, members_of


def build_meetings(edition, rng, committees, members_of):
    """Each committee's meetings, with every member's attendance and the decisions; return the meetings."""
    meetings = edition.add(
        Meeting,
        [
            Meeting(
                committee=committee,
                title=f"Réunion {n + 1}",
                held_on=dt.date(2026, 3 + 5 * n, 10 + k),
                starts_at=dt.time(14, 0),
                location="Paris",
                agenda="1. Avancement\n2. Décisions",
                minutes="Compte rendu de la réunion.",
            )
            for k, committee in enumerate(committees)
            for n in range(MEETINGS_PER_COMMITTEE)
        ],
    )
    edition.add(
        MeetingAttendance,
        [
            MeetingAttendance(
                meeting=meeting,
                member=member,
                status=rng.choices(MeetingAttendance.Status.values, weights=[7, 1, 2])[0],
            )
            for meeting in meetings
            for member in members_of[meeting.committee_id]
        ],
    )
    edition.add(
        Decision,
        [
            Decision(
                meeting=meeting,
                title=f"Décision {n + 1}",
                owner="Coordination",
                due_on=meeting.held_on + dt.timedelta(days=60),
                status=rng.choice(Decision.Status.values),
            )
            for meeting in meetings
            for n in range(DECISIONS_PER_MEETING)
        ],
    )
    return meetings


@scale_builders.register
class GovernanceScale(ScaleBuilder):
    key = "governance"
    order = 30
    after = ("alliances",)

    def prepare(self, run: ScaleRun) -> None:
        run.shared["organisations"] = organisation_pool()

    def build(self, edition: ScaleEdition) -> None:
        rng = edition.rng(self.key)
        committees, members_of = build_committees(edition, rng, edition.run.shared["organisations"])
        edition.shared["meetings"] = build_meetings(edition, rng, committees, members_of)
