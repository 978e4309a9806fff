"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests: it keeps what it received and can refuse deliveries."""

from __future__ import annotations

import email
import re
import threading
from email.message import Message

from aiosmtpd.controller import Controller

from app.core.database import free_port


class Inbox:
    """aiosmtpd's handler: every accepted message, parsed; `refuse(n, code)` refuses the next n deliveries."""

    def __init__(self):
        self.messages: list[Message] = []
        self._refusals: list[str] = []
        self._lock = threading.Lock()

    def refuse(self, times: int, reply: str = "451 4.3.0 try again later") -> None:
        with self._lock:
            self._refusals.extend([reply] * times)

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self._refusals:
                return self._refusals.pop(0)
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()


def body(message: Message, subtype: str = "plain") -> str:
    for part in message.walk():
        if part.get_content_type() == f"text/{subtype}":
            return part.get_payload(decode=True).decode()
    raise AssertionError(f"no text/{subtype} part")


def link_token(message: Message) -> str:
    """The token of the link in an account email's plain-text body."""
    found = re.search(r"\?token=([A-Za-z0-9_-]+)", body(message))
    assert found, body(message)
    return found.group(1)


class SmtpServer:
    def __init__(self):
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
