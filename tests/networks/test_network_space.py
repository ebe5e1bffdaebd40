"""« Mon réseau »: the space, the partnership inventory, obstacles, roadmap, the share flag and the cohort pages."""

import datetime as dt
from html import unescape

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from networks.models import Enrolment, Obstacle, Partnership, Roadmap, RoadmapAction
from networks.services import roadmap_get_or_create
from tests import factories
from tests.factories_community import count_queries
from tests.factories_networks import a_region, add_partnerships, network_with_work

pytestmark = pytest.mark.django_db

COMPANY_FORM_ERROR = "La forme du partenariat ne concerne que les acteurs privés."


# --- Personas -----------------------------------------------------------------------


@pytest.fixture
def mine(programme):
    """My network (two participants in a binôme, one line of each kind of work); I am its first participant."""
    return network_with_work(programme)


@pytest.fixture
def me(mine):
    return mine[1][0]


@pytest.fixture
def client_me(client, me):
    client.force_login(me.user)
    return client


@pytest.fixture
def neighbour(programme):
    """A participant of another network of the same edition."""
    _enrolment, people = network_with_work(programme, share_inventory=True)
    return people[0]


@pytest.fixture
def stranger(db):
    """A participant of a network of another edition."""
    _enrolment, people = network_with_work(factories.ProgrammeFactory(), share_inventory=True)
    return people[0]


@pytest.fixture
def committee_member(programme):
    member = factories.CommitteeMemberFactory(committee__programme=programme, user=factories.UserFactory())
    return member.user


def login_url():
    return resolve_url(settings.LOGIN_URL)


# --- Every URL of the area ------------------------------------------------------------

# (url name, which of my objects its pk is, method used to reach it)
ROUTES = [
    ("networks:space", None, "get"),
    ("networks:partnerships", None, "get"),
    ("networks:partnership_add", None, "get"),
    ("networks:partnership_edit", "partnership", "get"),
    ("networks:partnership_delete", "partnership", "get"),
    ("networks:share_inventory", None, "post"),
    ("networks:obstacles", None, "get"),
    ("networks:obstacle_add", None, "get"),
    ("networks:obstacle_edit", "obstacle", "get"),
    ("networks:obstacle_delete", "obstacle", "get"),
    ("networks:roadmap", None, "get"),
    ("networks:roadmap_edit", None, "get"),
    ("networks:action_add", None, "get"),
    ("networks:action_edit", "action", "get"),
    ("networks:action_delete", "action", "get"),
    ("networks:cohort", None, "get"),
    ("networks:cohort_network", "enrolment", "get"),
]
OBJECT_ROUTES = [route for route in ROUTES if route[1] in {"partnership", "obstacle", "action"}]


def objects_of(enrolment):
    return {
        "enrolment": enrolment,
        "partnership": enrolment.partnerships.first(),
        "obstacle": enrolment.obstacles.first(),
        "action": RoadmapAction.objects.filter(roadmap__enrolment=enrolment).first(),
    }


def url_for(name, kind, enrolment):
    if kind is None:
        return reverse(name)
    return reverse(name, args=[objects_of(enrolment)[kind].pk])


def route_id(route):
    return f"{route[0]}-{route[2]}"


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_logged_out_is_sent_to_login(client, mine, route):
    name, kind, method = route
    mine[0].share_inventory = True
    mine[0].save()
    url = url_for(name, kind, mine[0])
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.url.startswith(login_url())


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_committee_member_without_participation_is_refused(client, mine, committee_member, route):
    name, kind, method = route
    mine[0].share_inventory = True
    mine[0].save()
    client.force_login(committee_member)
    response = getattr(client, method)(url_for(name, kind, mine[0]))
    assert response.status_code == 403


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=route_id)
@pytest.mark.parametrize("intruder", ["neighbour", "stranger"])
def test_another_network_cannot_see_or_change_my_objects(client, mine, intruder, route, request):
    name, kind, _method = route
    client.force_login(request.getfixturevalue(intruder).user)
    target = objects_of(mine[0])[kind]
    url = reverse(name, args=[target.pk])
    before = type(target).objects.filter(pk=target.pk).values().get()

    assert client.get(url).status_code == 404
    # A POST that would be valid for the owner changes nothing either.
    payload = {"partner_name": "Piraté", "family": "public", "partner_type": "state", "scale": "local",
               "depth": 1, "status": "active", "category": "other", "description": "Piraté", "severity": 1,
               "title": "Piraté"}  # fmt: skip
    assert client.post(url, payload).status_code == 404
    assert type(target).objects.filter(pk=target.pk).values().get() == before


def test_participant_of_another_edition_sees_only_their_own_network(client, mine, stranger):
    client.force_login(stranger.user)
    response = client.get(reverse("networks:space"))
    assert response.status_code == 200
    assert stranger.enrolment.network.name in response.content.decode()
    assert mine[0].network.name not in response.content.decode()
    # My edition's shared inventory is not theirs to read.
    mine[0].share_inventory = True
    mine[0].save()
    assert client.get(reverse("networks:cohort_network", args=[mine[0].pk])).status_code == 404


def test_toggles_refuse_get(client_me):
    assert client_me.get(reverse("networks:share_inventory")).status_code == 405


# --- The space --------------------------------------------------------------------------


def test_space_shows_the_network_its_members_and_counts(client_me, mine):
    enrolment, people = mine
    region = a_region()
    enrolment.network.regions.add(region)
    add_partnerships(enrolment, 3)  # 4 in all: public, peer, private, public

    response = client_me.get(reverse("networks:space"))

    content = response.content.decode()
    assert response.status_code == 200
    assert enrolment.network.name in content
    assert enrolment.network.field_of_action in content
    assert region.name in content
    for person in people:
        assert person.user.last_name in content
    assert "4 partenariats" in content
    assert "1 frein identifié" in content
    assert "1 action" in content
    for name in ["networks:partnerships", "networks:obstacles", "networks:roadmap", "networks:directory"]:
        assert reverse(name) in content


def test_space_of_a_network_without_work_says_what_to_do(client, programme):
    enrolment = factories.EnrolmentFactory(programme=programme)
    person = factories.ParticipantFactory(enrolment=enrolment)
    client.force_login(person.user)

    content = client.get(reverse("networks:space")).content.decode()

    assert "Votre inventaire est vide" in content
    assert "Aucun frein noté" in content
    assert "Pas encore d'action" in content
    assert not Roadmap.objects.filter(enrolment=enrolment).exists(), "reading the space never creates the roadmap"


# --- Partnership inventory ------------------------------------------------------------


def partnership_payload(**overrides):
    payload = {
        "partner_name": "Fondation des Territoires",
        "family": "private",
        "partner_type": "company",
        "company_form": "patronage_skills",
        "scale": "national",
        "objective_human_resources": "on",
        "objective_innovation": "on",
        "depth": "2",
        "evaluated": "on",
        "start_year": "2015",
        "status": "active",
        "notes": "Mécénat de compétences de salariés.",
    }
    payload.update(overrides)
    return payload


def test_partnership_add_edit_delete_round_trip(client_me, mine):
    enrolment = mine[0]

    response = client_me.post(reverse("networks:partnership_add"), partnership_payload(), follow=True)
    assert "Partenariat ajouté." in response.content.decode()
    partnership = Partnership.objects.get(partner_name="Fondation des Territoires")
    assert partnership.enrolment == enrolment
    assert partnership.company_form == Partnership.CompanyForm.SKILLS_PATRONAGE
    assert partnership.objective_human_resources and partnership.objective_innovation
    assert not partnership.objective_economic
    assert partnership.depth == 2 and partnership.evaluated and partnership.start_year == 2015

    edit_url = reverse("networks:partnership_edit", args=[partnership.pk])
    assert client_me.get(edit_url).status_code == 200
    response = client_me.post(
        edit_url,
        partnership_payload(partner_name="Ville de Lyon", family="public", partner_type="local_authority",
                            company_form="", depth="3"),
        follow=True,
    )  # fmt: skip
    assert "Partenariat modifié." in response.content.decode()
    partnership.refresh_from_db()
    assert (partnership.partner_name, partnership.family, partnership.company_form, partnership.depth) == (
        "Ville de Lyon",
        "public",
        "",
        3,
    )

    delete_url = reverse("networks:partnership_delete", args=[partnership.pk])
    response = client_me.get(delete_url)
    assert response.status_code == 200
    assert "Supprimer le partenariat « Ville de Lyon » ?" in response.content.decode()
    assert Partnership.objects.filter(pk=partnership.pk).exists(), "GET only asks for confirmation"
    response = client_me.post(delete_url, follow=True)
    assert "Partenariat supprimé." in response.content.decode()
    assert not Partnership.objects.filter(pk=partnership.pk).exists()


def test_company_form_is_refused_for_a_non_private_partner(client_me, mine):
    response = client_me.post(reverse("networks:partnership_add"), partnership_payload(family="public"))
    assert response.status_code == 200
    assert response.content.decode().count(COMPANY_FORM_ERROR) == 1
    assert not Partnership.objects.filter(partner_name="Fondation des Territoires").exists()

    # On edit too: switching a company partner to « acteur public » without clearing the form.
    company = factories.PartnershipFactory(
        enrolment=mine[0], family="private", partner_type="company", company_form="patronage_financial"
    )
    response = client_me.post(
        reverse("networks:partnership_edit", args=[company.pk]), partnership_payload(family="peer")
    )
    assert response.content.decode().count(COMPANY_FORM_ERROR) == 1
    company.refresh_from_db()
    assert company.family == "private"


def test_company_form_has_help_text(client_me):
    content = client_me.get(reverse("networks:partnership_add")).content.decode()
    assert "seulement pour un partenaire de la famille « acteur privé »" in content


def test_partnership_list_search_filters_and_pagination(client_me, mine):
    enrolment = mine[0]
    add_partnerships(enrolment, 29)  # 30 in all
    factories.PartnershipFactory(enrolment=enrolment, partner_name="Banque Alimentaire du Rhône", family="peer",
                                 partner_type="association", scale="local")  # fmt: skip
    url = reverse("networks:partnerships")

    first = client_me.get(url)
    assert len(first.context["page_obj"]) == 25
    assert first.context["page_obj"].paginator.count == 31
    assert len(client_me.get(url, {"page": 2}).context["page_obj"]) == 6

    found = client_me.get(url, {"q": "alimentaire"}).context["page_obj"]
    assert [p.partner_name for p in found] == ["Banque Alimentaire du Rhône"]
    local_peers = client_me.get(url, {"family": "peer", "scale": "local"}).context["page_obj"]
    assert [p.partner_name for p in local_peers] == ["Banque Alimentaire du Rhône"]
    private = client_me.get(url, {"family": "private", "partner_type": "company"}).context["page_obj"]
    # add_partnerships cycles through the types across the whole run: count what this network holds.
    companies = enrolment.partnerships.filter(family="private", partner_type="company").count()
    assert companies >= 7  # one in four of the 29 (and maybe the network's first)
    assert private.paginator.count == companies and all(p.family == "private" for p in private)
    # An unknown filter value is ignored rather than failing the page.
    assert client_me.get(url, {"family": "martian"}).context["page_obj"].paginator.count == 31


def test_partnership_list_compares_partner_types_with_the_national_benchmark(client_me, mine):
    enrolment = mine[0]
    add_partnerships(enrolment, 2)  # local authority, association, company: 3 types

    content = client_me.get(reverse("networks:partnerships")).content.decode()

    assert "Cet inventaire mobilise 3 types de partenaires différents." in content
    assert "En moyenne, une association en compte 2,5 (Recherches & Solidarités / Le RAMEAU, 2017)." in content
    assert "supérieure à la moyenne nationale" in content


def test_empty_inventory_says_what_to_do(client, programme):
    person = factories.ParticipantFactory(enrolment=factories.EnrolmentFactory(programme=programme))
    client.force_login(person.user)
    content = client.get(reverse("networks:partnerships")).content.decode()
    assert "Votre inventaire est vide." in content
    assert reverse("networks:partnership_add") in content


# --- Obstacles --------------------------------------------------------------------------


def test_obstacle_add_edit_delete_round_trip(client_me, mine):
    payload = {"category": "skills", "description": "Pas de méthode pour évaluer nos partenariats.", "severity": "3"}
    response = client_me.post(reverse("networks:obstacle_add"), payload, follow=True)
    assert "Frein ajouté." in response.content.decode()
    obstacle = Obstacle.objects.get(description__startswith="Pas de méthode")
    assert (obstacle.enrolment, obstacle.category, obstacle.severity) == (mine[0], "skills", 3)

    response = client_me.post(
        reverse("networks:obstacle_edit", args=[obstacle.pk]), {**payload, "severity": "1"}, follow=True
    )
    assert "Frein modifié." in response.content.decode()
    obstacle.refresh_from_db()
    assert obstacle.severity == 1

    delete_url = reverse("networks:obstacle_delete", args=[obstacle.pk])
    assert "Supprimer ce frein ?" in client_me.get(delete_url).content.decode()
    assert Obstacle.objects.filter(pk=obstacle.pk).exists()
    assert "Frein supprimé." in client_me.post(delete_url, follow=True).content.decode()
    assert not Obstacle.objects.filter(pk=obstacle.pk).exists()


def test_obstacle_needs_a_description(client_me):
    response = client_me.post(reverse("networks:obstacle_add"), {"category": "time", "severity": "2"})
    assert response.status_code == 200
    assert response.context["form"].errors["description"]


# --- Roadmap ------------------------------------------------------------------------------


def test_roadmap_is_created_on_first_visit(client, programme):
    enrolment = factories.EnrolmentFactory(programme=programme)
    person = factories.ParticipantFactory(enrolment=enrolment)
    client.force_login(person.user)

    response = client.get(reverse("networks:roadmap"))

    assert response.status_code == 200
    assert Roadmap.objects.filter(enrolment=enrolment).count() == 1
    assert "Pas encore d'action" in response.content.decode()
    client.get(reverse("networks:roadmap"))
    assert Roadmap.objects.filter(enrolment=enrolment).count() == 1


def test_roadmap_get_or_create_service_is_idempotent(programme):
    enrolment = factories.EnrolmentFactory(programme=programme)
    first = roadmap_get_or_create(enrolment=enrolment)
    assert roadmap_get_or_create(enrolment=enrolment) == first


def test_roadmap_edit_title_and_ambition(client, programme):
    enrolment = factories.EnrolmentFactory(programme=programme)
    person = factories.ParticipantFactory(enrolment=enrolment)
    client.force_login(person.user)

    response = client.post(
        reverse("networks:roadmap_edit"),
        {"title": "Trois alliances territoriales", "ambition": "Nouer des alliances avec les régions."},
        follow=True,
    )

    assert "Feuille de route enregistrée." in response.content.decode()
    roadmap = Roadmap.objects.get(enrolment=enrolment)
    assert roadmap.title == "Trois alliances territoriales"
    assert "Trois alliances territoriales" in response.content.decode()


def test_action_add_edit_delete_round_trip(client_me, mine):
    enrolment, people = mine
    payload = {"title": "Cartographier les mécènes", "owner": people[1].pk, "due_on": "2018-09-30", "status": "todo"}

    response = client_me.post(reverse("networks:action_add"), payload, follow=True)
    assert "Action ajoutée." in response.content.decode()
    action = RoadmapAction.objects.get(title="Cartographier les mécènes")
    assert action.roadmap.enrolment == enrolment
    assert action.owner == people[1]
    assert action.due_on == dt.date(2018, 9, 30)

    edit_url = reverse("networks:action_edit", args=[action.pk])
    response = client_me.post(edit_url, {**payload, "status": "done"}, follow=True)
    assert "Action modifiée." in response.content.decode()
    action.refresh_from_db()
    assert action.status == "done"
    assert action.done_on is not None, "an action marked done gets today's date"

    delete_url = reverse("networks:action_delete", args=[action.pk])
    assert "Supprimer l'action « Cartographier les mécènes » ?" in unescape(client_me.get(delete_url).content.decode())
    assert RoadmapAction.objects.filter(pk=action.pk).exists()
    assert "Action supprimée." in client_me.post(delete_url, follow=True).content.decode()
    assert not RoadmapAction.objects.filter(pk=action.pk).exists()


def test_action_owner_is_restricted_to_my_network(client_me, mine, neighbour):
    form = client_me.get(reverse("networks:action_add")).context["form"]
    assert set(form.fields["owner"].queryset) == set(mine[1])

    response = client_me.post(
        reverse("networks:action_add"), {"title": "Action piégée", "owner": neighbour.pk, "status": "todo"}
    )
    assert response.status_code == 200
    assert "owner" in response.context["form"].errors
    assert not RoadmapAction.objects.filter(title="Action piégée").exists()


def test_done_date_on_an_open_action_is_refused(client_me):
    response = client_me.post(
        reverse("networks:action_add"), {"title": "Action", "status": "todo", "done_on": "2018-05-01"}
    )
    assert "Seule une action réalisée a une date de réalisation." in response.content.decode()


def test_overdue_actions_are_highlighted(client_me, mine):
    roadmap = Roadmap.objects.get(enrolment=mine[0])
    RoadmapAction.objects.filter(roadmap=roadmap).delete()
    factories.RoadmapActionFactory(roadmap=roadmap, title="En retard", due_on=dt.date(2000, 1, 1))
    factories.RoadmapActionFactory(roadmap=roadmap, title="Faite", due_on=dt.date(2000, 1, 1), status="done")
    factories.RoadmapActionFactory(roadmap=roadmap, title="À venir", due_on=dt.date(2999, 1, 1))

    response = client_me.get(reverse("networks:roadmap"))

    overdue = {action.title: action.is_overdue for action in response.context["page_obj"]}
    assert overdue == {"En retard": True, "Faite": False, "À venir": False}
    content = response.content.decode()
    assert content.count('class="table-danger"') == 1
    assert "1 action en retard" in content


# --- Share flag and cohort ----------------------------------------------------------


def test_share_toggle(client_me, mine):
    enrolment = mine[0]
    content = client_me.get(reverse("networks:partnerships")).content.decode()
    assert "Partager notre inventaire avec la promotion" in content

    response = client_me.post(reverse("networks:share_inventory"), {"share": "1"}, follow=True)
    assert "désormais partagé" in response.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.share_inventory

    client_me.post(reverse("networks:share_inventory"), {"share": "0"})
    enrolment.refresh_from_db()
    assert not enrolment.share_inventory


def test_cohort_shows_only_sharing_pilot_networks_of_my_edition(client_me, programme, mine, stranger):
    sharing, _people = network_with_work(programme, partnerships=3, share_inventory=True)
    private, _people = network_with_work(programme, share_inventory=False)
    pending, _people = network_with_work(programme, share_inventory=True, status=Enrolment.Status.PENDING)

    response = client_me.get(reverse("networks:cohort"))

    listed = list(response.context["page_obj"])
    assert listed == [sharing]
    assert listed[0].partnership_total == 3
    content = response.content.decode()
    assert sharing.network.name in content
    assert reverse("networks:cohort_network", args=[sharing.pk]) in content
    for hidden in (private, pending, stranger.enrolment, mine[0]):
        assert hidden.network.name not in content
    assert "Votre inventaire n'est pas partagé." in content


def test_cohort_network_shows_a_shared_inventory_read_only(client_me, programme):
    sharing, _people = network_with_work(programme, partnerships=2, share_inventory=True)

    response = client_me.get(reverse("networks:cohort_network", args=[sharing.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    for partnership in sharing.partnerships.all():
        assert partnership.partner_name in content
        assert reverse("networks:partnership_edit", args=[partnership.pk]) not in content


def test_cohort_network_of_a_network_that_did_not_share_is_404(client_me, programme, stranger):
    private, _people = network_with_work(programme, share_inventory=False)
    pending, _people = network_with_work(programme, share_inventory=True, status=Enrolment.Status.PENDING)
    for enrolment in (private, pending, stranger.enrolment):
        assert client_me.get(reverse("networks:cohort_network", args=[enrolment.pk])).status_code == 404


def test_empty_cohort_says_what_to_do(client_me):
    content = client_me.get(reverse("networks:cohort")).content.decode()
    assert "Aucun réseau n'a encore partagé son inventaire." in content


# --- Query counts: constant whatever the amount of data --------------------------------


def grow(programme, mine):
    """From 1 network with 1 line of each kind to 20 networks, mine with 30 partnerships and 30 actions."""
    enrolment, people = mine
    add_partnerships(enrolment, 29)
    roadmap = Roadmap.objects.get(enrolment=enrolment)
    for index in range(29):
        factories.RoadmapActionFactory(roadmap=roadmap, owner=people[index % 2], due_on=dt.date(2000 + index, 1, 1))
    for _ in range(10):
        factories.ObstacleFactory(enrolment=enrolment)
    for _ in range(19):
        network_with_work(programme, partnerships=3, obstacles=2, actions=2, share_inventory=True)


@pytest.mark.parametrize(
    "name",
    ["networks:space", "networks:partnerships", "networks:obstacles", "networks:roadmap", "networks:cohort"],
)
def test_list_pages_run_a_constant_number_of_queries(client_me, programme, mine, name):
    mine[0].share_inventory = True
    mine[0].save()
    url = reverse(name)

    small = count_queries(client_me, url)
    grow(programme, mine)
    big = count_queries(client_me, url)

    assert small == big, f"{name}: {small} queries with 1 network, {big} with 20"


def test_shared_inventory_page_runs_a_constant_number_of_queries(client_me, programme, mine):
    sharing, _people = network_with_work(programme, share_inventory=True)
    url = reverse("networks:cohort_network", args=[sharing.pk])

    small = count_queries(client_me, url)
    add_partnerships(sharing, 40)
    grow(programme, mine)
    big = count_queries(client_me, url)

    assert small == big
