"""The one workflow helper (kosha_portal.workflow) against every stateful model's own map: each
move in the map is allowed, every other (from, to) pair is refused and leaves the row as it was,
backward moves need a reason that the audit event keeps, bulk moves touch only the rows whose
status allows them, and no production module writes a status anywhere else."""

import ast
import datetime
import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import transaction
from django.db.transaction import TransactionManagementError

from consultations.models import Consultation
from dispatch.models import Dispatch, ProgramYear, Visit
from kosha_portal import clock
from kosha_portal.audit.models import AuditEvent
from kosha_portal.audit.services import audit_events_for
from kosha_portal.documents.models import GeneratedDocument
from kosha_portal.errors import DomainError
from kosha_portal.mail.models import OutboundEmail
from kosha_portal.workflow import (
    milestone_field,
    reason_required,
    sources_for,
    transition,
    transition_many,
)
from school.models import Application, Attendance, Cohort
from seminars.models import Registration, Seminar
from tests.dispatch import factories as dispatch_factories
from tests.factories import OrganisationFactory
from tests.school.factories import (
    ApplicationFactory,
    CohortFactory,
    ParticipantFactory,
    SessionFactory,
)
from tests.seminars.factories import SeminarFactory

pytestmark = pytest.mark.django_db

AT = datetime.datetime(2026, 11, 20, 10, 30, tzinfo=datetime.UTC)
REASON = "事業者から電話で申出があったため"
_seq = itertools.count(1)


# --- one row in any status, per model --------------------------------------------------------------


def _consultation(status):
    consultation = dispatch_factories.consultation(need=None)
    Consultation.objects.filter(pk=consultation.pk).update(status=status)
    return Consultation.objects.get(pk=consultation.pk)


def _dispatch(status):
    year = ProgramYear.objects.filter(fiscal_year=2026).first()
    year = year or dispatch_factories.program_year(2026)
    consultation = dispatch_factories.consultation(need=True)
    n = next(_seq)
    # The decision fields are filled for every status: the constraint then holds in all of them.
    return Dispatch.objects.create(
        reference=f"DW-{n:05d}",
        program_year=year,
        organisation=consultation.organisation,
        consultation=consultation,
        status=status,
        contact_name="山田 太郎",
        contact_email=consultation.contact_email,
        theme="マニュアルの作成",
        goals="手順を整えたい",
        consent_at=AT,
        privacy_notice_version="2026-04",
        applied_at=AT,
        decision_date=datetime.date(2026, 11, 2),
        decision_number=f"5産労総第{n}号",
        expert=dispatch_factories.expert(),
        planned_visits=4,
    )


def _visit(status):
    return Visit.objects.create(
        dispatch=_dispatch(Dispatch.Status.DECIDED),
        status=status,
        date=datetime.date(2026, 11, 16),
        place="本社会議室",
        scheduled_at=AT,
    )


def _seminar(status):
    return SeminarFactory(status=status)


def _registration(status):
    n = next(_seq)
    return Registration.objects.create(
        seminar=SeminarFactory(),
        organisation=OrganisationFactory(),
        name=f"山田 花子{n}",
        name_kana="ヤマダ ハナコ",
        email=f"hanako{n}@example.jp",
        format=Registration.Format.VENUE,
        consent_at=AT,
        privacy_notice_version="2026-04",
        status=status,
        waiting_position=1 if status == Registration.Status.WAITING else None,
    )


def _cohort(status):
    return CohortFactory(status=status)


def _application(status):
    return ApplicationFactory(
        status=status, roster_number=1 if status == Application.Status.ACCEPTED else None
    )


def _attendance(status):
    participant = ParticipantFactory()
    session = SessionFactory(cohort=participant.application.cohort)
    return Attendance.objects.create(participant=participant, session=session, status=status)


def _email(status):
    return OutboundEmail.objects.create(
        status=status,
        to="someone@example.jp",
        template="emails/test",
        subject="件名",
        body_text="本文",
    )


def _document(status):
    return GeneratedDocument.objects.create(
        status=status, kind="test", template="pdf/test.html", filename="test.pdf"
    )


@dataclass(frozen=True)
class Workflow:
    model: type
    make: object

    def values_for(self, to) -> dict:
        """Fields other than the status that the model's constraints tie to the target."""
        if self.model is Registration:
            return {"waiting_position": 1 if to == Registration.Status.WAITING else None}
        if self.model is Application:
            return {"roster_number": 1 if to == Application.Status.ACCEPTED else None}
        return {}


WORKFLOWS = {
    "consultation": Workflow(Consultation, _consultation),
    "dispatch": Workflow(Dispatch, _dispatch),
    "visit": Workflow(Visit, _visit),
    "seminar": Workflow(Seminar, _seminar),
    "registration": Workflow(Registration, _registration),
    "cohort": Workflow(Cohort, _cohort),
    "school_application": Workflow(Application, _application),
    "attendance": Workflow(Attendance, _attendance),
    "outbound_email": Workflow(OutboundEmail, _email),
    "generated_document": Workflow(GeneratedDocument, _document),
}


def _pairs(allowed: bool):
    for name, workflow in WORKFLOWS.items():
        model = workflow.model
        for current, to in itertools.product(model.Status.values, repeat=2):
            if (to in model.TRANSITIONS[current]) == allowed:
                yield pytest.param(name, current, to, id=f"{name}:{current}->{to}")


def _snapshot(obj) -> dict:
    fresh = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in type(obj)._meta.concrete_fields}


def _locked(obj):
    return type(obj).objects.select_for_update().get(pk=obj.pk)


# --- the maps themselves ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", WORKFLOWS)
def test_each_map_names_every_status_and_only_real_fields(name):
    model = WORKFLOWS[name].model
    assert set(model.TRANSITIONS) == set(model.Status.values)
    for targets in model.TRANSITIONS.values():
        assert set(targets) <= set(model.Status.values)
    field_names = {f.name for f in model._meta.fields}
    assert {f for f in model.MILESTONES.values() if f} <= field_names
    for pair in model.REASON_REQUIRED:
        current, to = pair
        assert to in model.TRANSITIONS[current], f"{name}: {pair} needs a reason but is not a move"
    status_check = next(c for c in model._meta.constraints if c.name.endswith("status_valid"))
    assert list(status_check.condition.children) == [("status__in", model.Status.values)]


def test_the_backward_and_destructive_moves_are_the_ones_declared():
    """The moves that need a reason, per workflow (a change here is a decision, not a typo)."""
    declared = {
        name: sorted(workflow.model.REASON_REQUIRED) for name, workflow in WORKFLOWS.items()
    }
    assert declared == {
        "consultation": sorted(
            [
                ("answered", "in_progress"),
                ("answered", "withdrawn"),
                ("closed", "in_progress"),
                ("in_progress", "withdrawn"),
                ("new", "withdrawn"),
                ("withdrawn", "in_progress"),
            ]
        ),
        "dispatch": [("applied", "rejected"), ("applied", "withdrawn"), ("decided", "withdrawn")],
        "visit": [("scheduled", "cancelled")],
        "seminar": [("draft", "cancelled"), ("published", "cancelled")],
        "registration": [
            ("attended", "confirmed"),
            ("confirmed", "cancelled"),
            ("waiting", "cancelled"),
        ],
        "cohort": [],
        "school_application": [("accepted", "declined")],
        "attendance": [],
        "outbound_email": [],
        "generated_document": [],
    }


# --- one move -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "current", "to"), list(_pairs(allowed=False)))
def test_a_move_not_in_the_map_is_refused_and_leaves_the_row_unchanged(name, current, to):
    workflow = WORKFLOWS[name]
    obj = workflow.make(current)
    before = _snapshot(obj)
    events = AuditEvent.objects.count()
    with pytest.raises(DomainError) as error, transaction.atomic():
        locked = _locked(obj)
        for field, value in workflow.values_for(to).items():
            setattr(locked, field, value)
        transition(locked, to, actor="test", reason=REASON, at=AT)
    assert error.value.code == "transition"
    status = workflow.model.Status
    assert f"「{status(current).label}」から「{status(to).label}」" in error.value.message
    assert _snapshot(obj) == before
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(("name", "current", "to"), list(_pairs(allowed=True)))
def test_each_move_in_the_map_is_allowed_stamped_and_audited(name, current, to):
    workflow = WORKFLOWS[name]
    model = workflow.model
    obj = workflow.make(current)
    needs_reason = reason_required(model, to, current)
    with transaction.atomic():
        locked = _locked(obj)
        for field, value in workflow.values_for(to).items():
            setattr(locked, field, value)
        previous = transition(
            locked, to, actor="test", reason=REASON if needs_reason else None, at=AT
        )
    assert previous == current
    fresh = model.objects.get(pk=obj.pk)
    assert fresh.status == to
    field = milestone_field(model, current, to)
    if field:
        assert getattr(fresh, field) == AT
    event = audit_events_for(fresh).get()
    assert event.action == f"{model._meta.model_name}.status.{to}"
    expected = {"from": current, "to": to, **({"reason": REASON} if needs_reason else {})}
    assert event.changes == expected


def _reason_pairs():
    for name, workflow in WORKFLOWS.items():
        for current, to in sorted(workflow.model.REASON_REQUIRED):
            yield pytest.param(name, current, to, id=f"{name}:{current}->{to}")


@pytest.mark.parametrize(("name", "current", "to"), list(_reason_pairs()))
@pytest.mark.parametrize("blank", [None, "", "   \n"])
def test_a_backward_move_without_a_reason_is_refused(name, current, to, blank):
    workflow = WORKFLOWS[name]
    obj = workflow.make(current)
    before = _snapshot(obj)
    with pytest.raises(DomainError) as error, transaction.atomic():
        locked = _locked(obj)
        for field, value in workflow.values_for(to).items():
            setattr(locked, field, value)
        transition(locked, to, actor="test", reason=blank, at=AT)
    assert error.value.field == "reason" and error.value.code == "reason"
    assert str(workflow.model.Status(to).label) in str(error.value.message)
    assert _snapshot(obj) == before
    assert not audit_events_for(obj).exists()


def test_a_reason_is_trimmed_and_shown_in_the_admin_history(desk_client):
    consultation = _consultation(Consultation.Status.CLOSED)
    with transaction.atomic():
        transition(
            _locked(consultation),
            Consultation.Status.IN_PROGRESS,
            actor="test",
            reason="  追加のご相談があったため \n",
            action="consultation.status.in_progress",
        )
    event = audit_events_for(consultation).get()
    assert event.changes["reason"] == "追加のご相談があったため"
    page = desk_client.get(f"/admin/consultations/consultation/{consultation.pk}/change/")
    assert "追加のご相談があったため" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_move_outside_the_callers_transaction_is_refused():
    seminar = SeminarFactory(status=Seminar.Status.DRAFT)
    with pytest.raises(TransactionManagementError):
        transition(seminar, Seminar.Status.PUBLISHED, actor="test")
    with pytest.raises(TransactionManagementError):
        transition_many(Seminar.objects.all(), Seminar.Status.PUBLISHED, actor="test")
    assert Seminar.objects.get(pk=seminar.pk).status == Seminar.Status.DRAFT
    with transaction.atomic():  # control: the same move inside a transaction goes through
        transition(_locked(seminar), Seminar.Status.PUBLISHED, actor="test")
    assert Seminar.objects.get(pk=seminar.pk).status == Seminar.Status.PUBLISHED


# --- bulk moves -----------------------------------------------------------------------------------


def _targets():
    for name, workflow in WORKFLOWS.items():
        for to in workflow.model.Status.values:
            if sources_for(workflow.model, to):
                yield pytest.param(name, to, id=f"{name}:->{to}")


@pytest.mark.parametrize(("name", "to"), list(_targets()))
def test_transition_many_moves_only_the_rows_whose_status_allows_it(name, to):
    workflow = WORKFLOWS[name]
    model = workflow.model
    rows = {status: workflow.make(status) for status in model.Status.values}
    before = {status: _snapshot(row) for status, row in rows.items()}
    with transaction.atomic():
        moved = transition_many(
            model.objects.filter(pk__in=[row.pk for row in rows.values()]),
            to,
            actor="test",
            reason=REASON,
            at=AT,
            values=workflow.values_for(to),
        )
    sources = set(sources_for(model, to))
    assert {row.pk for row in moved} == {rows[status].pk for status in sources}
    for status, row in rows.items():
        if status in sources:
            assert model.objects.get(pk=row.pk).status == to
            event = audit_events_for(row).get()
            assert (event.changes["from"], event.changes["to"]) == (status, to)
        else:
            assert _snapshot(row) == before[status]
            assert not audit_events_for(row).exists()


def test_transition_many_refuses_a_backward_bulk_move_without_a_reason():
    registrations = [_registration(Registration.Status.WAITING) for _ in range(2)]
    with pytest.raises(DomainError) as error, transaction.atomic():
        transition_many(
            Registration.objects.filter(pk__in=[r.pk for r in registrations]),
            Registration.Status.CANCELLED,
            actor="test",
            values={"waiting_position": None},
        )
    assert error.value.field == "reason"
    assert set(
        Registration.objects.filter(pk__in=[r.pk for r in registrations]).values_list(
            "status", flat=True
        )
    ) == {"waiting"}


# --- nothing else writes a status ------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
NOT_PRODUCTION = {"tests", "bench", "migrations", ".venv", "node_modules", "var", "artifacts"}
# The mail and PDF queues move their rows by compare-and-set on the claim (UPDATE ... WHERE the
# claim is still ours), never under a held row lock: that is what keeps SMTP and WeasyPrint out
# of any transaction (issue 9). Their maps are declared and tested above like the others.
CLAIM_QUEUES = {"kosha_portal/mail/services.py", "kosha_portal/documents/services.py"}


def _production_modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = set(path.relative_to(ROOT).parts)
        if parts & NOT_PRODUCTION or path.name.startswith("."):
            continue
        if path.relative_to(ROOT).as_posix() in {"kosha_portal/workflow.py", *CLAIM_QUEUES}:
            continue
        yield path


def _status_writes(source: str) -> list[tuple[int, str]]:
    """Assignments to ``.status``, ``setattr(x, "status", ...)`` and ``.update(status=...)``
    (also through ``**{"status": ...}``) or ``bulk_update(..., ["status"])``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, ast.Attribute) and leaf.attr == "status":
                    found.append((node.lineno, ".status ="))
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        second = node.args[1] if len(node.args) >= 2 else None
        if name == "setattr" and isinstance(second, ast.Constant) and second.value == "status":
            found.append((node.lineno, "setattr(…, 'status')"))
        if name == "update":
            for keyword in node.keywords:
                if keyword.arg == "status":
                    found.append((node.lineno, ".update(status=…)"))
                if keyword.arg is None and isinstance(keyword.value, ast.Dict):
                    keys = [k.value for k in keyword.value.keys if isinstance(k, ast.Constant)]
                    if "status" in keys:
                        found.append((node.lineno, ".update(**{'status': …})"))
        if name == "bulk_update":
            for leaf in ast.walk(node):
                if isinstance(leaf, ast.Constant) and leaf.value == "status":
                    found.append((node.lineno, "bulk_update(…, ['status'])"))
    return found


def test_the_scan_finds_every_kind_of_status_write():
    source = """
obj.status = "x"
a.b.status, c = "x", 1
obj.status += "y"
setattr(obj, "status", "x")
Model.objects.filter(pk=1).update(status="x", sent_at=now)
qs.update(**{"status": "x"})
Model.objects.bulk_update(rows, ["status"])
"""
    assert len(_status_writes(source)) == 7
    harmless = """
if obj.status == "x": pass
Model.objects.create(status="x")
Model(status="x")
qs.filter(status="x").update(last_used_at=now)
response = render(request, "429.html", status=429)
"""
    assert _status_writes(harmless) == []


def test_no_production_module_writes_a_status_outside_the_workflow_helper():
    modules = list(_production_modules())
    assert any(path.name == "services.py" for path in modules)  # the scan sees the apps
    offences = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in modules
        for line, what in _status_writes(path.read_text(encoding="utf-8"))
    ]
    assert offences == []


# --- the admin's buttons come from the map ---------------------------------------------------------


@pytest.mark.parametrize("status", Consultation.Status.values)
def test_the_consultation_page_offers_exactly_the_moves_of_the_map(desk_client, status):
    consultation = _consultation(status)
    html = desk_client.get(f"/admin/consultations/consultation/{consultation.pk}/change/")
    html = html.content.decode()
    base = f"/admin/consultations/consultation/{consultation.pk}/act/"
    names = ("start", "answer", "close", "withdraw", "reopen")
    offered = {name for name in names if f'action="{base}{name}/"' in html}
    targets = Consultation.TRANSITIONS[status]
    expected = {
        {"answered": "answer", "closed": "close", "withdrawn": "withdraw"}.get(to)
        or ("start" if status == "new" else "reopen")
        for to in targets
    }
    assert offered == expected
    # a move that needs a reason carries a required reason field
    for name in offered & {"withdraw", "reopen"}:
        form = html.split(f'action="{base}{name}/"', 1)[1].split("</form>", 1)[0]
        assert 'name="reason"' in form and "required" in form


@pytest.mark.parametrize("status", Dispatch.Status.values)
def test_the_dispatch_page_offers_the_decisions_of_the_map(desk_client, status):
    dispatch = _dispatch(status)
    html = desk_client.get(f"/admin/dispatch/dispatch/{dispatch.pk}/change/").content.decode()
    allowed = Dispatch.TRANSITIONS[status]
    assert (f"/admin/dispatch/dispatch/{dispatch.pk}/decide/" in html) == ("decided" in allowed)
    assert (f"/admin/dispatch/dispatch/{dispatch.pk}/reject/" in html) == ("rejected" in allowed)


def test_without_at_a_move_is_stamped_with_the_clocks_now():
    seminar = SeminarFactory(status=Seminar.Status.DRAFT, published_at=None)
    before = clock.now()
    with transaction.atomic():
        transition(_locked(seminar), Seminar.Status.PUBLISHED, actor="test")
    published_at = Seminar.objects.get(pk=seminar.pk).published_at
    assert before <= published_at <= clock.now()
