"""Personal-link tokens never rest in the outbox.

An email that carries a personal link is stored with the link sealed (``/access/sealed-<id>/``);
delivery gives the link a fresh token, puts it into the outgoing message only, and keeps just its
hash. So neither the outbox table, nor the admin that shows it, nor a database backup holds a
working link. The token the business code issued is replaced by the delivered one."""

import re
import secrets

from django.urls import reverse

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


def access_tokens_unseal(*bodies: str) -> list[str]:
    """Give every sealed link a fresh token and return the bodies to send. Call it inside the
    delivery transaction: the new hashes are saved with the delivery."""
    ids = {int(m.group(1)) for body in bodies for m in _SEALED.finditer(body)}
    if not ids:
        return list(bodies)
    fresh = {}
    for link in AccessLink.objects.select_for_update().filter(pk__in=ids):
        token = secrets.token_urlsafe(32)
        link.token_hash = token_hash(token)
        link.save(update_fields=["token_hash"])
        fresh[link.pk] = token

    def unsealed(match):
        token = fresh.get(int(match.group(1)))
        # A link deleted since the email was written: point to "send my link again".
        return f"/access/{token}/" if token else reverse("accounts:link_resend")

    return [_SEALED.sub(unsealed, body) for body in bodies]
