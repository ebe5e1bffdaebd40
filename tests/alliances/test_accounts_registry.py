"""The profile page and the end of an invitation take a new app's part (alliances.accounts.account_parts)."""

import pytest
from crispy_forms.helper import FormHelper
from django import forms
from django.urls import reverse

from alliances import accounts
from tests import factories


class NicknameForm(forms.Form):
    prefix = "nickname"
    nickname = forms.CharField(label="Surnom dans app factice")

    def __init__(self, data=None, *, saved):
        super().__init__(data)
        self.saved = saved
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def save(self):
        self.saved.append(self.cleaned_data["nickname"])


class FakeAppAccount:
    key = "fake_app"

    def __init__(self):
        self.saved = []

    def profile(self, request, data):
        return accounts.ProfilePart(forms=[NicknameForm(data, saved=self.saved)], context={"fake_app": True})

    def after_invitation(self, user):
        return None


@pytest.fixture
def fake_account():
    contribution = FakeAppAccount()
    accounts.account_parts.register(contribution)
    yield contribution
    accounts.account_parts.unregister(contribution.key)


def test_networks_contributes_the_participation():
    assert "participation" in {part.key for part in accounts.account_parts.all()}


def test_a_new_apps_profile_form_is_shown_and_saved(client, db, fake_account):
    user = factories.UserFactory(first_name="Alex", last_name="Durand")
    client.force_login(user)

    page = client.get(reverse("accounts:profile"))
    assert "Surnom dans app factice" in page.content.decode()
    assert page.context["fake_app"] is True

    response = client.post(
        reverse("accounts:profile"),
        {"first_name": "Alex", "last_name": "Durand", "phone": "", "nickname-nickname": "Lex"},
    )
    assert response.status_code == 302, response.context and [f.errors for f in response.context["section_forms"]]
    assert fake_account.saved == ["Lex"]
