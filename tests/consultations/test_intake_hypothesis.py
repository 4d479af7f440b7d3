"""Random and Unicode data posted to the public form: never a 5xx; invalid input gets errors and
saves nothing; valid input creates exactly one consultation."""

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consultations.forms import started_token
from consultations.models import (
    BehaviourType,
    Consultation,
    ContactTime,
    ContactWay,
    Damage,
    Measure,
    Place,
    RequestedSupport,
)

from .conftest import intake_payload

pytestmark = pytest.mark.django_db
URL = "/consultations/new/"
HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

any_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=300)
japanese = st.text(
    alphabet=st.sampled_from(list("山田花子株式会社商店ー東京都千代田区一二三ABCａｂｃ　 ")),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip())
kana = st.text(
    alphabet=st.sampled_from(list("アイウエオカキクケコやまだはなこー ")), min_size=1, max_size=30
).filter(lambda s: s.strip())


def subset(choices, min_size=0):
    return st.lists(
        st.sampled_from([c for c, _l in choices.choices]),
        min_size=min_size,
        max_size=4,
        unique=True,
    )


FIELDS = list(intake_payload().keys())

random_payload = st.fixed_dictionaries(
    {}, optional={name: st.one_of(any_text, st.lists(any_text, max_size=3)) for name in FIELDS}
)

valid_payload = st.fixed_dictionaries(
    {
        "org_name": japanese,
        "org_name_kana": st.one_of(st.just(""), kana),
        "org_municipality": japanese,
        "org_address": japanese,
        "org_main_business": japanese,
        "contact_name": japanese,
        "contact_kana": kana,
        "contact_department": st.one_of(st.just(""), japanese),
        "contact_email": st.emails().filter(lambda e: len(e) < 200),
        "contact_way": st.just(ContactWay.EMAIL),
        "contact_time": st.sampled_from([c for c, _l in ContactTime.choices]),
        "places": subset(Place, 1),
        "behaviour_types": subset(BehaviourType),
        "damages": subset(Damage),
        "measures": subset(Measure),
        "requested_support": subset(RequestedSupport, 1),
        "description": st.text(
            alphabet=st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=500
        ).filter(lambda s: s.strip()),
    }
)


@pytest.fixture
def relaxed(settings):
    settings.CONSULTATION_RATE_LIMIT = 10_000


@HYPOTHESIS
@given(payload=random_payload)
def test_random_data_never_500(client, relaxed, payload):
    cache.clear()
    before = Consultation.objects.count()
    response = client.post(URL, payload)
    assert response.status_code < 500
    after = Consultation.objects.count()
    if response.status_code == 302:
        assert after == before + 1
    else:
        assert response.status_code == 200
        assert 'id="error-summary"' in response.content.decode()
        assert after == before


@HYPOTHESIS
@given(payload=valid_payload)
def test_valid_data_creates_exactly_one(client, relaxed, payload):
    cache.clear()
    before = Consultation.objects.count()
    response = client.post(URL, intake_payload(started=started_token(), **payload))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Consultation.objects.count() == before + 1
    created = Consultation.objects.order_by("-pk").first()
    assert created.contact_email == payload["contact_email"].lower()
    assert created.places == payload["places"]
