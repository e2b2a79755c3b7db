from django.urls import path

from jingzhun.api import views
from jingzhun.api.main import api

urlpatterns = [
    path("tokens/", views.tokens_page, name="api_tokens"),
    path("tokens/<int:pk>/revoke", views.revoke, name="api_token_revoke"),
    path("", api.urls),
]
