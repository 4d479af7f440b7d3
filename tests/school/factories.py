"""Builders for school tests. The cohort runs from 2027-01-12 to 2027-03-16 (tests/timeline.py)
and has no application window unless a test gives one, so applying does not depend on today."""

import datetime

import factory

from school.models import Application, Cohort, CurriculumSession, Participant
from tests import timeline
from tests.factories import OrganisationFactory


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    number = factory.Sequence(lambda n: 100 + n)
    start_date = timeline.COHORT_STARTS
    end_date = timeline.COHORT_ENDS
    capacity = 12
    completion_threshold_percent = 80
    coaching_visits_per_company = 3
    venue = "秋葉原庁舎 会議室"


def recruiting_cohort(**kwargs) -> Cohort:
    from school.services import cohort_open_recruiting

    return cohort_open_recruiting(cohort=CohortFactory(**kwargs), actor="test")


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CurriculumSession

    cohort = factory.SubFactory(CohortFactory)
    number = factory.Sequence(lambda n: n + 1)
    date = datetime.date(2024, 1, 10)
    start_time = datetime.time(13, 30)
    end_time = datetime.time(16, 30)
    topic = factory.Sequence(lambda n: f"業務改善 第{n}講")


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    cohort = factory.SubFactory(CohortFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    main_business = "小売業"
    contact_name = "山田 太郎"
    contact_email = factory.Sequence(lambda n: f"contact{n}@shop.example.jp")
    consent_version = "2026-04"


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    application = factory.SubFactory(ApplicationFactory)
    position = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"参加 {n}郎")
    department = "業務部"
    role = "課長"


def accepted_application(cohort, *, participants=1, **kwargs) -> Application:
    from school.services import application_accept

    application = ApplicationFactory(cohort=cohort, **kwargs)
    for i in range(participants):
        ParticipantFactory(application=application, position=i + 1)
    return application_accept(application=application, actor="test")


def info_session(cohort=None, **kwargs):
    """A published 説明会 (a seminars row of kind INFO_SESSION) for ``cohort`` at the seminar
    factory's dates (2027-01-06 14:00, registration open on timeline.NOW)."""
    from seminars.models import Seminar
    from tests.seminars.factories import SeminarFactory

    kwargs.setdefault("title", "スクール受講説明会")
    kwargs.setdefault("lecturer", "")
    kwargs.setdefault("survey_enabled", False)
    return SeminarFactory(
        kind=Seminar.Kind.INFO_SESSION,
        cohort=cohort or recruiting_cohort(),
        **kwargs,
    )
