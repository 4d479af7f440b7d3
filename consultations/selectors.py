from .models import Consultation


def consultation_with_confirmed_need(organisation) -> Consultation | None:
    """The organisation's latest consultation whose dispatch need the desk confirmed."""
    return (
        Consultation.objects.filter(organisation=organisation, dispatch_need=True)
        .exclude(status=Consultation.Status.WITHDRAWN)
        .order_by("-dispatch_need_decided_on", "-received_at")
        .first()
    )
