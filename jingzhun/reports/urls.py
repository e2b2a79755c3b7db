"""Include under any prefix: ``path("reports/", include("jingzhun.reports.urls"))``."""

from django.urls import path

from jingzhun.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("download/", views.download, name="download"),
]
