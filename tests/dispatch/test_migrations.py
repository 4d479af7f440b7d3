"""The data step of migration 0004: what the rows with a stored 第N回 knew is kept."""

import datetime
import importlib

import pytest
from django.apps import apps

from dispatch import services
from dispatch.models import Dispatch, Visit
from kosha_portal.audit.services import audit_record
from tests import timeline
from tests.dispatch import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]

migration = importlib.import_module("dispatch.migrations.0006_visit_identity_reasons_and_consents")


def test_backfill_numbers_filed_reports_by_date_and_copies_reasons_from_the_audit_trail(year2026):
    dispatch = f.decided_dispatch(year2026, planned=4)
    visits = [
        services.visit_schedule(
            dispatch=dispatch,
            date=datetime.date(2026, 11, day),
            start_time=None,
            mode="online",
            actor="e",
        )
        for day in (16, 18, 20)
    ]
    for visit in visits[:2]:
        services.visit_report_file(
            visit=visit,
            report_date=visit.date,
            report_start=datetime.time(10),
            report_end=datetime.time(11),
            attendees="代表",
            topics="相談",
            advice="助言",
            next_steps="",
            actor="e",
        )
    services.visit_cancel(visit=visits[2], reason="先方のご都合", actor="e")
    withdrawn = f.applied_dispatch(year2026)
    services.dispatch_withdraw(dispatch=withdrawn, reason="社内で対応", actor="company")
    # As the rows stood before 0004: no filed number, the reasons only in the audit trail.
    Visit.objects.update(report_number=None, cancel_reason="")
    Dispatch.objects.update(withdrawal_reason="")
    audit_record(
        actor="e", action="visit.cancel", obj=visits[2], changes={"reason": "先方のご都合"}
    )
    audit_record(
        actor="c", action="dispatch.withdraw", obj=withdrawn, changes={"reason": "社内で対応"}
    )

    migration.backfill(apps, None)

    numbers = dict(Visit.objects.values_list("pk", "report_number"))
    assert [numbers[v.pk] for v in visits] == [1, 2, None]
    assert Visit.objects.get(pk=visits[2].pk).cancel_reason == "先方のご都合"
    assert Dispatch.objects.get(pk=withdrawn.pk).withdrawal_reason == "社内で対応"
