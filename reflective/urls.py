from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from reflective import health
from reflective.lib.prometheus import prometheus_metrics

api_patterns: list[URLPattern | URLResolver] = [
    path("health", health.health, name="health"),
    path("health/ready", health.ready, name="health-ready"),
    path("", include("accounts.urls")),
    path("", include("journal_sync.urls")),
    path("", include("analytics.urls")),
    path("", include("tags.urls")),
    path("", include("lifecycle.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("api/", include(api_patterns)),
    path("metrics", prometheus_metrics, name="metrics"),
    path("admin/", admin.site.urls),
]

handler400 = "reflective.errors.json_bad_request"
handler403 = "reflective.errors.json_permission_denied"
handler404 = "reflective.errors.json_not_found"
handler500 = "reflective.errors.json_server_error"
