"""The cockpit's committees panel (issue 14, item 1): next meeting, its pack produced and sent, overdue decisions.

The pack is evaluation's document kind ``committee_pack``: governance reads the core's Report
and Notification rows of that kind (never imports evaluation).
"""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from alliances import cockpit
from alliances.models import Notification, Report
from governance.cockpit import OVERDUE_SHOWN, CommitteesPanel
from governance.models import Committee, Decision, Meeting
from governance.views import PACK_KIND
from tests import factories

TODAY = timezone.localdate()


def panel_data(programme):
    now = timezone.now()
    return CommitteesPanel().get_data(programme, request=None, today=timezone.localdate(now), now=now)


def pack(meeting, *, status=Report.Status.READY, **parameters):
    return factories.ReportFactory(
        programme=meeting.committee.programme,
        kind=PACK_KIND,
        status=status,
        finished_at=timezone.now() if status == Report.Status.READY else None,
        file="reports/dossier.pdf" if status == Report.Status.READY else "",
        parameters={"committee": meeting.committee.kind, "meeting": meeting.pk, **parameters},
    )


def sent(about, meeting, recipient, status=Notification.Status.SENT):
    return factories.NotificationFactory(
        kind=PACK_KIND,
        programme=meeting.committee.programme,
        content_type=ContentType.objects.get_for_model(about),
        object_id=about.pk,
        recipient=recipient,
        status=status,
        sent_at=timezone.now() if status == Notification.Status.SENT else None,
    )


def decision(meeting, *, due, status=Decision.Status.OPEN, title=None):
    return factories.DecisionFactory(
        meeting=meeting, due_on=TODAY + dt.timedelta(days=due), status=status, **({"title": title} if title else {})
    )


@pytest.fixture
def committees(programme):
    steering = factories.CommitteeFactory(programme=programme, kind=Committee.Kind.STEERING, name="Comité de pilotage")
    orientation = factories.CommitteeFactory(
        programme=programme, kind=Committee.Kind.ORIENTATION, name="Comité d'orientation"
    )
    return steering, orientation


def test_the_panel_is_registered_at_its_order():
    panel = next(p for p in cockpit.panels() if p.key == "committees")
    assert isinstance(panel, CommitteesPanel) and panel.order == 60


def test_no_committee_no_panel(programme):
    assert panel_data(programme) is None


def test_next_meeting_pack_produced_and_sent_and_overdue_decisions(client, coordinator, programme, committees):
    steering, orientation = committees
    past = factories.MeetingFactory(committee=steering, held_on=TODAY - dt.timedelta(days=30), title="Lancement")
    later = factories.MeetingFactory(committee=steering, held_on=TODAY + dt.timedelta(days=40), title="Bilan")
    following = factories.MeetingFactory(committee=steering, held_on=TODAY + dt.timedelta(days=10), title="Mi-parcours")
    factories.MeetingFactory(committee=orientation, held_on=TODAY - dt.timedelta(days=3))
    # The next meeting's pack: an old failed one, then a ready one (automatic), sent to two members
    # about the meeting and to one of them again about an on-demand pack; a pending e-mail is not « sent ».
    pack(following, status=Report.Status.FAILED)
    pack(following, automatic=True)
    on_demand = pack(following, send=True)
    alice, bruno, carole = factories.UserFactory.create_batch(3)
    sent(following, following, alice)
    sent(following, following, bruno)
    sent(on_demand, following, alice)
    sent(following, following, carole, status=Notification.Status.PENDING)
    pack(later)  # another meeting's pack: not the next one's
    sent(later, later, carole)
    # Decisions: overdue = open or in progress with a due date passed.
    decision(past, due=-10, title="Signer la convention")
    decision(past, due=-2, status=Decision.Status.IN_PROGRESS, title="Relancer le partenaire privé")
    decision(past, due=-5, status=Decision.Status.DONE, title="Faite")
    decision(past, due=-5, status=Decision.Status.DROPPED, title="Abandonnée")
    decision(past, due=5, title="Pas encore due")
    factories.DecisionFactory(meeting=past, due_on=None, title="Sans échéance")

    data = panel_data(programme)
    by_name = {c.name: c for c in data["committees"]}
    pilotage = by_name["Comité de pilotage"]
    assert pilotage.next_meeting == following
    assert pilotage.pack.status == Report.Status.READY and pilotage.pack.parameters.get("send")
    assert pilotage.pack_sent["recipients"] == 2  # alice (twice) and bruno
    assert pilotage.overdue_total == 2
    assert [d.title for d in pilotage.overdue_decisions] == ["Signer la convention", "Relancer le partenaire privé"]
    orientation_row = by_name["Comité d'orientation"]
    assert orientation_row.next_meeting is None and orientation_row.pack is None
    assert orientation_row.overdue_total == 0
    assert data["overdue_total"] == 2

    client.force_login(coordinator)
    page = client.get(reverse("cockpit:edition", kwargs={"slug": programme.slug})).content.decode()
    section = page.split('id="committees"')[1].split("</section>")[0]
    assert "Comité de pilotage" in section and escape("Comité d'orientation") in section
    assert "Mi-parcours" in section and "Bilan" not in section
    assert "dossier produit" in section
    assert "à 2 membres" in section
    assert "2 décisions en retard" in section
    assert "Signer la convention" in section and "Relancer le partenaire privé" in section
    for title in ("Faite", "Abandonnée", "Pas encore due", "Sans échéance"):
        assert title not in section
    assert escape("Aucune réunion à venir.") in section
    assert reverse("committee:meeting", args=[following.pk]) in section
    assert reverse("committee:decisions", args=[steering.pk]) + "?statut=en-retard" in section


def test_a_pack_not_produced_nor_sent(client, coordinator, programme, committees):
    steering, _orientation = committees
    meeting = factories.MeetingFactory(committee=steering, held_on=TODAY)  # today's meeting is still the next
    data = panel_data(programme)
    row = next(c for c in data["committees"] if c.pk == steering.pk)
    assert row.next_meeting == meeting and row.pack is None and row.pack_sent is None
    client.force_login(coordinator)
    page = client.get(reverse("cockpit:edition", kwargs={"slug": programme.slug})).content.decode()
    assert "dossier pas encore produit" in page and "pas encore envoyé" in page
    pack(meeting, status=Report.Status.RUNNING)
    page = client.get(reverse("cockpit:edition", kwargs={"slug": programme.slug})).content.decode()
    assert "dossier en cours de production" in page


def test_only_the_first_overdue_decisions_are_listed(programme, committees):
    steering, _orientation = committees
    meeting = factories.MeetingFactory(committee=steering, held_on=TODAY - dt.timedelta(days=60))
    for index in range(OVERDUE_SHOWN + 3):
        decision(meeting, due=-(index + 1), title=f"Décision {index}")
    row = next(c for c in panel_data(programme)["committees"] if c.pk == steering.pk)
    assert row.overdue_total == OVERDUE_SHOWN + 3 and row.overdue_hidden == 3
    # Earliest due first.
    assert [d.title for d in row.overdue_decisions] == [f"Décision {i}" for i in range(OVERDUE_SHOWN + 2, 2, -1)]


def test_committees_come_in_the_order_of_their_kinds(programme):
    for kind in (Committee.Kind.TECHNICAL, Committee.Kind.ORIENTATION, Committee.Kind.STEERING):
        factories.CommitteeFactory(programme=programme, kind=kind)
    kinds = [c.kind for c in panel_data(programme)["committees"]]
    assert kinds == [Committee.Kind.STEERING, Committee.Kind.ORIENTATION, Committee.Kind.TECHNICAL]


def test_another_editions_committees_are_not_shown(programme, committees):
    other = factories.CommitteeFactory(name="Comité d'ailleurs")
    meeting = factories.MeetingFactory(committee=other, held_on=TODAY - dt.timedelta(days=1))
    decision(meeting, due=-1)
    names = [c.name for c in panel_data(programme)["committees"]]
    assert "Comité d'ailleurs" not in names


def _populate(programme, size):
    """``size`` committees' worth of everything the panel reads, in this edition and in another."""
    for edition in (programme, factories.ProgrammeFactory()):
        for index in range(size):
            # Kinds k0…k9 beyond the three real ones (factories skip validation): one committee per kind and edition.
            committee = factories.CommitteeFactory(programme=edition, kind=f"k{index}", name=f"Comité {index}")
            past = factories.MeetingFactory(committee=committee, held_on=TODAY - dt.timedelta(days=20))
            for offset in (3, 30):
                meeting = factories.MeetingFactory(committee=committee, held_on=TODAY + dt.timedelta(days=offset))
                report = pack(meeting)
                member = factories.UserFactory()
                sent(meeting, meeting, member)
                sent(report, meeting, member)
            for due in (-1, -2, 4):
                decision(past, due=due)


@pytest.mark.parametrize("size", [1, 10])
def test_the_panel_costs_five_queries_whatever_the_size(programme, size, django_assert_num_queries):
    _populate(programme, size)
    with django_assert_num_queries(5):
        # The committees (next meeting, overdue count); their next meetings; the packs; the sent
        # e-mails (content types joined, not looked up); the first overdue decisions of each.
        data = panel_data(programme)
    assert len(data["committees"]) == size
    assert all(c.pack_sent["recipients"] == 1 and c.overdue_total == 2 for c in data["committees"])


def test_the_cockpit_page_costs_the_same_with_1_and_10_committees(client, coordinator, programme):
    client.force_login(coordinator)
    counts = []
    for size in (1, 10):
        Committee.objects.all().delete()
        Meeting.objects.all().delete()
        _populate(programme, size)
        ContentType.objects.clear_cache()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("cockpit:edition", kwargs={"slug": programme.slug})).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
