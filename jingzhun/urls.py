from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "精准扶贫管理系统 Jingzhun"
admin.site.site_title = "精准 Jingzhun"
admin.site.index_title = "建档立卡 / Poverty register"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
]
