"""« Mon réseau » and the edition's cohort pages of the member portal.

Everything a network keeps (inventory, obstacles, roadmap) belongs to ONE enrolment:
``request.participant.enrolment``. Objects are always fetched within it, so another
network's object, or another edition's, is a 404. The cohort pages read the other pilot
networks of the same edition, and only what they chose to share.
"""

from django import forms
from django.contrib import messages
from django.db import models
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from alliances.pagination import paginate
from networks import selectors, services
from networks.access import get_for_enrolment, participant_required
from networks.forms import (
    DirectorySearchForm,
    NetworkSearchForm,
    ObstacleFilterForm,
    ObstacleForm,
    PartnershipFilterForm,
    PartnershipForm,
    RoadmapActionFilterForm,
    RoadmapActionForm,
    RoadmapForm,
)
from networks.models import Obstacle, Partnership, Roadmap, RoadmapAction


def _filters(request, form_class):
    """The GET filter form and its valid values, with the search box's ``q`` renamed ``search``."""
    form = form_class(request.GET or None)
    values = form.values()
    values["search"] = values.pop("q", "")
    return form, values


def _form_page(request, form, *, title, submit_label, cancel_url, intro=""):
    context = {"form": form, "title": title, "submit_label": submit_label, "cancel_url": cancel_url, "intro": intro}
    return render(request, "networks/form.html", context)


def _confirm_delete(request, *, question, detail, cancel_url, delete, done_message, success_url):
    """GET shows the confirmation page; POST deletes, says so and goes back to the list."""
    if request.method == "POST":
        delete()
        messages.success(request, done_message)
        return redirect(success_url)
    context = {"question": question, "detail": detail, "cancel_url": cancel_url}
    return render(request, "networks/confirm_delete.html", context)


class EnrolmentObjectPages:
    """The add, edit and delete pages of one kind of object the participant's network keeps.

    A subclass names its form, the list page the three pages go back to and its texts, and
    says how an object is found within the enrolment (``get_object``, a 404 outside it) and
    which services create, update and delete it. ``views()`` returns the three views, each
    behind ``participant_required`` (a preview only reads) and limited to GET and POST.
    """

    form_class: type[forms.ModelForm]
    model: type[models.Model]
    list_url: str
    add_title: str | Promise = ""
    add_submit: str | Promise = ""
    add_intro: str | Promise = ""
    added: str | Promise = ""
    changed: str | Promise = ""
    deleted: str | Promise = ""
    delete_detail: str | Promise = ""

    def add_target(self, request):
        """What a new object is created in (the enrolment, or the roadmap)."""
        return request.participant.enrolment

    def add_form_kwargs(self, target):
        return {}

    def edit_form_kwargs(self, obj):
        return {}

    def get_object(self, request, pk):
        return get_for_enrolment(self.model._default_manager, request.participant.enrolment, pk=pk)

    def create(self, target, data):
        raise NotImplementedError

    def update(self, obj, data):
        raise NotImplementedError

    def delete(self, obj):
        raise NotImplementedError

    def edit_title(self, obj):
        raise NotImplementedError

    def delete_question(self, obj):
        raise NotImplementedError

    def delete_detail_of(self, obj):
        return str(self.delete_detail)

    def add(self, request):
        target = self.add_target(request)
        form = self.form_class(request.POST or None, **self.add_form_kwargs(target))
        if request.method == "POST" and form.is_valid():
            self.create(target, form.cleaned_data)
            messages.success(request, str(self.added))
            return redirect(self.list_url)
        return _form_page(
            request,
            form,
            title=str(self.add_title),
            submit_label=str(self.add_submit),
            cancel_url=reverse(self.list_url),
            intro=str(self.add_intro),
        )

    def edit(self, request, pk):
        obj = self.get_object(request, pk)
        form = self.form_class(request.POST or None, instance=obj, **self.edit_form_kwargs(obj))
        if request.method == "POST" and form.is_valid():
            self.update(obj, form.cleaned_data)
            messages.success(request, str(self.changed))
            return redirect(self.list_url)
        return _form_page(
            request, form, title=self.edit_title(obj), submit_label=_("Enregistrer"), cancel_url=reverse(self.list_url)
        )

    def remove(self, request, pk):
        obj = self.get_object(request, pk)
        return _confirm_delete(
            request,
            question=self.delete_question(obj),
            detail=self.delete_detail_of(obj),
            cancel_url=reverse(self.list_url),
            delete=lambda: self.delete(obj),
            done_message=str(self.deleted),
            success_url=self.list_url,
        )

    def views(self):
        """The add, edit and delete views, in that order."""
        pages = (self.add, self.edit, self.remove)
        return tuple(participant_required(require_http_methods(["GET", "POST"])(page)) for page in pages)


# --- My network --------------------------------------------------------------------


@participant_required
def space(request):
    enrolment = request.participant.enrolment
    context = {
        "enrolment": enrolment,
        "network": enrolment.network,
        "regions": list(enrolment.network.regions.all()),
        "members": list(selectors.network_members(enrolment=enrolment)),
        "partnership_summary": selectors.partnership_summary(enrolment=enrolment),
        "obstacle_summary": selectors.obstacle_summary(enrolment=enrolment),
        "roadmap": selectors.roadmap_of(enrolment=enrolment),
        "action_summary": selectors.action_summary(enrolment=enrolment),
    }
    return render(request, "networks/space.html", context)


# --- Partnership inventory ---------------------------------------------------------


@participant_required
def partnerships(request):
    enrolment = request.participant.enrolment
    filter_form, values = _filters(request, PartnershipFilterForm)
    context = {
        "enrolment": enrolment,
        "filter_form": filter_form,
        "filtered": any(values.values()),
        "page_obj": paginate(request, selectors.partnerships_filtered(enrolment=enrolment, **values)),
        "summary": selectors.partnership_summary(enrolment=enrolment),
    }
    return render(request, "networks/partnership_list.html", context)


class PartnershipPages(EnrolmentObjectPages):
    form_class = PartnershipForm
    model = Partnership
    list_url = "networks:partnerships"
    add_title = gettext_lazy("Ajouter un partenariat")
    add_submit = gettext_lazy("Ajouter le partenariat")
    add_intro = gettext_lazy(
        "Une ligne de votre inventaire : un partenaire, la nature et la profondeur de la relation."
    )
    added = gettext_lazy("Partenariat ajouté.")
    changed = gettext_lazy("Partenariat modifié.")
    deleted = gettext_lazy("Partenariat supprimé.")
    delete_detail = gettext_lazy("La ligne sera retirée de votre inventaire. Cette action est définitive.")

    def create(self, target, data):
        services.partnership_create(enrolment=target, **data)

    def update(self, obj, data):
        services.partnership_update(partnership=obj, **data)

    def delete(self, obj):
        services.partnership_delete(partnership=obj)

    def edit_title(self, obj):
        return _("Modifier le partenariat « %(name)s »") % {"name": obj.partner_name}

    def delete_question(self, obj):
        return _("Supprimer le partenariat « %(name)s » ?") % {"name": obj.partner_name}


partnership_add, partnership_edit, partnership_delete = PartnershipPages().views()


@participant_required
@require_POST
def share_inventory(request):
    shared = request.POST.get("share") == "1"
    services.enrolment_set_inventory_sharing(enrolment=request.participant.enrolment, shared=shared)
    if shared:
        messages.success(request, _("Votre inventaire est désormais partagé avec la promotion."))
    else:
        messages.success(request, _("Votre inventaire n'est plus partagé avec la promotion."))
    return redirect("networks:partnerships")


# --- Obstacles ---------------------------------------------------------------------


@participant_required
def obstacles(request):
    enrolment = request.participant.enrolment
    filter_form, values = _filters(request, ObstacleFilterForm)
    context = {
        "filter_form": filter_form,
        "filtered": any(values.values()),
        "page_obj": paginate(request, selectors.obstacles_filtered(enrolment=enrolment, **values)),
        "summary": selectors.obstacle_summary(enrolment=enrolment),
    }
    return render(request, "networks/obstacle_list.html", context)


class ObstaclePages(EnrolmentObjectPages):
    form_class = ObstacleForm
    model = Obstacle
    list_url = "networks:obstacles"
    add_title = gettext_lazy("Ajouter un frein")
    add_submit = gettext_lazy("Ajouter le frein")
    add_intro = gettext_lazy("Ce qui freine vos partenariats aujourd'hui : nommez-le pour pouvoir le lever.")
    added = gettext_lazy("Frein ajouté.")
    changed = gettext_lazy("Frein modifié.")
    deleted = gettext_lazy("Frein supprimé.")

    def create(self, target, data):
        services.obstacle_create(enrolment=target, **data)

    def update(self, obj, data):
        services.obstacle_update(obstacle=obj, **data)

    def delete(self, obj):
        services.obstacle_delete(obstacle=obj)

    def edit_title(self, obj):
        return _("Modifier le frein")

    def delete_question(self, obj):
        return _("Supprimer ce frein ?")

    def delete_detail_of(self, obj):
        return f"{obj.get_category_display()} — {obj.description}"


obstacle_add, obstacle_edit, obstacle_delete = ObstaclePages().views()


# --- Roadmap -----------------------------------------------------------------------


def _roadmap_to_read(request):
    """The roadmap, created empty on first use; a preview creates nothing (an unsaved, empty one)."""
    enrolment = request.participant.enrolment
    if not request.portal_preview:
        return services.roadmap_get_or_create(enrolment=enrolment)
    return Roadmap.objects.filter(enrolment=enrolment).first() or Roadmap(enrolment=enrolment)


@participant_required
def roadmap(request):
    enrolment = request.participant.enrolment
    the_roadmap = _roadmap_to_read(request)
    filter_form, values = _filters(request, RoadmapActionFilterForm)
    actions = (
        selectors.roadmap_actions(roadmap=the_roadmap, **values) if the_roadmap.pk else RoadmapAction.objects.none()
    )
    context = {
        "roadmap": the_roadmap,
        "filter_form": filter_form,
        "filtered": any(values.values()),
        "page_obj": paginate(request, actions),
        "summary": selectors.action_summary(enrolment=enrolment),
    }
    return render(request, "networks/roadmap.html", context)


@participant_required
@require_http_methods(["GET", "POST"])
def roadmap_edit(request):
    the_roadmap = _roadmap_to_read(request)
    form = RoadmapForm(request.POST or None, instance=the_roadmap)
    if request.method == "POST" and form.is_valid():
        services.roadmap_update(roadmap=the_roadmap, **form.cleaned_data)
        messages.success(request, _("Feuille de route enregistrée."))
        return redirect("networks:roadmap")
    return _form_page(
        request,
        form,
        title=_("Titre et ambition de la feuille de route"),
        submit_label=_("Enregistrer"),
        cancel_url=reverse("networks:roadmap"),
    )


class ActionPages(EnrolmentObjectPages):
    """A roadmap's actions: created in the roadmap (made on first use), found through it."""

    form_class = RoadmapActionForm
    model = RoadmapAction
    list_url = "networks:roadmap"
    add_title = gettext_lazy("Ajouter une action")
    add_submit = gettext_lazy("Ajouter l'action")
    add_intro = gettext_lazy(
        "Une étape datée de votre feuille de route, avec un responsable parmi les participants du réseau."
    )
    added = gettext_lazy("Action ajoutée.")
    changed = gettext_lazy("Action modifiée.")
    deleted = gettext_lazy("Action supprimée.")
    delete_detail = gettext_lazy("L'action sera retirée de votre feuille de route. Cette action est définitive.")

    def add_target(self, request):
        return _roadmap_to_read(request)

    def add_form_kwargs(self, target):
        return {"roadmap": target}

    def edit_form_kwargs(self, obj):
        return {"roadmap": obj.roadmap}

    def get_object(self, request, pk):
        enrolment = request.participant.enrolment
        action = RoadmapAction.objects.filter(roadmap__enrolment=enrolment, pk=pk).select_related("roadmap").first()
        if action is None:
            raise Http404
        return action

    def create(self, target, data):
        services.roadmap_action_create(roadmap=target, **data)

    def update(self, obj, data):
        services.roadmap_action_update(action=obj, **data)

    def delete(self, obj):
        services.roadmap_action_delete(action=obj)

    def edit_title(self, obj):
        return _("Modifier l'action « %(title)s »") % {"title": obj.title}

    def delete_question(self, obj):
        return _("Supprimer l'action « %(title)s » ?") % {"title": obj.title}


action_add, action_edit, action_delete = ActionPages().views()


# --- The edition: shared inventories -------------------------------------------------


@participant_required
def cohort(request):
    enrolment = request.participant.enrolment
    programme = enrolment.programme
    search_form = NetworkSearchForm(request.GET or None)
    search = search_form.values().get("q", "")
    context = {
        "enrolment": enrolment,
        "programme": programme,
        "search_form": search_form,
        "filtered": bool(search),
        "page_obj": paginate(request, selectors.shared_enrolments(programme=programme, search=search)),
        "cohort_average": selectors.cohort_average_partner_types(programme=programme),
        "benchmark": selectors.NATIONAL_AVERAGE_PARTNER_TYPES,
    }
    return render(request, "networks/cohort.html", context)


@participant_required
def cohort_network(request, pk):
    own = request.participant.enrolment
    shared = selectors.shared_enrolment(programme=own.programme, pk=pk)
    if shared is None:
        raise Http404
    filter_form, values = _filters(request, PartnershipFilterForm)
    context = {
        "shared": shared,
        "is_own": shared.pk == own.pk,
        "filter_form": filter_form,
        "filtered": any(values.values()),
        "page_obj": paginate(request, selectors.partnerships_filtered(enrolment=shared, **values)),
        "summary": selectors.partnership_summary(enrolment=shared),
    }
    return render(request, "networks/cohort_network.html", context)


# --- The edition: directory ----------------------------------------------------------


@participant_required
def directory(request):
    programme = request.participant.enrolment.programme
    search_form = DirectorySearchForm(request.GET or None)
    search = search_form.values().get("q", "")
    context = {
        "programme": programme,
        "search_form": search_form,
        "filtered": bool(search),
        "page_obj": paginate(request, selectors.directory_enrolments(programme=programme, search=search)),
        "own_enrolment_id": request.participant.enrolment_id,
        "listed": request.participant.listed_in_directory,
    }
    return render(request, "networks/directory.html", context)


@participant_required
@require_POST
def directory_visibility(request):
    listed = request.POST.get("listed") == "1"
    services.participant_set_directory_listing(participant=request.participant, listed=listed)
    if listed:
        messages.success(request, _("Vous apparaissez dans l'annuaire de la promotion."))
    else:
        messages.success(request, _("Vous n'apparaissez plus dans l'annuaire de la promotion."))
    return redirect("networks:directory")
