from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import User
from tags.models import Tag
from tags.tests.conftest import b64, stored_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(make_user: Callable[..., User]) -> Client:
    client = Client()
    client.force_login(make_user("ops@example.com", is_staff=True, is_superuser=True))
    return client


def _never_shows_ciphertext(html: str, tag: Tag) -> None:
    for secret in (tag.encrypted_name, tag.name_iv, tag.name_digest):
        assert b64(stored_bytes(secret)) not in html
        assert stored_bytes(secret).hex() not in html


def test_tag_list_shows_color_dates_and_size_only(
    operator: Client, alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Grief", color="#7E22CE")

    html = operator.get("/admin/tags/tag/").content.decode()

    assert "#7E22CE" in html
    assert f'<td class="field-name_bytes">{len(stored_bytes(tag.encrypted_name))}</td>' in html
    _never_shows_ciphertext(html, tag)


def test_tag_page_is_read_only_and_shows_no_ciphertext(
    operator: Client, alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Grief", color="#7E22CE")

    response = operator.get(f"/admin/tags/tag/{tag.pk}/change/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="color"' not in html
    assert 'name="encrypted_name"' not in html
    _never_shows_ciphertext(html, tag)


def test_operators_cannot_edit_a_tag(
    operator: Client, alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Grief", color="#7E22CE")

    operator.post(f"/admin/tags/tag/{tag.pk}/change/", {"color": "#000000"})

    tag.refresh_from_db()
    assert tag.color == "#7E22CE"
