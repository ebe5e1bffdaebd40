"""The « Dupliquer l'édition » action on the list of editions (admin).

An action of the core's ProgrammeAdmin (alliances/admin.py). Programme managers and superusers
only: the action asks for the « add » permission, which ProgrammeAdmin grants to them alone —
coordinators do not create editions — and the service checks it again. The one who duplicates
becomes a coordinator of the copy.

Select one edition, run the action: an intermediate page asks for the new name,
identifier and offset in days (365 by default), says what will and will not be
copied (each app's contribution says its part), then calls
``alliances.duplication.programme_duplicate`` and opens the new edition.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from alliances.duplication import (
    DEFAULT_OFFSET_DAYS,
    MAX_OFFSET_DAYS,
    duplication_left_out,
    duplication_notes,
    duplication_summary,
    programme_duplicate,
    shift_date,
    slug_taken_message,
)
from alliances.models import Programme

ACTION_NAME = "duplicate_programme"


class DuplicateProgrammeForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Nom de la nouvelle édition"), max_length=200)
    slug = forms.SlugField(
        label=gettext_lazy("Identifiant"),
        max_length=80,
        help_text=gettext_lazy("Lettres, chiffres et tirets, unique ; il apparaît dans les adresses des pages."),
    )
    offset_days = forms.IntegerField(
        label=gettext_lazy("Décalage des dates (jours)"),
        min_value=-MAX_OFFSET_DAYS,
        max_value=MAX_OFFSET_DAYS,
        initial=DEFAULT_OFFSET_DAYS,
    )

    def __init__(self, *args, source, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offset_days"].help_text = _(
            "Toutes les dates de l'édition sont décalées d'autant. L'édition source commence le %(start)s : "
            "avec %(days)d jours, la copie commencerait le %(new_start)s."
        ) % {
            "start": source.starts_on.strftime("%d/%m/%Y"),
            "days": DEFAULT_OFFSET_DAYS,
            "new_start": shift_date(source.starts_on, DEFAULT_OFFSET_DAYS).strftime("%d/%m/%Y"),
        }

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if Programme.objects.filter(slug=slug).exists():
            raise ValidationError(slug_taken_message(slug=slug, name=self.cleaned_data.get("name")))
        return slug


def _initial(source):
    return {"name": f"{source.name} ({_('copie')})", "slug": f"{source.slug}-copie"[:80]}


@admin.action(description=gettext_lazy("Dupliquer l'édition (nouvelle édition, dates décalées)"), permissions=["add"])
def duplicate_programme(modeladmin, request, queryset):
    selected = list(queryset.order_by("pk")[:2])
    if len(selected) != 1:
        modeladmin.message_user(request, _("Choisissez une seule édition à dupliquer."), messages.ERROR)
        return None
    source = selected[0]

    if "apply" in request.POST:
        form = DuplicateProgrammeForm(request.POST, source=source)
        if form.is_valid():
            try:
                programme = programme_duplicate(
                    source=source,
                    name=form.cleaned_data["name"],
                    slug=form.cleaned_data["slug"],
                    offset_days=form.cleaned_data["offset_days"],
                    duplicated_by=request.user,
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, field_errors in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, field_errors)
                else:
                    form.add_error(None, error)
            else:
                message = ngettext(
                    "L'édition « %(new)s » a été créée à partir de « %(source)s », dates décalées de %(days)d jour. "
                    "Vérifiez ses dates, puis désignez les membres des comités.",
                    "L'édition « %(new)s » a été créée à partir de « %(source)s », dates décalées de %(days)d jours. "
                    "Vérifiez ses dates, puis désignez les membres des comités.",
                    abs(form.cleaned_data["offset_days"]),
                ) % {"new": programme.name, "source": source.name, "days": form.cleaned_data["offset_days"]}
                modeladmin.message_user(request, message, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:alliances_programme_change", args=[programme.pk]))
    else:
        form = DuplicateProgrammeForm(initial=_initial(source), source=source)

    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Dupliquer l'édition « %(name)s »") % {"name": source.name},
        "opts": opts,
        "source": source,
        "form": form,
        "copied": duplication_summary(source),
        "notes": duplication_notes(),
        "left_out": ", ".join(duplication_left_out()),
        "action_name": ACTION_NAME,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "changelist_url": reverse("admin:alliances_programme_changelist"),
    }
    return TemplateResponse(request, "admin/alliances/programme_duplicate.html", context)
