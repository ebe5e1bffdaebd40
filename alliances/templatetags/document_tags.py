"""Small filters for the documents' templates (PDF and web dashboard): numbers the French way, « — » when unknown."""

from django import template

from alliances.charts import format_number

register = template.Library()


@register.filter
def num(value, decimals=1):
    """« 2,5 », « 12 »; « — » for None (no data yet)."""
    return format_number(value, int(decimals))


@register.filter
def pct(value, decimals=0):
    """« 67 % »; « — » for None (nothing to measure yet)."""
    if value is None:
        return "—"
    return format_number(value, int(decimals), "%")


@register.filter
def signed(value, decimals=1):
    """« +3 », « −1,5 », « = » for a change between two packs; « — » when unknown."""
    if value is None:
        return "—"
    if value == 0:
        return "="
    text = format_number(abs(value), int(decimals))
    return f"+{text}" if value > 0 else f"\u2212{text}"


@register.filter
def presence_mark(value):
    """An attendance cell: ✓ present, ✗ absent, · not recorded."""
    if value is None:
        return "·"
    return "✓" if value else "✗"
