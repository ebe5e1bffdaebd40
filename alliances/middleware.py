"""Project middleware: the chosen language; requests refused before a view reads them."""

from django.conf import settings
from django.shortcuts import render
from django.utils import translation


class ChosenLanguageMiddleware:
    """Activate the language chosen with Django's set_language view (its cookie), else French.

    Django's LocaleMiddleware would follow the browser's Accept-Language header,
    so an English-speaking browser would get French text with English dates. The
    platform is French first: English only when someone asks for it.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class RequestSizeLimitMiddleware:
    """Answer 413 to a request whose declared body is longer than ``UPLOAD_MAX_REQUEST_SIZE``.

    Checked on the Content-Length header, before anything reads the body (CSRF checks read
    the form): the worker neither buffers nor spools such a request. The reverse proxy is
    meant to refuse it first (README, "Deployment"); this holds without one (``make run``).
    A file past ``UPLOAD_MAX_FILE_SIZE`` in a request under this limit is refused by its
    form instead (``alliances.uploads.UploadSizeLimitHandler``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads a malformed length as an empty body
        if length > settings.UPLOAD_MAX_REQUEST_SIZE:
            context = {
                "size": length,
                "max": settings.UPLOAD_MAX_REQUEST_SIZE,
                "max_file": settings.UPLOAD_MAX_FILE_SIZE,
            }
            # No "Connection: close" here: WSGI forbids hop-by-hop headers to applications; the
            # server (gunicorn, runserver) discards or closes on the unread body itself.
            return render(request, "413.html", context, status=413)
        return self.get_response(request)


class RejectNulCharactersMiddleware:
    """Answer 400 to a URL whose path or query string holds a NUL character (``%00``).

    No legitimate link carries one, and PostgreSQL refuses it in any string it is sent (« A
    string literal cannot contain NUL »): without this, every filter, search or lookup fed
    from the query string would turn such a URL into a 500, on PostgreSQL only. Forms sent by
    POST need nothing here: Django's form fields refuse a NUL with a field error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            return render(request, "400.html", status=400)
        return self.get_response(request)
