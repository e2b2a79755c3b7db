"""Include under any prefix: ``path("monitoring/", include("jingzhun.monitoring.urls"))``."""

from django.urls import path

from jingzhun.monitoring import views

app_name = "monitoring"
urlpatterns = [
    path("", views.case_list, name="cases"),
    path("report/", views.report, name="report"),
    path("overdue/", views.overdue_list, name="overdue"),
    path("county/", views.county, name="county"),
    path("screen/", views.screen, name="screen"),
    path("<int:pk>/", views.case_detail, name="case"),
    path("<int:pk>/notice/", views.notice, name="notice"),
    path("<int:pk>/<slug:action>/", views.case_step, name="case_step"),
]
