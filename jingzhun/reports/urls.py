"""Include under any prefix: ``path("reports/", include("jingzhun.reports.urls"))``."""

from django.urls import path

from jingzhun.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("ask/", views.ask, name="ask"),
    path("<str:token>/", views.run, name="run"),
    path("<str:token>/status/", views.status, name="status"),
    path("<str:token>/file/", views.download, name="download"),
]
