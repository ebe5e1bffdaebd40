"""Who is expected to answer a questionnaire, and who has not: the one definition for the cockpit and the relances.

The expected respondents are the people of the questionnaire's audience
(:meth:`Questionnaire.audience_participants`: the edition's participants of networks in
accord, or those present at its session) with an active account; a non-respondent is
one of them without a :class:`~evaluation.models.Response`. The reminders
(``evaluation/reminders.py``) ask the same, minus those who switched the questionnaire
e-mails off.
"""

from django.db.models import Exists, OuterRef, QuerySet

from evaluation.models import Questionnaire, Response
from networks.models import Participant


def expected_respondents(questionnaire: Questionnaire) -> QuerySet[Participant]:
    """The participants the questionnaire expects an answer from."""
    return questionnaire.audience_participants().filter(user__is_active=True)


def non_respondents(questionnaire: Questionnaire) -> QuerySet[Participant]:
    """The expected respondents of ``questionnaire`` who have not answered it."""
    answered = Exists(Response.objects.filter(questionnaire=questionnaire, participant=OuterRef("pk")))
    return expected_respondents(questionnaire).exclude(answered)
