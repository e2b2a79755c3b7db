from django.urls import path
from django.utils.translation import gettext_lazy as _

from jingzhun.organisation.views import actions, exports, lists
from jingzhun.web import pages

app_name = "organisation"

urlpatterns = [
    path("units/", lists.unit_list, name="units"),
    path("cadres/", lists.cadre_list, name="cadres"),
    path("coverage/", lists.coverage_page, name="coverage"),
    path("fit/", lists.fit_page, name="fit"),
    path("leadership/", lists.leadership_page, name="leadership"),
    path("leadership/<str:code>/", lists.county_page, name="county"),
    path("leadership/<str:code>/shortlist/", actions.shortlist_build, name="shortlist_build"),
    path("shortlists/<int:pk>/", lists.shortlist_page, name="shortlist"),
    path("shortlists/<int:pk>/decide/", actions.shortlist_decide, name="shortlist_decide"),
    path("secondments/", lists.secondment_page, name="secondments"),
    path("reviews/", lists.review_page, name="reviews"),
    path("reviews/<int:pk>/resolve/", actions.review_resolve, name="review_resolve"),
    path("export/<str:kind>.xlsx", exports.export_xlsx, name="export"),
]

pages.register(pages.Page("organisation:units", _("Units"), "see_organisation", 70))
pages.register(pages.Page("organisation:leadership", _("Leadership teams"), "see_organisation", 71))
pages.register(pages.Page("organisation:secondments", _("Secondments"), "see_organisation", 72))
