"""Personal-link tokens never rest in the outbox.

An email that carries a personal link is stored with the link sealed (``/access/sealed-<id>/``);
delivery gives the link a fresh token, puts it into the outgoing message only, and keeps just its
hash. So neither the outbox table, nor the admin that shows it, nor a database backup holds a
working link. The token the business code issued is replaced by the delivered one.

Delivery passes the email's Message-ID as ``key``: the token is then derived from it, the link
and the secret key, so every attempt of one email carries the same token. An email delivered
twice (a worker killed after the server's 250, then requeued) therefore carries a working link in
both copies, and a receiver that drops the repeat by its Message-ID leaves the reader one that
works. The derived token is not in the database: computing it needs SECRET_KEY.

Invitations (``/account/invitation/<token>/``) are sealed the same way: an invitation lets its
holder set the account's first password and enrol its second factor, and desk staff can read
the outbox. Password-reset links (``/account/password/reset/<uid>/<token>/``) are sealed as
``/account/password/reset/<uid>/sealed/``; Django's reset tokens are derived from the account's
state, so delivery simply makes a fresh one for that user."""

import base64
import re
import secrets

from django.urls import reverse
from django.utils.crypto import salted_hmac

from .models import AccessLink, Invitation, token_hash

_TOKEN_IN_URL = re.compile(r"/access/([A-Za-z0-9_\-]{20,100})/")
_SEALED = re.compile(r"/access/sealed-(\d+)/")
_INVITATION_IN_URL = re.compile(r"/account/invitation/([A-Za-z0-9_\-]{20,100})/")
_INVITATION_SEALED = re.compile(r"/account/invitation/sealed-(\d+)/")
_RESET_IN_URL = re.compile(r"/account/password/reset/([A-Za-z0-9_\-]+)/([0-9a-z]+-[0-9a-f]+)/")
_RESET_SEALED = re.compile(r"/account/password/reset/([A-Za-z0-9_\-]+)/sealed/")


def access_tokens_seal(*bodies: str, known: dict[str, int] | None = None) -> list[str]:
    """Replace the tokens of known links (personal links, invitations, password resets) in
    ``bodies`` by sealed references. ``known`` maps tokens the caller has just issued to their
    links' ids (no need to look those up); any other token is looked up by its hash."""
    bodies = _account_tokens_seal(list(bodies))
    tokens = {m.group(1) for body in bodies for m in _TOKEN_IN_URL.finditer(body)}
    if not tokens:
        return list(bodies)
    known = known or {}
    ids = {token_hash(t): pk for t, pk in known.items() if t in tokens}
    unknown = [token_hash(t) for t in tokens if t not in known]
    if unknown:
        ids.update(
            AccessLink.objects.filter(token_hash__in=unknown).values_list("token_hash", "pk")
        )

    def sealed(match):
        pk = ids.get(token_hash(match.group(1)))
        return f"/access/sealed-{pk}/" if pk else match.group(0)

    return [_TOKEN_IN_URL.sub(sealed, body) for body in bodies]


def _delivery_token(key: str, link_id: int) -> str:
    digest = salted_hmac(
        "kosha_portal.accounts.sealing.delivery", f"{key}:{link_id}", algorithm="sha256"
    ).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def access_tokens_unseal(*bodies: str, key: str | None = None) -> list[str]:
    """Give every sealed link its delivery token and return the bodies to send; the new hashes
    are saved before the message leaves (commit them before talking to the mail server).

    With ``key`` (the email's Message-ID) the token is the same at every call for that key;
    without it each call mints a random one."""
    bodies = _account_tokens_unseal(list(bodies), key)
    ids = {int(m.group(1)) for body in bodies for m in _SEALED.finditer(body)}
    if not ids:
        return list(bodies)
    fresh = {}
    for link in AccessLink.objects.select_for_update().filter(pk__in=ids):
        token = _delivery_token(key, link.pk) if key else secrets.token_urlsafe(32)
        if link.token_hash != token_hash(token):
            link.token_hash = token_hash(token)
            link.save(update_fields=["token_hash"])
        fresh[link.pk] = token

    def unsealed(match):
        token = fresh.get(int(match.group(1)))
        # A link deleted since the email was written: point to "send my link again".
        return f"/access/{token}/" if token else reverse("accounts:link_resend")

    return [_SEALED.sub(unsealed, body) for body in bodies]


def _account_tokens_seal(bodies: list[str]) -> list[str]:
    tokens = {m.group(1) for body in bodies for m in _INVITATION_IN_URL.finditer(body)}
    ids = (
        dict(
            Invitation.objects.filter(token_hash__in=[token_hash(t) for t in tokens]).values_list(
                "token_hash", "pk"
            )
        )
        if tokens
        else {}
    )

    def sealed_invitation(match):
        pk = ids.get(token_hash(match.group(1)))
        return f"/account/invitation/sealed-{pk}/" if pk else match.group(0)

    def sealed_reset(match):
        return f"/account/password/reset/{match.group(1)}/sealed/"

    return [
        _RESET_IN_URL.sub(sealed_reset, _INVITATION_IN_URL.sub(sealed_invitation, body))
        for body in bodies
    ]


def _account_tokens_unseal(bodies: list[str], key: str | None) -> list[str]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.http import urlsafe_base64_decode

    ids = {int(m.group(1)) for body in bodies for m in _INVITATION_SEALED.finditer(body)}
    fresh = {}
    for invitation in Invitation.objects.select_for_update().filter(pk__in=ids):
        token = _delivery_token(f"invitation:{key}", invitation.pk) if key else None
        token = token or secrets.token_urlsafe(32)
        if invitation.token_hash != token_hash(token):
            invitation.token_hash = token_hash(token)
            invitation.save(update_fields=["token_hash"])
        fresh[invitation.pk] = token

    def unsealed_invitation(match):
        token = fresh.get(int(match.group(1)))
        # An invitation deleted since the email was written: its page says it is not valid.
        return f"/account/invitation/{token or 'sealed-' + match.group(1)}/"

    def unsealed_reset(match):
        uidb64 = match.group(1)
        try:
            user = get_user_model()._default_manager.get(pk=urlsafe_base64_decode(uidb64).decode())
        except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
            return reverse("accounts:password_reset")
        return reverse(
            "accounts:password_reset_confirm",
            args=[uidb64, default_token_generator.make_token(user)],
        )

    return [
        _RESET_SEALED.sub(unsealed_reset, _INVITATION_SEALED.sub(unsealed_invitation, body))
        for body in bodies
    ]
