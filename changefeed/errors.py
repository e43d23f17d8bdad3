"""The one error of the change feed: a cursor outside the history the server keeps."""

from reflective.errors import ApiError


class ResyncRequiredError(ApiError):
    """410 ``resync_required``: the device must drop its copy and pull from the start.

    Every feed reader raises it with the same extras; ``detail`` says what to pull again.
    """

    def __init__(self, *, cursor_seq: int, oldest_seq: int, detail: str) -> None:
        super().__init__(
            "resync_required",
            detail,
            status=410,
            extra={"cursor_seq": cursor_seq, "oldest_seq": oldest_seq},
        )
