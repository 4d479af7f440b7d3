"""Reads: who an announcement goes to, what staff see about it, and what a token opens."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower

from kosha_portal.mail.models import OutboundEmail

from .models import (
    Announcement,
    AnnouncementRecipient,
    Subscriber,
    SubscriptionRequest,
    Suppression,
    token_hash,
)

# How the outbox words a permanent failure: "SMTPRecipientsRefused 550: ..." (failures.py).
PERMANENT_FAILURE = r"^SMTP[A-Za-z]+ 5[0-9][0-9]:"


def permanent_failures_since_activation() -> QuerySet:
    """Outbox mail to a subscriber's address that failed for good with an SMTP 5xx after the
    subscriber (re)activated: whatever sent it, the address does not take mail."""
    return (
        OutboundEmail.objects.filter(
            status=OutboundEmail.Status.FAILED,
            last_error__regex=PERMANENT_FAILURE,
            failed_at__gt=OuterRef("activated_at"),
        )
        .annotate(address=Lower("to"))
        .filter(address=OuterRef("email"))
    )


def deliverable_subscribers() -> QuerySet:
    """Active subscribers not on the suppression list and without a permanent failure since they
    opted in: the only ones an announcement may be sent to."""
    return (
        Subscriber.objects.filter(status=Subscriber.Status.ACTIVE)
        .exclude(Exists(Suppression.objects.filter(address_hash=OuterRef("email_hash"))))
        .exclude(Exists(permanent_failures_since_activation()))
    )


def _attended_seminar_addresses():
    from seminars.models import Registration

    return (
        Registration.objects.filter(status=Registration.Status.ATTENDED)
        .annotate(address=Lower("email"))
        .values("address")
    )


def _school_alumni_addresses():
    from school.models import Application, Cohort, Participant

    finished = Q(cohort__status=Cohort.Status.FINISHED, status=Application.Status.ACCEPTED)
    contacts = Application.objects.filter(finished).annotate(address=Lower("contact_email"))
    participants = (
        Participant.objects.filter(
            application__cohort__status=Cohort.Status.FINISHED,
            application__status=Application.Status.ACCEPTED,
        )
        .exclude(email="")
        .annotate(address=Lower("email"))
    )
    return contacts.values("address"), participants.values("address")


@dataclass(frozen=True)
class Audience:
    """The filters of an announcement (see ``Announcement``)."""

    everyone: bool = True
    industries: tuple = ()
    municipalities: tuple = ()
    seminar_participants: bool = False
    school_alumni: bool = False

    @classmethod
    def of(cls, announcement: Announcement) -> "Audience":
        return cls(
            everyone=announcement.audience_all,
            industries=tuple(announcement.industries or ()),
            municipalities=tuple(announcement.municipalities or ()),
            seminar_participants=announcement.seminar_participants,
            school_alumni=announcement.school_alumni,
        )

    @property
    def has_filter(self) -> bool:
        return bool(self.industries or self.municipalities or self.seminar_participants) or bool(
            self.school_alumni
        )


def audience_subscribers(audience: Audience) -> QuerySet:
    """The deliverable subscribers the filters pick (none when no filter is set and not all)."""
    subscribers = deliverable_subscribers()
    if audience.everyone:
        return subscribers
    if not audience.has_filter:
        return subscribers.none()
    if audience.industries:
        subscribers = subscribers.filter(industry__in=audience.industries)
    if audience.municipalities:
        subscribers = subscribers.filter(municipality__in=audience.municipalities)
    if audience.seminar_participants:
        subscribers = subscribers.filter(email__in=_attended_seminar_addresses())
    if audience.school_alumni:
        contacts, participants = _school_alumni_addresses()
        subscribers = subscribers.filter(Q(email__in=contacts) | Q(email__in=participants))
    return subscribers


def audience_count(announcement: Announcement) -> int:
    """How many subscribers the announcement would go to if it were sent now."""
    return audience_subscribers(Audience.of(announcement)).count()


@dataclass(frozen=True)
class Progress:
    total: int
    sent: int
    failed: int
    skipped: int
    waiting: int


def announcement_progress(announcement: Announcement) -> Progress:
    """Where the recipients of a started announcement are: sent, failed, skipped, still to go."""
    counts = AnnouncementRecipient.objects.filter(announcement=announcement).aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(email__status=OutboundEmail.Status.SENT)),
        failed=Count(
            "pk",
            filter=Q(
                email__status__in=[OutboundEmail.Status.FAILED, OutboundEmail.Status.CANCELLED],
                skipped_at__isnull=True,
            ),
        ),
        skipped=Count("pk", filter=Q(skipped_at__isnull=False)),
    )
    waiting = counts["total"] - counts["sent"] - counts["failed"] - counts["skipped"]
    return Progress(waiting=waiting, **counts)


def subscriber_for_token(token: str) -> Subscriber | None:
    if not token or len(token) > 64:
        return None
    return Subscriber.objects.filter(unsubscribe_token=token).first()


def subscription_request_for_token(token: str) -> SubscriptionRequest | None:
    if not token or len(token) > 64:
        return None
    return SubscriptionRequest.objects.filter(token_hash=token_hash(token)).first()
