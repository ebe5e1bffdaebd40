"""Formatting of result figures in French: shares as percentages, means with a decimal comma."""

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def percent(share):
    """0.425 → « 43 % » (a narrow no-break space before the sign); None → « — »."""
    if share is None:
        return "—"
    return f"{floatformat(share * 100, 0)}\u202f%"


@register.filter
def score(mean):
    """3.5 → « 3,50 » in French; None → « — »."""
    if mean is None:
        return "—"
    return floatformat(mean, 2)


@register.filter
def signed(delta):
    """A progression: « +1,25 », « −0,50 », « 0,00 »; None → « — »."""
    if delta is None:
        return "—"
    text = floatformat(abs(delta), 2)
    if delta > 0:
        return f"+{text}"
    if delta < 0:
        return f"\u2212{text}"
    return text


@register.filter
def share_value(share):
    """A share as a 0–100 number for a <progress> element."""
    return 0 if share is None else round(share * 100)
