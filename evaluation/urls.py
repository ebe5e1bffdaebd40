"""Questionnaires in the member portal (mounted at /portail/questionnaires/)."""

from django.urls import path

from evaluation import views

app_name = "questionnaires"

urlpatterns = [
    path("", views.questionnaire_list, name="list"),
    path("<int:pk>/", views.questionnaire_answer, name="answer"),
    path("<int:pk>/mes-reponses/", views.my_answers, name="my_answers"),
]
