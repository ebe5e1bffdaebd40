"""The coordinators' read-only preview of the portal (issue 14, item 6).

A coordinator opens the portal as one of their edition's participants: the portal's pages then
show that participant, a banner says whose, every write is refused, each start is in the admin
log, and nothing outside the portal's read pages acts as the participant.
"""

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.core import serializers
from django.urls import resolve, reverse

from networks.access import PREVIEW_SESSION_KEY
from networks.models import Roadmap
from sessions.models import CalendarFeed
from tests import factories
from tests import test_url_access as table
from tests.test_url_access import OK, RULES, _post_data, to, url_kwargs

world = table.world  # the URL table's data set: an edition, networks A and B, a coordinator…

PROJECT_APPS = ("alliances", "networks", "programme_sessions", "governance", "evaluation")
PORTAL_PAGES = sorted(name for name, row in RULES.items() if row["coordinator"] == to("preview:choose"))


def _snapshot():
    """Every row of the project's models, serialised: a write anywhere changes it."""
    return {
        model._meta.label: serializers.serialize("json", model._base_manager.order_by("pk"))
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
    }


def _start(client, participant):
    url = reverse("preview:start", kwargs={"slug": participant.programme.slug, "participant_pk": participant.pk})
    return client.post(url)


@pytest.fixture
def previewing(client, world):
    """The coordinator of A's edition, previewing the portal as A's participant."""
    users, objects = world
    client.force_login(users["coordinator"])
    response = _start(client, objects["participant"])
    assert response.status_code == 302 and response.url == reverse("portal:home")
    return users, objects


def test_starting_a_preview_shows_the_participant_with_a_banner_and_logs_it(client, previewing):
    users, objects = previewing
    participant = objects["participant"]
    last_login = participant.user.last_login
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    page = response.content.decode()
    name = participant.user.get_full_name()
    assert f"Aperçu du portail de {name} ({participant.enrolment.network.name}) — lecture seule" in page
    assert "Quitter l&#x27;aperçu" in page or "Quitter l'aperçu" in page
    assert response.context["participant"] == participant
    entry = LogEntry.objects.get()
    assert (entry.user, entry.action_flag, entry.object_id) == (users["coordinator"], CHANGE, str(participant.pk))
    assert entry.get_change_message() == "Aperçu du portail"
    assert entry.content_type.model_class() is type(participant)
    participant.user.refresh_from_db()
    assert participant.user.last_login == last_login  # nobody logged in as the participant


def test_the_start_page_asks_before_opening(client, world):
    users, objects = world
    client.force_login(users["coordinator"])
    url = reverse("preview:start", kwargs=url_kwargs("preview:start", objects))
    response = client.get(url)
    assert response.status_code == 200
    assert "Ouvrir l'aperçu" in response.content.decode()
    assert PREVIEW_SESSION_KEY not in client.session
    assert not LogEntry.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_editions_participant_is_not_found(client, world, method):
    users, objects = world
    client.force_login(users["coordinator"])
    stranger = factories.ParticipantFactory()  # another edition
    for slug in (objects["edition"].slug, stranger.programme.slug):
        url = reverse("preview:start", kwargs={"slug": slug, "participant_pk": stranger.pk})
        assert getattr(client, method)(url).status_code == 404
    assert PREVIEW_SESSION_KEY not in client.session


@pytest.mark.parametrize("role", ["owner", "peer", "committee"])
def test_only_coordinators_start_a_preview(client, world, role):
    users, objects = world
    client.force_login(users[role])
    assert _start(client, objects["participant"]).status_code == 403
    assert PREVIEW_SESSION_KEY not in client.session


def test_a_network_that_did_not_agree_has_no_preview(client, world):
    users, objects = world
    pending = factories.ParticipantFactory(enrolment__programme=objects["edition"], enrolment__status="pending")
    client.force_login(users["coordinator"])
    response = _start(client, pending)
    assert response.status_code == 302
    assert PREVIEW_SESSION_KEY not in client.session


@pytest.mark.parametrize("name", PORTAL_PAGES)
def test_every_portal_page_reads_as_the_participant(client, previewing, name):
    users, objects = previewing
    if RULES[name]["method"] != "get" or RULES[name]["owner"] != OK:
        pytest.skip("not a page the participant reads")
    before = _snapshot()
    response = client.get(reverse(name, kwargs=url_kwargs(name, objects)))
    assert response.status_code == 200, name
    assert _snapshot() == before, f"{name} wrote during a preview"


@pytest.mark.parametrize("name", PORTAL_PAGES)
def test_every_write_to_the_portal_is_refused(client, previewing, name):
    """Every portal URL, POSTed to with the table's data (RSVP, votes, questionnaires, inventory,
    calendar address, visibility, edition switch…): refused with a message, nothing changes."""
    users, objects = previewing
    url = reverse(name, kwargs=url_kwargs(name, objects))
    before = _snapshot()
    response = client.post(url, _post_data(RULES[name]["data"], objects), follow=True)
    assert response.redirect_chain, name
    assert resolve(response.redirect_chain[-1][0].split("?")[0]).view_name == "portal:home", name
    assert "Aperçu en lecture seule : rien n&#x27;a été enregistré." in response.content.decode(), name
    assert _snapshot() == before, f"{name} wrote during a preview"


def test_a_refused_write_goes_back_to_the_page(client, previewing):
    users, objects = previewing
    page = "http://testserver" + reverse("networks:partnerships")
    response = client.post(reverse("networks:partnership_add"), {"partner_name": "X"}, headers={"referer": page})
    assert response.status_code == 302 and response.url == page


def test_the_roadmap_page_creates_no_roadmap_in_a_preview(client, previewing):
    users, objects = previewing
    Roadmap.objects.all().delete()
    assert client.get(reverse("networks:roadmap")).status_code == 200
    assert client.get(reverse("networks:roadmap_edit")).status_code == 200
    assert client.get(reverse("networks:action_add")).status_code == 200
    assert not Roadmap.objects.exists()


def test_the_calendar_page_shows_and_creates_no_address(client, previewing):
    users, objects = previewing
    response = client.get(reverse("sessions:calendar"))
    assert objects["feed"].token not in response.content.decode()
    assert not CalendarFeed.objects.filter(user=users["coordinator"]).exists()


def test_outside_the_portal_the_coordinator_stays_themself(client, previewing):
    users, objects = previewing
    participant = objects["participant"]
    response = client.get(reverse("accounts:profile"))
    assert response.context["participant"] is None
    assert response.context["form"].instance == users["coordinator"]
    data = client.get(reverse("privacy:my_data")).content.decode()
    assert participant.user.email not in data
    # The documents answer for the coordinator's own rights (a participant would get a 404).
    assert client.get(reverse("documents:download", kwargs={"pk": objects["report"].pk})).status_code == 200


def test_leaving_the_preview_goes_back_to_the_cockpit(client, previewing):
    users, objects = previewing
    response = client.post(reverse("preview:leave"))
    assert response.url == reverse("cockpit:edition", kwargs={"slug": objects["edition"].slug})
    assert PREVIEW_SESSION_KEY not in client.session
    assert client.get(reverse("portal:home")).url == reverse("preview:choose")


def test_logging_out_ends_the_preview(client, previewing):
    users, objects = previewing
    client.post(reverse("accounts:logout"))
    client.force_login(users["coordinator"])
    assert PREVIEW_SESSION_KEY not in client.session
    assert client.get(reverse("portal:home")).url == reverse("preview:choose")


def test_a_coordinator_who_loses_the_edition_loses_the_preview(client, previewing):
    users, objects = previewing
    objects["edition"].coordinators.remove(users["coordinator"])
    assert client.get(reverse("portal:home")).url == reverse("preview:choose")
    assert PREVIEW_SESSION_KEY not in client.session


def test_the_portal_explains_itself_to_a_coordinator_and_lists_their_participants(client, world):
    users, objects = world
    client.force_login(users["coordinator"])
    response = client.get(reverse("portal:home"), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Vous ne participez à aucune édition" in page
    owner = objects["participant"]
    assert owner.user.get_full_name() in page
    start = reverse("preview:start", kwargs=url_kwargs("preview:start", objects))
    assert start in page
    assert reverse("cockpit:edition", kwargs={"slug": objects["edition"].slug}) in page
    # Another edition's participant is not offered.
    other = users["other"].participations.get()
    assert other.user.get_full_name() not in page
    # The search narrows the list.
    searched = client.get(reverse("preview:choose"), {"q": owner.user.last_name}).context["page_obj"]
    assert list(searched) == [owner]
    assert not client.get(reverse("preview:choose"), {"q": "zzz-personne"}).context["page_obj"]


def test_the_cockpits_link_narrows_the_list_to_its_edition(client, world):
    users, objects = world
    second = factories.ProgrammeFactory(slug="deuxieme-edition")
    second.coordinators.add(users["coordinator"])
    elsewhere = factories.ParticipantFactory(enrolment__programme=second)
    client.force_login(users["coordinator"])
    everyone = list(client.get(reverse("preview:choose")).context["page_obj"])
    assert objects["participant"] in everyone and elsewhere in everyone
    narrowed = client.get(reverse("preview:choose"), {"edition": objects["edition"].slug}).context["page_obj"]
    assert elsewhere not in list(narrowed) and objects["participant"] in list(narrowed)
    # An edition the coordinator does not coordinate narrows nothing (and shows nobody else).
    other_slug = users["other"].participations.get().programme.slug
    unknown = list(client.get(reverse("preview:choose"), {"edition": other_slug}).context["page_obj"])
    assert users["other"].participations.get() not in unknown


def test_staff_who_coordinate_nothing_get_an_explanation(client, db):
    staff = factories.UserFactory(is_staff=True)
    client.force_login(staff)
    response = client.get(reverse("portal:home"), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Vous ne coordonnez aucune édition" in page
    assert reverse("admin:index") in page


def test_the_participant_admin_links_to_the_preview(client, world):
    users, objects = world
    client.force_login(users["coordinator"])
    response = client.get(reverse("admin:networks_participant_changelist"))
    assert response.status_code == 200
    assert reverse("preview:start", kwargs=url_kwargs("preview:start", objects)) in response.content.decode()
