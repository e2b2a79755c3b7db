"""Include under any prefix: ``path("talent/", include("jingzhun.talent.urls"))``."""

from django.urls import path

from jingzhun.talent import views

app_name = "talent"
urlpatterns = [
    path("", views.talent_pool, name="pool"),
    path("<slug:action>/", views.write, name="write"),
]
