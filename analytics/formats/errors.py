"""The one exception every format check raises for an uploaded key or ciphertext it refuses."""

from analytics.messages import AnalyticsMessages as Msg


class BlobRejectedError(ValueError):
    """An uploaded key or ciphertext is refused; ``code`` and ``detail`` go to the client."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def invalid_ciphertext(reason: str) -> BlobRejectedError:
    return BlobRejectedError("invalid_ciphertext", Msg.INVALID_CIPHERTEXT.format(reason=reason))


def invalid_public_key() -> BlobRejectedError:
    return BlobRejectedError("invalid_public_key", Msg.INVALID_PUBLIC_KEY)
