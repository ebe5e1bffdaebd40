"""What the accounts pages need from networks: the participation on the profile, the portal after an invitation."""

from typing import cast

from django.http import HttpRequest, QueryDict

from alliances.accounts import ProfilePart, account_parts
from alliances.models import User
from networks.access import ParticipantHttpRequest, current_participant, participations
from networks.forms_profile import ParticipantProfileForm


@account_parts.register
class ParticipationAccount:
    key = "participation"

    def profile(self, request: HttpRequest, data: QueryDict | None) -> ProfilePart:
        """The current participation's job title and directory listing (never the previewed participant's)."""
        participant = current_participant(request, preview=False)
        # The portal's navigation shows when there is one (read as on the participant pages).
        cast(ParticipantHttpRequest, request).participant = participant
        form = ParticipantProfileForm(data, instance=participant) if participant is not None else None
        return ProfilePart(
            forms=[form] if form is not None else [],
            context={"participant": participant, "participant_form": form},
        )

    def after_invitation(self, user: User) -> str | None:
        """Participants land on the portal home once their account is activated."""
        return "portal:home" if participations(user).exists() else None
