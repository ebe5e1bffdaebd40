"""« Mon réseau » (space, inventory, obstacles, roadmap) and the edition's cohort pages, under /portail/reseau/."""

from django.urls import path

from networks import views

app_name = "networks"

urlpatterns = [
    path("", views.space, name="space"),
    # Partnership inventory (the S1 applied work)
    path("partenariats/", views.partnerships, name="partnerships"),
    path("partenariats/ajouter/", views.partnership_add, name="partnership_add"),
    path("partenariats/<int:pk>/modifier/", views.partnership_edit, name="partnership_edit"),
    path("partenariats/<int:pk>/supprimer/", views.partnership_delete, name="partnership_delete"),
    path("partenariats/partage/", views.share_inventory, name="share_inventory"),
    # Obstacles (« freins »)
    path("freins/", views.obstacles, name="obstacles"),
    path("freins/ajouter/", views.obstacle_add, name="obstacle_add"),
    path("freins/<int:pk>/modifier/", views.obstacle_edit, name="obstacle_edit"),
    path("freins/<int:pk>/supprimer/", views.obstacle_delete, name="obstacle_delete"),
    # Roadmap (« feuille de route ») and its actions
    path("feuille-de-route/", views.roadmap, name="roadmap"),
    path("feuille-de-route/modifier/", views.roadmap_edit, name="roadmap_edit"),
    path("feuille-de-route/actions/ajouter/", views.action_add, name="action_add"),
    path("feuille-de-route/actions/<int:pk>/modifier/", views.action_edit, name="action_edit"),
    path("feuille-de-route/actions/<int:pk>/supprimer/", views.action_delete, name="action_delete"),
    # The edition: shared inventories and directory
    path("promotion/", views.cohort, name="cohort"),
    path("promotion/<int:pk>/", views.cohort_network, name="cohort_network"),
    path("annuaire/", views.directory, name="directory"),
    path("annuaire/visibilite/", views.directory_visibility, name="directory_visibility"),
]
