"""The announcements' two workflows against kosha_portal.workflow, as tests/foundation/
test_workflow.py holds the others: each map names every status and the database constraint, every
move outside the map is refused and leaves the row as it was, and the backward or destructive
moves are the ones that need a reason."""

import itertools

import pytest
from django.db import transaction

from announcements.models import Announcement, Subscriber
from kosha_portal.errors import DomainError
from kosha_portal.workflow import transition
from tests import timeline

pytestmark = pytest.mark.django_db

MODELS = {"announcement": Announcement, "subscriber": Subscriber}


def _make(name, status):
    if name == "announcement":
        return Announcement.objects.create(
            subject="件名", body_text="本文", status=status, send_at=timeline.NOW
        )
    n = Subscriber.objects.count()
    return Subscriber.objects.create(email=f"wf{n}@example.jp", status=status)


@pytest.mark.parametrize("name", MODELS)
def test_each_map_names_every_status_and_the_constraint_holds_them(name):
    model = MODELS[name]
    assert set(model.TRANSITIONS) == set(model.Status.values)
    for pair in model.REASON_REQUIRED:
        assert pair[1] in model.TRANSITIONS[pair[0]]
    check = next(c for c in model._meta.constraints if c.name.endswith("status_valid"))
    assert list(check.condition.children) == [("status__in", model.Status.values)]


def _refused_pairs():
    for name, model in MODELS.items():
        for current, to in itertools.product(model.Status.values, repeat=2):
            if to not in model.TRANSITIONS[current]:
                yield pytest.param(name, current, to, id=f"{name}:{current}->{to}")


@pytest.mark.parametrize(("name", "current", "to"), list(_refused_pairs()))
def test_a_move_outside_the_map_is_refused_and_changes_nothing(name, current, to):
    obj = _make(name, current)
    with pytest.raises(DomainError), transaction.atomic():
        locked = type(obj).objects.select_for_update().get(pk=obj.pk)
        transition(locked, to, actor="test", reason="理由")
    obj.refresh_from_db()
    assert obj.status == current


def test_the_backward_and_destructive_moves_need_a_reason():
    assert sorted(Announcement.REASON_REQUIRED) == [
        ("scheduled", "cancelled"),
        ("scheduled", "draft"),
        ("sending", "cancelled"),
    ]
    assert sorted(Subscriber.REASON_REQUIRED) == [
        ("active", "bounced"),
        ("active", "unsubscribed"),
        ("bounced", "unsubscribed"),
    ]
    announcement = _make("announcement", "scheduled")
    with pytest.raises(DomainError) as error, transaction.atomic():
        locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
        transition(locked, "cancelled", actor="test")
    assert error.value.field == "reason"
