"""Request guards that run before anything reads the request."""

from django.conf import settings
from django.shortcuts import render
from django.utils import translation


def _refusal(request, *, status: int, length_required: bool = False):
    limit_mb = settings.REQUEST_BODY_MAX_BYTES / (1024 * 1024)
    context = {
        "length_required": length_required,
        "limit_mb": f"{limit_mb:.0f}",
        "file_mb": settings.CONSULTATION_MAX_FILE_BYTES // (1024 * 1024),
        "total_mb": settings.CONSULTATION_MAX_TOTAL_BYTES // (1024 * 1024),
    }
    # Runs before LocaleMiddleware: pick the visitor's language from the cookie or the browser.
    with translation.override(translation.get_language_from_request(request)):
        return render(request, "413.html", context, status=status)


class RequestBodyLimitMiddleware:
    """Refuses a request whose body exceeds REQUEST_BODY_MAX_BYTES from its Content-Length alone,
    before a byte of it is read or parsed (413), and a body sent without a length (chunked),
    which Django would otherwise silently read as empty (411)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw_length = request.META.get("CONTENT_LENGTH")
        if raw_length:
            try:
                length = int(raw_length)
            except ValueError:
                length = 0
            if length > settings.REQUEST_BODY_MAX_BYTES:
                return _refusal(request, status=413)
        elif "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return _refusal(request, status=411, length_required=True)
        return self.get_response(request)
