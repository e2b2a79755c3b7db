"""Include under any prefix: ``path("appraisal/", include("jingzhun.appraisal.urls"))``."""

from django.urls import path

from jingzhun.appraisal import views

app_name = "appraisal"
urlpatterns = [
    path("notice/<int:pk>/", views.notice, name="notice"),
]
