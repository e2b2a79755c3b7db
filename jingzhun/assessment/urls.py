"""Include under a prefix: ``path("assessment/", include("jingzhun.assessment.urls"))``."""

from django.urls import path

from jingzhun.assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.index, name="index"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/export.xlsx", views.run_xlsx, name="run_xlsx"),
    path("runs/<int:pk>/units/<str:unit>/", views.unit_detail, name="unit"),
    path("runs/<int:pk>/units/<str:unit>/sheet/", views.run_sheet, name="sheet"),
    path("runs/<int:pk>/units/<str:unit>/records/<slug:code>/", views.indicator_records, name="records"),
    path("trends/", views.trends, name="trends"),
    path("signoff/", views.signoff_page, name="signoff"),
    path("cadres/<int:pk>/", views.cadre_history, name="cadre"),
    path("shortlist/", views.shortlist_page, name="shortlist"),
    path("flags/", views.flags_page, name="flags"),
    path("decide/", views.decide, name="decide"),
]
