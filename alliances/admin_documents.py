"""Documents (reports) in the admin: launch one, follow its status, download it, produce it again.

« Ajouter » opens a small launch form instead of Django's add form: the document kind and the
edition first, then — when the kind needs them — its parameters (a session, a participant, a
committee…) offered for that edition. The rendering runs in a worker; while documents of the
list are pending, the list reloads itself every few seconds (a ``Refresh`` header, no script) — not for ever:
a document pending or running for longer than a render may take stops it (its worker is presumably gone;
the watchdog or « Produire à nouveau » takes over).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from alliances.admin_scoping import ChoiceListFilter, ProgrammeScopedAdmin, is_superuser
from alliances.documents import (
    DocumentError,
    awaited,
    get_kind,
    kind_choices,
    report_delete_file,
    report_render_again,
    report_request,
    report_title,
)
from alliances.models import Programme, Report

REFRESH_SECONDS = 5
PENDING = (Report.Status.PENDING, Report.Status.RUNNING)


class KindFilter(ChoiceListFilter):
    title = gettext_lazy("document")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return kind_choices()

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class LaunchForm(forms.Form):
    """Step 1: the kind and the edition; step 2 adds the kind's parameters, offered for that edition."""

    kind = forms.ChoiceField(label=gettext_lazy("Document"))
    programme = forms.ModelChoiceField(label=gettext_lazy("Édition"), queryset=Programme.objects.none())

    def __init__(self, *args, programmes, kind=None, programme=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "---------"), *kind_choices()]
        self.fields["programme"].queryset = programmes
        self.document_kind = kind
        if kind is not None and programme is not None:
            self.fields["kind"].widget = forms.HiddenInput()
            self.fields["programme"].widget = forms.HiddenInput()
            for parameter in kind.parameters:
                if parameter.choices is not None:
                    choices = parameter.choices(programme)
                    if not parameter.required and not any(value == "" for value, _label in choices):
                        choices = [("", "---------"), *choices]
                    field = forms.ChoiceField(choices=choices, required=parameter.required)
                else:
                    field = forms.CharField(required=parameter.required, max_length=254)
                field.label = str(parameter.label).capitalize()
                field.help_text = parameter.help_text
                self.fields[parameter.name] = field


@admin.register(Report)
class ReportAdmin(ProgrammeScopedAdmin):
    change_list_template = "admin/alliances/report/change_list.html"
    programme_path = "programme"
    list_display = ("title", "programme", "status_display", "pages", "created_at", "finished_at", "download_link")
    list_filter = ("status", KindFilter, "programme")
    list_select_related = ("programme", "requested_by")
    search_fields = ("parameters__title", "error")
    date_hierarchy = "created_at"
    fields = (
        "title",
        "kind",
        "programme",
        "status_display",
        "error",
        "download_link",
        "pages",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
        "attempts",
        "requeued_at",
    )
    readonly_fields = fields
    actions = ("render_again",)

    # --- Columns -------------------------------------------------------------------

    @admin.display(description=gettext_lazy("document"), ordering="kind")
    def title(self, obj):
        return report_title(obj)

    @admin.display(description=gettext_lazy("statut"), ordering="status")
    def status_display(self, obj):
        label = obj.get_status_display()
        if obj.status == Report.Status.FAILED:
            return format_html("<strong>{}</strong> — {}", label, obj.error[:300] or _("sans message"))
        if obj.status in PENDING:
            return format_html("<em>{}…</em>", label)
        return label

    @admin.display(description=gettext_lazy("fichier"))
    def download_link(self, obj):
        if obj.status != Report.Status.READY:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("documents:download", args=[obj.pk]), _("Télécharger"))

    # --- Views ---------------------------------------------------------------------

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_launch"
        return [
            path("produire/", self.admin_site.admin_view(self.launch_view), name=name),
            *super().get_urls(),
        ]

    # No hand-made reports: documents are launched with the launch form (« Produire un document »).
    def has_add_permission(self, request):
        return False

    def has_launch_permission(self, request):
        """Superusers, and coordinators for the editions they coordinate."""
        if is_superuser(request):
            return True
        return self.coordinator_may(request, "add")

    def _programmes(self, request):
        if is_superuser(request):
            return Programme.objects.all()
        return Programme.objects.coordinated_by(request.user)

    def launch_view(self, request):
        if not self.has_launch_permission(request):
            raise PermissionDenied
        programmes = self._programmes(request)
        kind = programme = None
        if request.method != "POST":
            initial = request.GET.dict()
            only = list(programmes[:2])
            if len(only) == 1:
                initial.setdefault("programme", only[0].pk)
            form = LaunchForm(programmes=programmes, initial=initial)
        else:
            form = LaunchForm(request.POST, programmes=programmes)
            if form.is_valid():
                kind = get_kind(form.cleaned_data["kind"])
                programme = form.cleaned_data["programme"]
                if kind.parameters and "confirm" not in request.POST:
                    # Step 2: the parameters this kind needs, with the choices of this edition.
                    initial = {"kind": kind.code, "programme": programme.pk}
                    form = LaunchForm(programmes=programmes, kind=kind, programme=programme, initial=initial)
                else:
                    form = LaunchForm(request.POST, programmes=programmes, kind=kind, programme=programme)
                    report = self._launch(request, form, kind, programme)
                    if report is not None:
                        messages.success(
                            request,
                            _("« %(title)s » est demandé : son statut se met à jour dans la liste.")
                            % {"title": report_title(report)},
                        )
                        return redirect("admin:alliances_report_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Produire un document"),
            "form": form,
            "kind": kind,
            "programme": programme,
            "kinds": [get_kind(code) for code, _label in kind_choices()],
        }
        return TemplateResponse(request, "admin/alliances/report/launch.html", context)

    def _launch(self, request, form, kind, programme):
        """Validate the parameters and request the report; errors go on the form (None returned)."""
        if not form.is_valid():
            return None
        raw = {p.name: form.cleaned_data.get(p.name, "") for p in kind.parameters}
        try:
            with transaction.atomic():
                return report_request(kind=kind.code, programme=programme, parameters=raw, requested_by=request.user)
        except DocumentError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, errors in error.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, error)
        return None

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if getattr(response, "status_code", None) == 200 and self.get_queryset(request).filter(awaited()).exists():
            response["Refresh"] = str(REFRESH_SECONDS)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if (
            getattr(response, "status_code", None) == 200
            and self.get_queryset(request).filter(awaited(), pk=object_id).exists()
        ):
            response["Refresh"] = str(REFRESH_SECONDS)
        return response

    # --- Actions and deletion ----------------------------------------------------------

    @admin.action(description=gettext_lazy("Produire à nouveau (avec les données actuelles)"), permissions=["launch"])
    def render_again(self, request, queryset):
        # Whatever their state, stuck « en cours » included: the service releases the claims first.
        count = report_render_again(queryset.values_list("pk", flat=True))
        messages.success(
            request,
            ngettext(
                "%(count)s document relancé : son statut se met à jour dans la liste.",
                "%(count)s documents relancés : leur statut se met à jour dans la liste.",
                count,
            )
            % {"count": count},
        )

    def delete_model(self, request, obj):
        report_delete_file(obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for report in queryset:
            report_delete_file(report)
        super().delete_queryset(request, queryset)
