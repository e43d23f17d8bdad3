"""One device of one account: the keys, a server session and the areas of the API."""

from collections.abc import Callable

from reflective_client.account import Account
from reflective_client.analytics import Insights
from reflective_client.api import DEFAULT_SERVER_URL, ApiSession
from reflective_client.keyfile import KeyMaterial
from reflective_client.security import AccountSecurity
from reflective_client.sync import Journal
from reflective_client.tags import TagBook


class ReflectiveClient:
    """Everything a device does, for scripts, tests, the demo and the CLI."""

    def __init__(self, keys: KeyMaterial, server_url: str = DEFAULT_SERVER_URL) -> None:
        self.keys = keys
        self.api = ApiSession(server_url)
        ckks = keys.ckks()
        self.account = Account(self.api, ckks)
        self.journal = Journal(self.api, keys)
        self.tags = TagBook(self.api, keys)
        self.insights = Insights(self.api, ckks)
        self.security = AccountSecurity(self.api)

    def login(
        self, password: str, second_factor: Callable[[], dict[str, str]] | None = None
    ) -> None:
        """Log in as this device; ``second_factor`` answers an ``mfa_required`` login."""
        device_name = f"reflective_client {self.keys.device_id}"
        self.api.login(
            self.keys.email, password, device_name=device_name, second_factor=second_factor
        )
