"""A fake SMTP server on loopback (aiosmtpd) for the notification tests.

It accepts every message, except for the recipients told to refuse with a
chosen answer (``451 …`` transient, ``550 …`` permanent, ``421 …`` closing),
counts the connections it received, and can wait a little before accepting
each message (a slow server, to kill a worker in the middle of a batch).
Connection-level failures too: ``refuse_sessions("421 …")`` answers every
EHLO / HELO with that (an overloaded server), and ``stop()`` then ``start()``
again is an outage (connections refused) on the same port.
"""

import asyncio
import email
import logging
import socket
import threading
from collections import Counter
from email import policy

from aiosmtpd.controller import Controller

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SinkHandler:
    def __init__(self, *, refuse=None, delay=0.0):
        self.refuse = {address.lower(): answer for address, answer in (refuse or {}).items()}
        self.session_answer = None  # e.g. "421 4.3.2 …": every EHLO / HELO gets it
        self.delay = delay
        self.messages = []  # (recipient, raw bytes)
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        if self.session_answer:
            return [self.session_answer]
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        if self.session_answer:
            return self.session_answer
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.refuse.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.messages.append((recipient.lower(), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


class _CountingController(Controller):
    def __init__(self, *args, **kwargs):
        self.connections = 0
        super().__init__(*args, **kwargs)

    def factory(self):
        self.connections += 1
        return super().factory()


class FakeSMTPServer:
    """``with FakeSMTPServer(refuse={...}) as smtp:`` then ``smtp.port``, ``smtp.messages``…"""

    def __init__(self, *, refuse=None, delay=0.0):
        self.handler = SinkHandler(refuse=refuse, delay=delay)
        self.port = free_port()
        self.controller = None
        self._connections = 0  # of the controllers stopped before the current one

    def start(self):
        """Listen (again: after ``stop()``, the same port, messages and counts)."""
        self.controller = _CountingController(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.controller.connections = 0  # the controller's own readiness probe is not a client
        return self

    def stop(self):
        """Stop listening: connections are refused until ``start()``."""
        if self.controller is not None:
            self._connections += self.controller.connections
            self.controller.stop()
            self.controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def connections(self):
        return self._connections + (self.controller.connections if self.controller is not None else 0)

    @property
    def messages(self):
        with self.handler.lock:
            return list(self.handler.messages)

    def parsed(self):
        return [(rcpt, email.message_from_bytes(raw, policy=policy.default)) for rcpt, raw in self.messages]

    def count_by_recipient(self):
        return Counter(rcpt for rcpt, _raw in self.messages)

    def refuse(self, address, answer):
        self.handler.refuse[address.lower()] = answer

    def accept(self, address):
        self.handler.refuse.pop(address.lower(), None)

    def refuse_sessions(self, answer):
        """Answer every EHLO / HELO with ``answer`` (``None``: accept sessions again)."""
        self.handler.session_answer = answer

    def use_in(self, settings):
        """Point Django's email settings (the pytest-django ``settings`` fixture) at this server."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = self.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 10
