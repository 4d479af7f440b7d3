"""Demo announcements: a few subscribers who opted in on the forms and the subscribe page, and
one draft announcing the next seminar, ready to preview and test-send. Idempotent."""

from django.db import transaction

from kosha_portal import clock

from . import services
from .models import Announcement, Consent, Source, Subscriber

DEMO_SUBSCRIBERS = [
    ("demo.kouri@example.jp", Source.SEMINAR, "retail", "千代田区"),
    ("demo.service@example.jp", Source.CONSULTATION, "services", "港区"),
    ("demo.seizou@example.jp", Source.SUBSCRIBE_PAGE, "manufacturing", "大田区"),
]
DRAFT_SUBJECT = "カスタマーハラスメント対策セミナー（第3回 現場対応編）のご案内"


def load(stdout):
    created = 0
    for email, source, industry, municipality in DEMO_SUBSCRIBERS:
        if Subscriber.objects.filter(email=email).exists():
            continue
        with transaction.atomic():
            subscriber = Subscriber.objects.create(
                email=email,
                industry=industry,
                municipality=municipality,
                activated_at=clock.now(),
            )
            Consent.objects.create(
                subscriber=subscriber,
                given_at=clock.now(),
                source=source,
                notice_version="demo",
                client_ip="192.0.2.1",
            )
        created += 1
    if not Announcement.objects.filter(subject=DRAFT_SUBJECT).exists():
        services.announcement_save(
            announcement=Announcement(
                subject=DRAFT_SUBJECT,
                body_text=(
                    "東京都中小企業振興公社では、カスタマーハラスメント対策セミナー"
                    "（第3回 現場対応編）を開催します。\n"
                    "現場での初期対応と、社内での情報共有の進め方を事例で学びます。\n\n"
                    "お申込みはセミナーのページからお願いいたします。"
                ),
            ),
            actor="demo",
        )
    stdout.write(f"announcements: {created} demo subscriber(s), a draft announcement")
