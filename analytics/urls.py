"""Routes of the analytics API: the paths clients call are fixed, so each maps its methods
to DRF action names explicitly."""

from django.urls import path

from analytics import views

urlpatterns = [
    path(
        "encryption/context",
        views.EncryptionContextViewSet.as_view({"get": "retrieve"}),
        name="encryption-context",
    ),
    path(
        "encryption/public-context",
        views.PublicContextViewSet.as_view({"put": "update"}),
        name="encryption-public-context",
    ),
    path(
        "encryption/metrics",
        views.MetricsViewSet.as_view({"post": "create", "delete": "destroy"}),
        name="encryption-metrics",
    ),
    path(
        "encryption/aggregate",
        views.AggregateViewSet.as_view({"post": "create"}),
        name="encryption-aggregate",
    ),
    path(
        "sync/metrics/all",
        views.MetricsAllViewSet.as_view({"delete": "destroy"}),
        name="sync-metrics-all",
    ),
]
