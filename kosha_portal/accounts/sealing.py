"""Personal-link tokens never rest in the outbox.

An email that carries a personal link is stored with the link sealed (``/access/sealed-<id>/``);
delivery gives the link a fresh token, puts it into the outgoing message only, and keeps just its
hash. So neither the outbox table, nor the admin that shows it, nor a database backup holds a
working link. The token the business code issued is replaced by the delivered one.

Delivery passes the email's Message-ID as ``key``: the token is then derived from it, the link
and the secret key, so every attempt of one email carries the same token. An email delivered
twice (a worker killed after the server's 250, then requeued) therefore carries a working link in
both copies, and a receiver that drops the repeat by its Message-ID leaves the reader one that
works. The derived token is not in the database: computing it needs SECRET_KEY."""

import base64
import re
import secrets

from django.urls import reverse
from django.utils.crypto import salted_hmac

from .models import AccessLink, token_hash

_TOKEN_IN_URL = re.compile(r"/access/([A-Za-z0-9_\-]{20,100})/")
_SEALED = re.compile(r"/access/sealed-(\d+)/")


def access_tokens_seal(*bodies: str) -> list[str]:
    """Replace the tokens of known links in ``bodies`` by sealed references."""
    tokens = {m.group(1) for body in bodies for m in _TOKEN_IN_URL.finditer(body)}
    if not tokens:
        return list(bodies)
    ids = dict(
        AccessLink.objects.filter(token_hash__in=[token_hash(t) for t in tokens]).values_list(
            "token_hash", "pk"
        )
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
