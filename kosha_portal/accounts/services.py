"""Personal access links for company contacts, and the session grants they give."""

import secrets
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse

from kosha_portal import clock
from kosha_portal.audit.services import audit_record

from .models import AccessLink, token_hash

SESSION_KEY = "portal_grants"


def access_link_issue(
    *, email: str, organisation=None, target=None, lifetime_days: int | None = None
) -> tuple[AccessLink, str]:
    """Create a link and return it with its raw token (shown once, in the email that carries it)."""
    token = secrets.token_urlsafe(32)
    days = lifetime_days or settings.ACCESS_LINK_LIFETIME_DAYS
    link = AccessLink.objects.create(
        token_hash=token_hash(token),
        email=email.lower(),
        organisation=organisation,
        content_type=ContentType.objects.get_for_model(target) if target is not None else None,
        object_id=str(target.pk) if target is not None else "",
        expires_at=clock.now() + timedelta(days=days),
    )
    return link, token


def access_link_url(token: str) -> str:
    return settings.SITE_URL + reverse("accounts:access_link", args=[token])


def access_link_resolve(token: str) -> AccessLink | None:
    if not token or len(token) > 100:
        return None
    link = AccessLink.objects.filter(token_hash=token_hash(token)).first()
    if link is None or not link.is_active:
        return None
    AccessLink.objects.filter(pk=link.pk).update(last_used_at=clock.now())
    return link


def access_link_revoke(*, link: AccessLink, actor) -> None:
    with transaction.atomic():
        AccessLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=clock.now()
        )
        audit_record(actor=actor, action="access_link.revoke", obj=link)


def access_links_revoke_for(*, target, actor) -> int:
    """Revoke every link to ``target`` (e.g. when a consultation is closed for good)."""
    links = AccessLink.objects.filter(
        content_type=ContentType.objects.get_for_model(target),
        object_id=str(target.pk),
        revoked_at__isnull=True,
    )
    count = links.update(revoked_at=clock.now())
    if count:
        audit_record(
            actor=actor, action="access_link.revoke_all", obj=target, changes={"count": count}
        )
    return count


# --- session grants ------------------------------------------------------------------------------
#
# A link grants access to its target object only (and to what derives from it, which the caller
# passes as ``via``), never to a whole organisation: anyone can type a company's 法人番号 into a
# public form and receive a link, so an organisation-wide grant would open the company's records
# to strangers. ``AccessLink.organisation`` records whose link it is and grants nothing.

GRANTS_CACHE_ATTR = "_portal_grants"


def _target_key(obj) -> str:
    return f"{ContentType.objects.get_for_model(obj).pk}:{obj.pk}"


def portal_grant(request, link: AccessLink) -> None:
    grants = [g for g in request.session.get(SESSION_KEY, []) if g["link"] != link.pk]
    grants.append(
        {
            "link": link.pk,
            "target": (
                f"{link.content_type_id}:{link.object_id}" if link.content_type_id else None
            ),
            "email": link.email,
            "expires": link.expires_at.timestamp(),
        }
    )
    if SESSION_KEY not in request.session:
        request.session.cycle_key()
    request.session[SESSION_KEY] = grants[-20:]
    _limit_session_to_grants(request, grants[-20:])
    request.__dict__.pop(GRANTS_CACHE_ATTR, None)


def _limit_session_to_grants(request, grants: list[dict]) -> None:
    """A visitor who only holds personal links keeps the session no longer than the latest of
    them is valid (and never longer than SESSION_COOKIE_AGE). A logged-in user's session follows
    the staff rules instead (accounts.middleware)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return
    if not grants:
        return
    now = clock.now()
    latest = datetime.fromtimestamp(max(g["expires"] for g in grants), tz=UTC)
    request.session.set_expiry(min(latest, now + timedelta(seconds=settings.SESSION_COOKIE_AGE)))


def _active_grants(request) -> list[dict]:
    """The visitor's live grants, loaded once per request (one query) and then checked in Python."""
    cached = getattr(request, GRANTS_CACHE_ATTR, None)
    if cached is not None:
        return cached
    now = clock.now()
    stored = request.session.get(SESSION_KEY, [])
    grants = [g for g in stored if g["expires"] > now.timestamp() and g.get("target")]
    if grants:
        # A link revoked, or made to expire, after it was opened stops working at once.
        live = set(
            AccessLink.objects.filter(
                pk__in=[g["link"] for g in grants], revoked_at__isnull=True, expires_at__gt=now
            ).values_list("pk", flat=True)
        )
        grants = [g for g in grants if g["link"] in live]
    if stored and len(grants) != len(stored):
        _grants_prune(request, grants)
    setattr(request, GRANTS_CACHE_ATTR, grants)
    return grants


def _grants_prune(request, grants: list[dict]) -> None:
    """Forget dead grants; when none is left, a visitor's personal-link session ends."""
    if grants:
        request.session[SESSION_KEY] = grants
        _limit_session_to_grants(request, grants)
        return
    request.session.pop(SESSION_KEY, None)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        request.session.flush()


def portal_emails(request) -> set[str]:
    return {g["email"] for g in _active_grants(request)}


def portal_target_ids(request, model) -> set[str]:
    """Primary keys (as stored, i.e. strings) of the ``model`` objects the visitor's links target."""
    prefix = f"{ContentType.objects.get_for_model(model).pk}:"
    return {
        g["target"].removeprefix(prefix)
        for g in _active_grants(request)
        if g["target"].startswith(prefix)
    }


def portal_can_access(request, obj, *, via=()) -> bool:
    """True when a live link of the visitor targets ``obj`` or one of the objects in ``via``
    (those ``obj`` derives from, e.g. the consultation a dispatch came from)."""
    grants = _active_grants(request)
    if not grants:
        return False
    keys = {_target_key(o) for o in (obj, *via) if o is not None}
    return any(g["target"] in keys for g in grants)


def portal_has_any(request) -> bool:
    return bool(_active_grants(request))


def portal_leave(request) -> None:
    request.session.pop(SESSION_KEY, None)
    request.__dict__.pop(GRANTS_CACHE_ATTR, None)


def access_links_resend(*, email: str) -> int:
    """Issue fresh links for everything the address ever had a link to, in one email.

    Returns the number of links (0 for an unknown address); callers must not reveal it."""
    from kosha_portal.mail.services import current_language, email_enqueue

    email = email.strip().lower()
    # Revoked links stay revoked: their targets get no new link. Links without a target grant
    # nothing, so they are not renewed either.
    targets = {}
    for link in AccessLink.objects.filter(
        email=email, revoked_at__isnull=True, content_type__isnull=False
    ).select_related("content_type"):
        targets.setdefault((link.content_type_id, link.object_id), link)
    if not targets:
        return 0
    entries = []
    with transaction.atomic():
        for old in targets.values():
            target = old.target
            if target is None:
                continue
            link, token = access_link_issue(
                email=email, organisation=old.organisation, target=target
            )
            entries.append({"label": str(target), "url": access_link_url(token)})
        if entries:
            email_enqueue(
                to=email,
                template="accounts/emails/links_resend",
                context={"entries": entries},
                language=current_language(),
            )
    return len(entries)
