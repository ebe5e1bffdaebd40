"""A new app's cockpit panel and relance target are picked up through the core's registries."""

import pytest
from django.urls import reverse

from alliances import cockpit, relances
from alliances.models import Phase

pytestmark = pytest.mark.django_db


class FakePanel(cockpit.Panel):
    """What an app's ``cockpit.py`` would contribute: a panel with one alert."""

    key = "fake-app"
    title = "Panneau d'une nouvelle application"
    template = "cockpit/_phases.html"
    order = 1

    def get_data(self, programme, *, request, today, now):
        return {"current": None, "phases": [], "late_steps": []}

    def alerts(self, data):
        return [cockpit.Alert(text="Une alerte de la nouvelle application", anchor=self.key)]


@pytest.fixture
def fake_panel():
    cockpit.panels()  # the real apps' panels first
    cockpit.register(FakePanel)
    yield
    cockpit.registry.unregister(FakePanel.key)


def test_a_registered_panel_and_its_alert_appear_on_the_cockpit(fake_panel, programme, coordinator, client):
    Phase.objects.filter(programme=programme).delete()
    client.force_login(coordinator)
    response = client.get(reverse("cockpit:edition", args=[programme.slug]))
    assert response.status_code == 200
    assert "Une alerte de la nouvelle application" in response.content.decode()
    assert 'id="fake-app"' in response.content.decode()
    assert cockpit.panels()[0].key == "fake-app"  # order 1: before the core's own


def test_a_panel_without_a_template_is_refused():
    class Broken(cockpit.Panel):
        key = "broken"

    with pytest.raises(ValueError, match="template"):
        cockpit.register(Broken)


def test_a_registered_relance_target_is_found_by_key_and_by_object(programme):
    from alliances.models import Programme

    @relances.register
    class ProgrammeTarget(relances.Target):
        key = "fake-programme"
        model = Programme

    try:
        assert relances.target_for("fake-programme").model is Programme
        assert relances.target_of(programme).key == "fake-programme"
    finally:
        relances.registry.unregister("fake-programme")
    assert relances.target_for("fake-programme") is None
