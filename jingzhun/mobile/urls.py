from django.urls import path

from jingzhun.mobile import shell, views

app_name = "mobile"

urlpatterns = [
    path("", views.home, name="home"),
    path("h/<int:pk>/", views.household, name="household"),
    path("h/<int:pk>/visit/", views.visit, name="visit"),
    path("h/<int:pk>/report/", views.report, name="report"),
    path("attendance/", views.attendance, name="attendance"),
    path("outbox/", views.outbox, name="outbox"),
    path("manifest.webmanifest", shell.manifest, name="manifest"),
    path("sw.js", shell.service_worker, name="worker"),
]
