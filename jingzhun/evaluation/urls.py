"""Include under a prefix: ``path("evaluation/", include("jingzhun.evaluation.urls"))``."""

from django.urls import path

from jingzhun.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.evaluations, name="list"),
    path("draw/", views.draw_form, name="draw"),
    path("<int:pk>/", views.evaluation, name="detail"),
    path("<int:pk>/villages/<str:village>/", views.field_list, name="field_list"),
    path("<int:pk>/field-list.xlsx", views.field_list_xlsx, name="field_list_xlsx"),
    path("<int:pk>/households/<str:number>/", views.findings_form, name="findings"),
]
