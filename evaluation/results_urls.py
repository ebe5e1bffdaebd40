"""Questionnaire results and exports for coordinators (mounted at /coordination/evaluation/)."""

from django.urls import path

from evaluation import views

app_name = "evaluation_results"

urlpatterns = [
    path("", views.results_index, name="index"),
    path("edition/<slug:slug>/", views.programme_results, name="programme"),
    path("questionnaire/<int:pk>/", views.questionnaire_results, name="questionnaire"),
    path("questionnaire/<int:pk>/export.csv", views.export_csv, name="export_csv"),
    path("questionnaire/<int:pk>/export.xlsx", views.export_xlsx, name="export_xlsx"),
]
