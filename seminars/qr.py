"""The check-in QR code of a registration, rendered here with segno (no outside service sees the
token): a PNG for the confirmation mail (an inline image) and an inline SVG for the registrant's
own page. It carries the registration's ``checkin_token`` and nothing else."""

import io

import segno
from django.utils.translation import gettext

from .models import Registration

CONTENT_ID = "checkin-qr@kosha-portal"
FILENAME = "checkin-qr.png"


def _qr(registration: Registration):
    return segno.make(registration.checkin_token, error="m")


def checkin_qr_png(registration: Registration) -> bytes:
    buffer = io.BytesIO()
    _qr(registration).save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()


def checkin_qr_svg(registration: Registration) -> str:
    return _qr(registration).svg_inline(
        scale=6, border=4, dark="#000", light="#fff", title=gettext("受付用のQRコード")
    )
