from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from . import health, token_views, views
from .api import api

handler500 = "aura_site.views.server_error"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    path("api/swagger", RedirectView.as_view(url="/api/docs", permanent=False)),
    path("api/swagger/", RedirectView.as_view(url="/api/docs", permanent=False)),
    path("api/", api.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("preferences/", include("preferences.urls")),
    path("models/", include("models_selection.urls")),
    path("models/", include("models_selection.runs.urls")),  # runs kept their addresses under /models/
    path("costs/", include("costs.urls")),
    path("account/tokens/", token_views.tokens_page, name="tokens"),
    path("account/tokens/new/", token_views.token_create_view, name="token_create"),
    path("account/tokens/<int:token_id>/revoke/", token_views.token_revoke_view, name="token_revoke"),
]
