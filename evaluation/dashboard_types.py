"""The shape of :func:`evaluation.dashboard.programme_dashboard`: one TypedDict per section.

Plain dicts at run time: the templates (``documents/_dashboard_sections.html`` and the PDFs that
include it), the document builders and the tests read them by key. Percentages are whole
numbers from 0 to 100 unless said otherwise; ``None`` means « nothing to measure yet », which the
templates print as « — » or as a sentence saying the data does not exist yet. Charts are
ready-made SVG (``alliances.charts``).
"""

from collections.abc import Sequence
from datetime import date
from typing import TypedDict

from django.utils.functional import Promise
from django.utils.safestring import SafeString

from alliances.models import Phase, Step
from evaluation.results import ProgrammeResults
from governance.models import Decision
from networks.funnel import Funnel
from sessions.models import Session

#: A label: a string, or a lazy translation rendered in the reader's language.
Label = str | Promise


class NetworkRef(TypedDict):
    id: int  # the enrolment's id (a network takes part in an edition through its enrolment)
    name: str
    acronym: str


class StepRow(TypedDict):
    step: Step
    late: bool  # not done and past its due date
    done_late: bool  # done after its due date


class PhaseRow(TypedDict):
    phase: Phase
    progress: int  # share of its steps done, 0–100
    late: int  # steps late
    steps: list[StepRow]
    chart: SafeString
    current: bool  # today falls within the phase


class DashboardFunnel(Funnel):
    chart: SafeString


class SessionRow(TypedDict):
    session: Session
    expected: int  # participants of the networks in accord
    confirmed: int
    present: int
    absent: int
    excused: int
    recorded: bool  # attendance has been entered for this session
    rate: int | None  # present / expected; None until recorded
    networks_present: int
    network_rate: int | None  # networks present / networks in accord; None until recorded


class NetworkAttendance(NetworkRef):
    marks: list[bool | None]  # one per session row: present, absent, None when not recorded
    attended: int  # recorded sessions the network attended
    rate: int | None  # attended / recorded sessions


class SessionsSection(TypedDict):
    rows: list[SessionRow]  # by number
    per_network: list[NetworkAttendance]
    recorded: int  # sessions whose attendance is entered
    attendance_rate: float | None  # mean of the recorded sessions' rates, 1 decimal
    network_presence_rate: float | None
    chart: SafeString | None  # None when the edition has no session
    network_chart: SafeString | None


class BinomeTotals(TypedDict):
    total: int
    complete: int  # with Binome.MAX_MEMBERS members
    networks_with_complete: int


class PartnershipForm(TypedDict):
    """One form of partnership with companies, against the PHARE 2015 study."""

    key: str
    label: Label
    networks: int  # networks with a private partnership that use this form
    share: int | None  # of the networks with a private partnership
    benchmark: int  # national share (PHARE 2015), in %


class PartnershipsSection(TypedDict):
    total: int
    networks_with_inventory: int
    networks: int
    average_types: float | None  # partner types per network with an inventory, 2 decimals
    benchmark_types: float  # the national average
    networks_at_or_above_benchmark: int
    private_networks: int
    private_without_form: int
    strategic: int
    evaluated: int
    families: Sequence[tuple[Label, int]]  # (label, partnerships), in the order of Partnership.Family
    forms: list[PartnershipForm]
    types_chart: SafeString | None
    forms_chart: SafeString | None
    per_network_chart: bool  # the types chart has one bar per network (else a distribution)


class ObstacleRow(TypedDict):
    category: str
    citations: int
    networks: int
    high: int  # citations of high severity
    label: str


class ObstaclesSection(TypedDict):
    total: int  # citations
    top: list[ObstacleRow]  # the TOP_OBSTACLES most cited, by number of networks
    chart: SafeString | None


class VoteProposal(TypedDict):
    session_id: int
    title: str
    num_votes: int


class VoteSection(TypedDict):
    session: Session
    closed: bool
    topic: str
    proposals: list[VoteProposal]  # most voted first
    voters: int
    participation: int | None  # voters / participants
    chart: SafeString | None


class RoadmapsSection(TypedDict):
    networks_with_roadmap: int
    networks_with_actions: int
    networks: int
    roadmap_share: int | None
    actions_total: int
    actions_overdue: int
    statuses: Sequence[tuple[Label, int]]  # (label, actions), in the order of RoadmapAction.Status
    done_share: int | None  # done / actions not dropped
    roadmap_chart: SafeString
    done_chart: SafeString


class DashboardResults(ProgrammeResults):
    """The questionnaires' results (``for_coordinator`` as asked), with their charts."""

    satisfaction_chart: SafeString | None
    progression_chart: SafeString | None
    has_satisfaction: bool  # some session's feedback has respondents
    has_progression: bool  # some competency has pré/post pairs


class KeyFigures(TypedDict):
    """The figures kept in each committee pack's snapshot (``KEY_FIGURES`` names and orders them)."""

    networks_agreed: int
    participants: int
    sessions_recorded: int
    attendance_rate: float | None
    network_presence_rate: float | None
    binomes_complete: int
    partnerships: int
    average_partner_types: float | None
    networks_with_roadmap: int
    actions_done_share: int | None
    actions_overdue: int
    open_decisions: int


class Dashboard(TypedDict):
    today: date
    networks: list[NetworkRef]  # the pilot networks (in accord), by name
    participants_total: int
    funnel: DashboardFunnel
    phases: list[PhaseRow]
    sessions: SessionsSection
    binomes: BinomeTotals
    partnerships: PartnershipsSection
    obstacles: ObstaclesSection
    votes: list[VoteSection]  # sessions whose topic vote is open or closed
    roadmaps: RoadmapsSection
    results: DashboardResults | None  # None when evaluation.results cannot be imported
    decisions: list[Decision]  # open decisions, soonest due first
    min_respondents: int
    key_figures: KeyFigures


class KeyFigureRow(TypedDict):
    key: str
    label: str
    current: float | None
    previous: float | None
    delta: float | None


class Snapshot(TypedDict):
    """JSON stored in a Report's parameters."""

    taken_on: str  # ISO date
    figures: dict[str, float | None]
