"""Month names in running text: « d'octobre 2026 », « de juin 2027 » (issue 14, item 9).

Django's ``date:"M"`` gives three-letter abbreviations (« Oct », « Jui » for both June and July):
pages write the month in full (``date:"F Y"``), and a text that says « de <month year> » takes the
elision French requires before a vowel (avril, août, octobre) through ``de_mois``.
"""

from django import template
from django.utils import formats
from django.utils.translation import get_language

register = template.Library()

VOWELS = "aeiouyàâéèêîôû"  # of the French months: avril, août, octobre


def de_mois(value, fmt="F Y"):
    """« de juin 2027 », « d'octobre 2026 », « d'avril », « d'août 2026 »: the month (``fmt``) after « de ».

    In French only: another language gets the month alone (its translation of the sentence carries
    its own preposition). An empty value gives "".
    """
    if not value:
        return ""
    text = formats.date_format(value, fmt)
    if not (get_language() or "fr").startswith("fr"):
        return text
    return f"d'{text}" if text[:1].lower() in VOWELS else f"de {text}"


register.filter("de_mois", de_mois)
