from django.urls import path

from jingzhun.maps import views

app_name = "maps"
urlpatterns = [
    path("<str:code>.json", views.area_map, name="area"),
]
