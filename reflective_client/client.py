"""One device of one account: the keys, a server session and the four areas of the API."""

from reflective_client.account import Account
from reflective_client.analytics import Insights
from reflective_client.api import DEFAULT_SERVER_URL, ApiSession
from reflective_client.keyfile import KeyMaterial
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

    def login(self, password: str) -> None:
        self.api.login(self.keys.email, password)
