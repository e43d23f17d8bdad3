"""An API response is freed when it is closed, without waiting for the cycle collector."""

import gc
import weakref
from collections.abc import Iterator

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reflective.lib.response_release import ResponseReleaseMiddleware


class _Page(APIView):
    authentication_classes = ()
    permission_classes = ()

    def get(self, request: Request) -> Response:
        return Response({"page": "x" * 1_000_000})


@pytest.fixture
def no_cycle_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.parametrize("released", [True, False])
def test_a_closed_response_is_freed_at_once(no_cycle_collector: None, released: bool) -> None:
    view = _Page.as_view()
    handler = ResponseReleaseMiddleware(view) if released else view
    response = handler(RequestFactory().get("/page"))
    response.render()  # type: ignore[attr-defined]
    # As Django's test client does: closing fires request_finished, which would close the
    # test's database connection.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    freed = weakref.ref(response)
    del response
    # Without the middleware the response stays in its cycle with the view.
    assert (freed() is None) is released
