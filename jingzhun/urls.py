from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

admin.site.site_header = "精准扶贫管理系统 Jingzhun"
admin.site.site_title = "精准 Jingzhun"
admin.site.index_title = "建档立卡 / Poverty register"

urlpatterns = [
    path("", include("jingzhun.web.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("appraisal/", include("jingzhun.appraisal.urls")),
    path("evaluation/", include("jingzhun.evaluation.urls")),
    path("assessment/", include("jingzhun.assessment.urls")),
    path("api/", include("jingzhun.api.urls")),
    path("m/", include("jingzhun.mobile.urls")),
    path("training/", include("jingzhun.training.urls")),
    path("talent/", include("jingzhun.talent.urls")),
    path("branches/", include("jingzhun.branches.urls")),
    path("monitoring/", include("jingzhun.monitoring.urls")),
    path("reports/", include("jingzhun.reports.urls")),
    path("organisation/", include("jingzhun.organisation.urls")),
    path("map/", include("jingzhun.maps.urls")),
    path("admin/", admin.site.urls),
]
