from django.urls import path

from tags import views

urlpatterns = [
    path("tags", views.TagListView.as_view(), name="tags"),
    path("tags/cleanup", views.TagCleanupView.as_view(), name="tags-cleanup"),
    path("tags/<uuid:tag_id>", views.TagDetailView.as_view(), name="tag"),
    path("tags/<uuid:tag_id>/touch", views.TagTouchView.as_view(), name="tag-touch"),
]
