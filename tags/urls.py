from django.urls import path

from tags.views import TagViewSet

urlpatterns = [
    path("tags", TagViewSet.as_view({"get": "list", "post": "create"}), name="tags"),
    path("tags/cleanup", TagViewSet.as_view({"delete": "cleanup"}), name="tags-cleanup"),
    path(
        "tags/<uuid:tag_id>",
        TagViewSet.as_view({"patch": "partial_update", "delete": "destroy"}),
        name="tag",
    ),
    path("tags/<uuid:tag_id>/touch", TagViewSet.as_view({"post": "touch"}), name="tag-touch"),
]
