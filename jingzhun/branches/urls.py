"""Include under any prefix: ``path("branches/", include("jingzhun.branches.urls"))``."""

from django.urls import path

from jingzhun.branches import views

app_name = "branches"
urlpatterns = [
    path("", views.branch_list, name="list"),
    path("roster.xlsx", views.export_roster, name="export_roster"),
    path("elections.xlsx", views.export_elections, name="export_elections"),
    path("<slug:action>/", views.write, name="write"),
]
