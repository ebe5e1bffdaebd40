"""The resource library (listing, filters, downloads) and the announcements list."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.factories_community import assert_login_redirect, committee_user, count_queries, participant_in

RESOURCES = reverse("community:resources")
ANNOUNCEMENTS = reverse("community:announcements")


@pytest.fixture
def me(programme):
    return participant_in(programme)


@pytest.fixture
def my_client(client, me):
    client.force_login(me.user)
    return client


def download_url(resource):
    return reverse("community:resource_download", kwargs={"pk": resource.pk})


def file_resource(programme, title="Kit partenariats", content=b"%PDF-1.4 kit", **kwargs):
    return factories.ResourceFactory(
        programme=programme, title=title, url="", file=SimpleUploadedFile("kit.pdf", content), **kwargs
    )


def titles(response):
    return [resource.title for resource in response.context["page"].object_list]


# --- Resource library --------------------------------------------------------------------


def test_resources_grouped_by_theme(my_client, programme):
    rse = factories.ThemeFactory(programme=programme, title="RSE & partenariats", order=5)
    models = factories.ThemeFactory(programme=programme, title="Modèles socio-économiques", order=2)
    s1 = factories.SessionFactory(programme=programme, number=1, code="S1")
    factories.ResourceFactory(programme=programme, theme=rse, title="Guide RSE", session=s1)
    factories.ResourceFactory(programme=programme, theme=models, title="Étude modèles")
    factories.ResourceFactory(
        programme=programme, title="Kit partenariats associations – entreprises", url="https://example.org/kit"
    )
    file_resource(programme, title="Support S1", session=s1)

    response = my_client.get(RESOURCES)

    assert response.status_code == 200
    # Themes in their order, then the resources without a theme.
    assert titles(response) == [
        "Étude modèles",
        "Guide RSE",
        "Kit partenariats associations – entreprises",
        "Support S1",
    ]
    content = response.content.decode()
    assert "Modèles socio-économiques" in content and "Autres ressources (sans thématique)" in content
    assert 'href="https://example.org/kit"' in content
    assert download_url(programme.resources.get(title="Support S1")) in content


def test_resources_grouped_by_session(my_client, programme):
    s2 = factories.SessionFactory(programme=programme, number=2, code="S2")
    s1 = factories.SessionFactory(programme=programme, number=1, code="S1")
    factories.ResourceFactory(programme=programme, session=s2, title="A — support S2")
    factories.ResourceFactory(programme=programme, session=s1, title="B — support S1")
    factories.ResourceFactory(programme=programme, title="C — général")

    response = my_client.get(RESOURCES, {"group": "session"})

    assert titles(response) == ["B — support S1", "A — support S2", "C — général"]
    assert "Ressources générales (sans session)" in response.content.decode()


def test_search_and_filters(my_client, programme):
    theme = factories.ThemeFactory(programme=programme)
    session = factories.SessionFactory(programme=programme)
    factories.ResourceFactory(programme=programme, title="Mécénat de compétences", theme=theme)
    factories.ResourceFactory(programme=programme, title="Autre", description="Parle de mécénat aussi", session=session)
    factories.ResourceFactory(programme=programme, title="Sans rapport")

    assert sorted(titles(my_client.get(RESOURCES, {"q": "mécénat"}))) == ["Autre", "Mécénat de compétences"]
    assert titles(my_client.get(RESOURCES, {"theme": theme.pk})) == ["Mécénat de compétences"]
    assert titles(my_client.get(RESOURCES, {"session": session.pk})) == ["Autre"]
    response = my_client.get(RESOURCES, {"q": "introuvable"})
    assert titles(response) == []
    assert "Aucune ressource ne correspond à votre recherche." in response.content.decode()


def test_another_editions_resources_are_not_listed_nor_filterable(my_client, programme):
    other = factories.ProgrammeFactory()
    foreign_theme = factories.ThemeFactory(programme=other)
    factories.ResourceFactory(programme=other, title="Ressource étrangère", theme=foreign_theme)
    factories.ResourceFactory(programme=programme, title="Ma ressource")

    assert titles(my_client.get(RESOURCES)) == ["Ma ressource"]
    # Another edition's theme is not a valid filter: the form refuses it and nothing leaks.
    response = my_client.get(RESOURCES, {"theme": foreign_theme.pk})
    assert "Ressource étrangère" not in response.content.decode()


def test_resources_empty_state(my_client):
    response = my_client.get(RESOURCES)
    assert response.status_code == 200
    assert "Le centre de ressources est encore vide" in response.content.decode()


def test_resources_are_paginated(my_client, programme):
    for index in range(30):
        factories.ResourceFactory(programme=programme, title=f"Ressource {index:02d}")
    first = my_client.get(RESOURCES)
    assert len(titles(first)) == 25
    assert len(titles(my_client.get(RESOURCES, {"page": 2}))) == 5


def test_download_a_file_of_my_edition(my_client, programme):
    resource = file_resource(programme, content=b"%PDF-1.4 contenu du kit")
    response = my_client.get(download_url(resource))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 contenu du kit"


def test_download_of_another_edition_is_404(my_client):
    foreign = file_resource(factories.ProgrammeFactory())
    assert my_client.get(download_url(foreign)).status_code == 404


def test_download_of_a_link_or_a_lost_file_is_404(my_client, programme):
    link = factories.ResourceFactory(programme=programme)
    assert my_client.get(download_url(link)).status_code == 404
    lost = file_resource(programme, title="Perdu")
    lost.file.storage.delete(lost.file.name)
    assert my_client.get(download_url(lost)).status_code == 404


def test_resources_roles(client, programme):
    resource = file_resource(programme)
    assert_login_redirect(client.get(RESOURCES))
    assert_login_redirect(client.get(download_url(resource)))
    client.force_login(committee_user(programme))
    assert client.get(RESOURCES).status_code == 403
    assert client.get(download_url(resource)).status_code == 403


def _add_networks_of_resources(programme, count):
    for _ in range(count):
        participant_in(programme)
        theme = factories.ThemeFactory(programme=programme)
        session = factories.SessionFactory(programme=programme)
        factories.ResourceFactory(programme=programme, theme=theme, session=session)
        file_resource(programme, title=f"Support {session.pk}", session=session)


def test_resources_query_count_does_not_grow(my_client, programme):
    _add_networks_of_resources(programme, 1)
    one_network = count_queries(my_client, RESOURCES)
    _add_networks_of_resources(programme, 19)
    twenty_networks = count_queries(my_client, RESOURCES)
    assert one_network == twenty_networks


# --- Announcements -----------------------------------------------------------------------


def test_announcements_newest_first(my_client, programme, coordinator):
    now = timezone.now()
    factories.AnnouncementFactory(programme=programme, title="Ancienne", published_at=now - dt.timedelta(days=10))
    factories.AnnouncementFactory(programme=programme, title="Récente", author=coordinator)
    factories.AnnouncementFactory(programme=programme, title="Programmée", published_at=now + dt.timedelta(days=3))
    factories.AnnouncementFactory(title="Autre édition")

    response = my_client.get(ANNOUNCEMENTS)

    assert response.status_code == 200
    assert titles(response) == ["Récente", "Ancienne"]


def test_announcements_paginated_and_searchable(my_client, programme):
    for index in range(27):
        factories.AnnouncementFactory(programme=programme, title=f"Annonce {index}")
    factories.AnnouncementFactory(programme=programme, title="Visite terrain à Lyon", body="Inscrivez-vous.")
    assert len(titles(my_client.get(ANNOUNCEMENTS))) == 25
    assert len(titles(my_client.get(ANNOUNCEMENTS, {"page": 2}))) == 3
    assert titles(my_client.get(ANNOUNCEMENTS, {"q": "lyon"})) == ["Visite terrain à Lyon"]


def test_announcements_empty_state(my_client):
    response = my_client.get(ANNOUNCEMENTS)
    assert "Aucune annonce pour l'instant" in response.content.decode()


def test_announcements_roles(client, programme):
    assert_login_redirect(client.get(ANNOUNCEMENTS))
    client.force_login(committee_user(programme))
    assert client.get(ANNOUNCEMENTS).status_code == 403


def test_announcements_query_count_does_not_grow(my_client, programme, coordinator):
    def add(count):
        for _ in range(count):
            participant_in(programme)
            factories.AnnouncementFactory(programme=programme, author=coordinator)

    add(1)
    one_network = count_queries(my_client, ANNOUNCEMENTS)
    add(19)
    twenty_networks = count_queries(my_client, ANNOUNCEMENTS)
    assert one_network == twenty_networks
