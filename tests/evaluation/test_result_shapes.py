"""The results' and the dashboard's data match their declared types (TypedDicts), key for key.

Until mypy checks the callers, this keeps the types honest: a key added, renamed or dropped in
evaluation/results.py or evaluation/dashboard.py without its TypedDict fails here. Checked on the
demo data (the pilot and the current edition), for coordinators and for committee readers.
"""

import io
import types
import typing
from collections.abc import Sequence

import pytest
from django.core.management import call_command

from alliances.models import Programme
from evaluation import results
from evaluation.dashboard import key_figure_rows, programme_dashboard, snapshot
from evaluation.dashboard_types import Dashboard, KeyFigureRow, Snapshot
from evaluation.models import Questionnaire


def conforms(value, expected, path="data"):
    """Raise AssertionError, naming the path, where ``value`` does not match the type ``expected``."""
    origin = typing.get_origin(expected)
    if expected is typing.Any:
        return
    if typing.is_typeddict(expected):
        assert isinstance(value, dict), f"{path}: {type(value).__name__}, not a dict"
        keys = set(value)
        missing = expected.__required_keys__ - keys
        unknown = keys - expected.__required_keys__ - expected.__optional_keys__
        assert not missing and not unknown, (
            f"{path} ({expected.__name__}): missing {sorted(missing)}, undeclared {sorted(unknown)}"
        )
        hints = typing.get_type_hints(expected)
        for key, item in value.items():
            conforms(item, hints[key], f"{path}.{key}")
    elif origin in (typing.Union, types.UnionType):
        errors = []
        for option in typing.get_args(expected):
            try:
                conforms(value, option, path)
                return
            except AssertionError as error:
                errors.append(str(error))
        raise AssertionError(" / ".join(errors))
    elif expected is type(None):
        assert value is None, f"{path}: {value!r} is not None"
    elif origin is list or origin is Sequence:
        assert isinstance(value, list), f"{path}: {type(value).__name__}, not a list"
        (item_type,) = typing.get_args(expected)
        for index, item in enumerate(value):
            conforms(item, item_type, f"{path}[{index}]")
    elif origin is tuple:
        assert isinstance(value, tuple) and len(value) == len(typing.get_args(expected)), f"{path}: {value!r}"
        for index, (item, item_type) in enumerate(zip(value, typing.get_args(expected), strict=True)):
            conforms(item, item_type, f"{path}[{index}]")
    elif origin is dict:
        key_type, item_type = typing.get_args(expected)
        assert isinstance(value, dict), f"{path}: {type(value).__name__}, not a dict"
        for key, item in value.items():
            conforms(key, key_type, f"{path} key")
            conforms(item, item_type, f"{path}[{key!r}]")
    elif expected is float:
        assert isinstance(value, int | float) and not isinstance(value, bool), f"{path}: {value!r} is not a number"
    elif expected is int:
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: {value!r} is not an int"
    else:
        assert isinstance(value, expected), f"{path}: {type(value).__name__}, not {expected.__name__}"


def test_the_checker_names_what_does_not_match():
    with pytest.raises(AssertionError, match=r"missing \['withheld'\]"):
        conforms(
            {"session": None, "questionnaire_id": None, "respondents": 0, "mean": None}, results.SessionSatisfaction
        )
    with pytest.raises(AssertionError, match=r"data.respondents: '3' is not an int"):
        conforms(
            {
                "session": {"id": 1, "number": 1, "code": "S1", "title": "Comprendre"},
                "questionnaire_id": None,
                "respondents": "3",
                "mean": None,
                "withheld": False,
            },
            results.SessionSatisfaction,
        )


@pytest.mark.django_db
def test_the_results_and_the_dashboard_of_the_demo_match_their_types():
    call_command("load_demo", stdout=io.StringIO())
    programmes = list(Programme.objects.order_by("pk"))
    assert programmes
    checked_text_answers = False
    for programme in programmes:
        for for_coordinator in (True, False):
            data = results.programme_results(programme, for_coordinator=for_coordinator)
            conforms(data, results.ProgrammeResults, f"programme_results({programme.slug})")
            dashboard = programme_dashboard(programme, for_coordinator=for_coordinator)
            conforms(dashboard, Dashboard, f"programme_dashboard({programme.slug})")
        conforms(snapshot(dashboard), Snapshot, "snapshot")
        conforms(key_figure_rows(dashboard["key_figures"]), list[KeyFigureRow], "key_figure_rows")
        for questionnaire in Questionnaire.objects.filter(programme=programme):
            for for_coordinator in (True, False):
                entry = results.questionnaire_results(questionnaire, for_coordinator=for_coordinator)
                conforms(entry, results.QuestionnaireResult, f"questionnaire_results({questionnaire.pk})")
                checked_text_answers |= any(q.get("answers") for q in entry["questions"])
    assert checked_text_answers, "the demo has free-text answers: their rows were checked too"
