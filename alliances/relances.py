"""Relances: one message to each person who has not answered yet (a session, a questionnaire).

INTERFACE ONLY for now: the mechanism (the Relance model, its preview and sending
through the notifications) is being built. Panels already call :func:`latest_for`
and include ``cockpit/_relance.html`` with ``obj`` (the session or questionnaire)
and ``relance`` (the latest relance of ``obj``, or ``None``).
"""


def latest_for(objects):
    """``{obj.pk: latest relance}`` for objects of one model, in one query."""
    return {}
