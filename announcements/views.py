"""Public pages: the subscribe page with its double opt-in, and unsubscribing (the page in every
announcement's footer, and the RFC 8058 one-click POST that mail programs send). None needs a
login: the link's token is the proof."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from kosha_portal.audit.services import company_actor
from kosha_portal.clientip import client_ip
from kosha_portal.errors import DomainError
from kosha_portal.mail.services import current_language
from kosha_portal.ratelimit import rate_limited

from . import selectors, services
from .forms import SubscribeForm
from .models import Subscriber, UnsubscribeMethod


def _notice_context() -> dict:
    return {
        "notice_version": settings.ANNOUNCEMENT_NOTICE_VERSION,
        "confirm_hours": settings.ANNOUNCEMENT_CONFIRM_HOURS,
    }


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def subscribe(request):
    """The public subscribe page: the notice, and a form that sends a confirmation mail."""
    form = SubscribeForm(request.POST or None)
    if request.method == "POST":
        refused = rate_limited(
            request,
            scope="announcement-subscribe",
            limit=settings.ANNOUNCEMENT_SUBSCRIBE_RATE_LIMIT,
            window_seconds=600,
        )
        if refused is not None:
            return refused
        if form.is_valid():
            if not form.cleaned_data.get("website"):
                services.subscription_request_create(
                    email=form.cleaned_data["email"],
                    client_ip=client_ip(request),
                    language=current_language(),
                    industry=form.cleaned_data.get("industry") or "",
                    municipality=form.cleaned_data.get("municipality") or "",
                )
            # The same answer whatever the address: the page must not tell who is subscribed.
            return redirect("announcements:subscribe_sent")
    return render(request, "announcements/subscribe.html", {"form": form, **_notice_context()})


@login_not_required
def subscribe_sent(request):
    return render(request, "announcements/subscribe_sent.html", _notice_context())


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """The link in the confirmation mail: a page with one button (a link scanner that opens
    the mail must not subscribe anyone), and the confirmation on POST. Works once."""
    subscription = selectors.subscription_request_for_token(token)
    state = services.subscription_request_state(subscription)
    if state != "valid":
        return render(request, "announcements/confirm_invalid.html", {"state": state}, status=200)
    error = None
    if request.method == "POST":
        try:
            services.subscription_confirm(request=subscription, client_ip=client_ip(request))
        except DomainError as exc:
            error = exc.message
        else:
            return render(request, "announcements/confirmed.html", _notice_context())
    return render(
        request,
        "announcements/confirm.html",
        {"subscription": subscription, "error": error, **_notice_context()},
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """The personal unsubscribe page of every announcement's footer: one button, no login."""
    subscriber = selectors.subscriber_for_token(token)
    if subscriber is None:
        return render(request, "announcements/unsubscribe_invalid.html")
    if request.method == "POST":
        services.subscriber_unsubscribe(
            subscriber=subscriber,
            method=UnsubscribeMethod.LINK,
            actor=company_actor(subscriber.email),
        )
        return redirect(reverse("announcements:unsubscribe", args=[token]) + "?done=1")
    return render(
        request,
        "announcements/unsubscribe.html",
        {
            "subscriber": subscriber,
            "stopped": subscriber.status == Subscriber.Status.UNSUBSCRIBED,
            "just_done": request.GET.get("done") == "1",
            "subscribe_url": reverse("announcements:subscribe"),
        },
    )


@csrf_exempt  # RFC 8058: the mail program POSTs without a session or a token of ours
@login_not_required
@require_POST
def one_click(request, token):
    """List-Unsubscribe-Post: List-Unsubscribe=One-Click. Unsubscribes the token's address and
    nothing else; sets no cookie and answers without a redirect."""
    subscriber = selectors.subscriber_for_token(token)
    if subscriber is None:
        raise Http404
    services.subscriber_unsubscribe(
        subscriber=subscriber,
        method=UnsubscribeMethod.ONE_CLICK,
        actor=company_actor(subscriber.email),
    )
    response = HttpResponse(
        _("配信を停止しました。") + "\n",
        content_type="text/plain; charset=utf-8",
    )
    response["Cache-Control"] = "no-store"
    return response
