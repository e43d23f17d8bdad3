"""A real SMTP server for tests (aiosmtpd on a free local port) that keeps what it receives."""

import email
import email.policy
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

TOKEN_PATTERN = re.compile(r"[?&]token=([A-Za-z0-9_\-]+)")


@dataclass
class Inbox:
    """Every message the server accepted, parsed, in arrival order."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [
            message
            for message in self.messages
            if address in [each.addr_spec for each in message["To"].addresses]
        ]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> EmailMessage:
        """The ``count``-th message to ``address``, waiting for background delivery."""
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail #{count} to {address} within {timeout} s")
            time.sleep(0.05)
        return self.to(address)[count - 1]

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def token_in(message: EmailMessage) -> str:
    """The token of the link in a mail, as a user's mail client would find it."""
    found = TOKEN_PATTERN.search(body_of(message))
    assert found is not None, "the mail carries no link with a token"
    return found.group(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_smtp() -> Iterator[Inbox]:
    inbox = Inbox(host="127.0.0.1", port=_free_port())
    # aiosmtpd checks it is up by connecting to the port, so the port must be known first.
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
