from django.urls import path

from lifecycle import views

urlpatterns = [
    path(
        "users/me/privacy",
        views.PrivacyViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="privacy",
    ),
    path(
        "users/me/privacy/history",
        views.PrivacyViewSet.as_view({"get": "history"}),
        name="privacy-history",
    ),
    path(
        "users/me/privacy/revoke",
        views.PrivacyViewSet.as_view({"delete": "revoke"}),
        name="privacy-revoke",
    ),
]
