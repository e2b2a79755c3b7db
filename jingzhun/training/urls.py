"""Include under any prefix: ``path("training/", include("jingzhun.training.urls"))``."""

from django.urls import path

from jingzhun.training import views

app_name = "training"
urlpatterns = [
    path("", views.courses, name="courses"),
    path("add/", views.add_course, name="add_course"),
    path("roster.xlsx", views.export_roster, name="export_roster"),
]
