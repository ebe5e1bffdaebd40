"""« Mon réseau » and the edition's cohort pages of the member portal.

Everything a network keeps (inventory, obstacles, roadmap) belongs to ONE enrolment:
``request.participant.enrolment``. Objects are always fetched within it, so another
network's object, or another edition's, is a 404. The cohort pages read the other pilot
networks of the same edition, and only what they chose to share.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
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


@participant_required
@require_http_methods(["GET", "POST"])
def partnership_add(request):
    form = PartnershipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.partnership_create(enrolment=request.participant.enrolment, **form.cleaned_data)
        messages.success(request, _("Partenariat ajouté."))
        return redirect("networks:partnerships")
    return _form_page(
        request,
        form,
        title=_("Ajouter un partenariat"),
        submit_label=_("Ajouter le partenariat"),
        cancel_url=reverse("networks:partnerships"),
        intro=_("Une ligne de votre inventaire : un partenaire, la nature et la profondeur de la relation."),
    )


@participant_required
@require_http_methods(["GET", "POST"])
def partnership_edit(request, pk):
    partnership = get_for_enrolment(Partnership.objects, request.participant.enrolment, pk=pk)
    form = PartnershipForm(request.POST or None, instance=partnership)
    if request.method == "POST" and form.is_valid():
        services.partnership_update(partnership=partnership, **form.cleaned_data)
        messages.success(request, _("Partenariat modifié."))
        return redirect("networks:partnerships")
    return _form_page(
        request,
        form,
        title=_("Modifier le partenariat « %(name)s »") % {"name": partnership.partner_name},
        submit_label=_("Enregistrer"),
        cancel_url=reverse("networks:partnerships"),
    )


@participant_required
@require_http_methods(["GET", "POST"])
def partnership_delete(request, pk):
    partnership = get_for_enrolment(Partnership.objects, request.participant.enrolment, pk=pk)
    return _confirm_delete(
        request,
        question=_("Supprimer le partenariat « %(name)s » ?") % {"name": partnership.partner_name},
        detail=_("La ligne sera retirée de votre inventaire. Cette action est définitive."),
        cancel_url=reverse("networks:partnerships"),
        delete=lambda: services.partnership_delete(partnership=partnership),
        done_message=_("Partenariat supprimé."),
        success_url="networks:partnerships",
    )


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


@participant_required
@require_http_methods(["GET", "POST"])
def obstacle_add(request):
    form = ObstacleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.obstacle_create(enrolment=request.participant.enrolment, **form.cleaned_data)
        messages.success(request, _("Frein ajouté."))
        return redirect("networks:obstacles")
    return _form_page(
        request,
        form,
        title=_("Ajouter un frein"),
        submit_label=_("Ajouter le frein"),
        cancel_url=reverse("networks:obstacles"),
        intro=_("Ce qui freine vos partenariats aujourd'hui : nommez-le pour pouvoir le lever."),
    )


@participant_required
@require_http_methods(["GET", "POST"])
def obstacle_edit(request, pk):
    obstacle = get_for_enrolment(Obstacle.objects, request.participant.enrolment, pk=pk)
    form = ObstacleForm(request.POST or None, instance=obstacle)
    if request.method == "POST" and form.is_valid():
        services.obstacle_update(obstacle=obstacle, **form.cleaned_data)
        messages.success(request, _("Frein modifié."))
        return redirect("networks:obstacles")
    return _form_page(
        request,
        form,
        title=_("Modifier le frein"),
        submit_label=_("Enregistrer"),
        cancel_url=reverse("networks:obstacles"),
    )


@participant_required
@require_http_methods(["GET", "POST"])
def obstacle_delete(request, pk):
    obstacle = get_for_enrolment(Obstacle.objects, request.participant.enrolment, pk=pk)
    return _confirm_delete(
        request,
        question=_("Supprimer ce frein ?"),
        detail=f"{obstacle.get_category_display()} — {obstacle.description}",
        cancel_url=reverse("networks:obstacles"),
        delete=lambda: services.obstacle_delete(obstacle=obstacle),
        done_message=_("Frein supprimé."),
        success_url="networks:obstacles",
    )


# --- Roadmap -----------------------------------------------------------------------


def _action_of(enrolment, pk):
    action = RoadmapAction.objects.filter(roadmap__enrolment=enrolment, pk=pk).select_related("roadmap").first()
    if action is None:
        raise Http404
    return action


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


@participant_required
@require_http_methods(["GET", "POST"])
def action_add(request):
    the_roadmap = _roadmap_to_read(request)
    form = RoadmapActionForm(request.POST or None, roadmap=the_roadmap)
    if request.method == "POST" and form.is_valid():
        services.roadmap_action_create(roadmap=the_roadmap, **form.cleaned_data)
        messages.success(request, _("Action ajoutée."))
        return redirect("networks:roadmap")
    return _form_page(
        request,
        form,
        title=_("Ajouter une action"),
        submit_label=_("Ajouter l'action"),
        cancel_url=reverse("networks:roadmap"),
        intro=_("Une étape datée de votre feuille de route, avec un responsable parmi les participants du réseau."),
    )


@participant_required
@require_http_methods(["GET", "POST"])
def action_edit(request, pk):
    action = _action_of(request.participant.enrolment, pk)
    form = RoadmapActionForm(request.POST or None, instance=action, roadmap=action.roadmap)
    if request.method == "POST" and form.is_valid():
        services.roadmap_action_update(action=action, **form.cleaned_data)
        messages.success(request, _("Action modifiée."))
        return redirect("networks:roadmap")
    return _form_page(
        request,
        form,
        title=_("Modifier l'action « %(title)s »") % {"title": action.title},
        submit_label=_("Enregistrer"),
        cancel_url=reverse("networks:roadmap"),
    )


@participant_required
@require_http_methods(["GET", "POST"])
def action_delete(request, pk):
    action = _action_of(request.participant.enrolment, pk)
    return _confirm_delete(
        request,
        question=_("Supprimer l'action « %(title)s » ?") % {"title": action.title},
        detail=_("L'action sera retirée de votre feuille de route. Cette action est définitive."),
        cancel_url=reverse("networks:roadmap"),
        delete=lambda: services.roadmap_action_delete(action=action),
        done_message=_("Action supprimée."),
        success_url="networks:roadmap",
    )


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
