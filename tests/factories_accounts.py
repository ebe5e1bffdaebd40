"""Helpers of the accounts tests: admin requests with messages, and the messages they got."""

from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory


def admin_request(user, path="/admin/", method="get", data=None, **extra):
    """A request from RequestFactory, as the admin would get it: a user and message storage."""
    factory = RequestFactory()
    request = getattr(factory, method)(path, data or {}, **extra)
    request.user = user
    request.session = {}
    request._messages = CookieStorage(request)
    return request


def sent_messages(request):
    """``(level_tag, text)`` of the messages added to ``request``."""
    return [(message.level_tag, str(message)) for message in request._messages]
