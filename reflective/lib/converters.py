"""Path converters for client-chosen ids: a path routes only with an id its body would take.

An id in a path is checked by the same regular expression as the same id in a body, so
a segment no body could carry (a NUL byte, a slash-free 10 kB string) matches no route
and is answered with the one 404 body, before any view or query sees it.
"""

from collections.abc import Iterable

from django.urls import register_converter


class IdConverter:
    regex = ""
    reserved: frozenset[str] = frozenset()

    def to_python(self, value: str) -> str:
        if value in self.reserved:
            raise ValueError(value)  # Django reads this as "no match": a 404
        return value

    def to_url(self, value: str) -> str:
        return value


def register_id_converter(name: str, regex: str, *, reserved: Iterable[str] = ()) -> None:
    """Let URL patterns write ``<name:...>`` for a segment matching all of ``regex``."""
    attributes = {"regex": regex, "reserved": frozenset(reserved)}
    register_converter(type(f"{name}_converter", (IdConverter,), attributes), name)
