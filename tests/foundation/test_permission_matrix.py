"""Who may open what: every URL pattern of the portal, requested as each kind of visitor.

In the manner of pretix's permission tests: one set of real objects for two companies (A and B)
and seven visitors, and a table that says, for every URL pattern the resolver knows, what each
visitor gets. A pattern missing from the table fails ``test_every_url_pattern_is_in_the_matrix``,
so a new URL cannot ship without someone deciding who may open it.

The visitors (columns):
  anon    nobody: no login, no personal link
  link_a  company A's contact, holding the personal links of A's consultation, seminar
          registration and school application (A's dispatch derives from its consultation)
  link_b  company B's contact, with B's links
  exp_x   expert X, assigned to A's dispatch
  exp_y   expert Y, assigned to nothing
  desk    a desk officer (窓口担当: staff, group desk_staff)
  admin   an administrator (staff, superuser, group administrators)

What they get (cells); OK and GO are "allowed", the others "denied":
  OK      200
  GO      a redirect (302) to a page that answers 200 to the same visitor, which is not a login
          page: the visitor's own page (an access link to its target, a POST action back to the
          page it came from, /login/ to the role's start page)
  LOGIN   a redirect to /login/?next=<the page>: the page needs a login (LoginRequiredMiddleware,
          which also answers first for the ModelAdmins' pages when nobody is logged in)
  ADMIN   a redirect to the admin's login page: the admin site's own pages without a login, and
          every admin page for a logged-in user who is not staff
  N404    404: company and expert pages answer "not found" alike for missing and forbidden
  F403    403: the admin refuses a staff member the permission
  N405    405: the method is not allowed for this URL

Requests are GET, except for POST-only URLs, which are POSTed empty (the permission check comes
before the form). Each request runs in a savepoint that is rolled back, so one visitor's action
never changes what the next request sees. The clock is fixed at 2026-12-01 10:00 JST.
"""

import dataclasses
import datetime
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from kosha_portal.accounts.roles import ADMINISTRATORS, DESK_STAFF
from kosha_portal.accounts.services import access_link_issue
from kosha_portal.documents.models import GeneratedDocument
from kosha_portal.documents.services import document_render_now
from kosha_portal.japan.deadlines import JST
from kosha_portal.privacy.models import PrivacyRequest
from tests.factories import UserFactory
from tests.otp import authenticator_for

NOW = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=JST)

ROLES = ("anon", "link_a", "link_b", "exp_x", "exp_y", "desk", "admin")
STAFF_ROLES = ("desk", "admin")

OK, GO, LOGIN, ADMIN, N404, F403, N405 = "OK", "GO", "LOGIN", "ADMIN", "N404", "F403", "N405"
ALLOWED = {OK, GO}

pytestmark = pytest.mark.django_db


# --- the objects ---------------------------------------------------------------------------------


@dataclasses.dataclass
class World:
    objects: dict
    tokens: dict  # role -> personal-link tokens
    users: dict  # role -> user

    def __getattr__(self, name):
        try:
            return self.objects[name]
        except KeyError:
            raise AttributeError(name) from None


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _organisation_data(name: str, number: str) -> dict:
    return {
        "kind": "corporation",
        "name": name,
        "name_kana": "",
        "corporate_number": number,
        "postal_code": "101-0025",
        "prefecture": "東京都",
        "municipality": "千代田区",
        "address": "神田佐久間町1-9",
        "phone": "03-3251-7881",
        "main_business": "小売業",
        "industry": "retail",
        "capital_yen": 10_000_000,
        "employees": 12,
    }


def _consultation(name: str, number: str, email: str, desk):
    from consultations.services import consultation_dispatch_need_determine, consultation_submit

    consultation = consultation_submit(
        organisation_data=_organisation_data(name, number),
        data={
            "contact_name": "山田 花子",
            "contact_kana": "ヤマダ ハナコ",
            "contact_email": email,
            "contact_way": "email",
            "contact_time": "any",
            "places": ["shop"],
            "behaviour_types": ["verbal_abuse"],
            "requested_support": ["dispatch"],
            "description": "暴言が続いています。",
        },
        files=[
            (SimpleUploadedFile("shot.png", PNG, content_type="image/png"), "image/png", "s.png")
        ],
        privacy_consented=True,
        actor="test",
    )
    return consultation_dispatch_need_determine(
        consultation=consultation, needed=True, reason="マニュアル整備が必要", actor=desk
    )


def _build_world() -> World:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group

    from dispatch import services as dispatch_services
    from kosha_portal.japan.models import ClosureDay
    from school import services as school_services
    from school.models import Instructor
    from seminars import services as seminar_services
    from seminars.models import Seminar
    from tests.dispatch import factories as dispatch_factories
    from tests.school import factories as school_factories
    from tests.school.factories import (
        ApplicationFactory,
        ParticipantFactory,
        SessionFactory,
        accepted_application,
        recruiting_cohort,
    )
    from tests.seminars.factories import SeminarFactory, register

    desk = UserFactory(username="matrix-desk", is_staff=True)
    desk.groups.add(Group.objects.get(name=DESK_STAFF))
    administrator = UserFactory(username="matrix-admin", is_staff=True, is_superuser=True)
    administrator.groups.add(Group.objects.get(name=ADMINISTRATORS))
    expert_x = dispatch_factories.expert("専門家 X")
    expert_y = dispatch_factories.expert("専門家 Y")

    a_mail, b_mail = "hanako@a.example.jp", "taro@b.example.jp"
    consultation_a = _consultation("株式会社エー商店", "7000012050002", a_mail, desk)
    consultation_b = _consultation("株式会社ビー商事", "4011001098993", b_mail, desk)
    org_a, org_b = consultation_a.organisation, consultation_b.organisation

    # A's dispatch, done: one visit reported and confirmed, the 完了報告 filed (every PDF exists).
    year = dispatch_factories.program_year(2026)
    dispatch_a = dispatch_factories.applied_dispatch(year, cons=consultation_a)
    dispatch_a = dispatch_services.dispatch_decide(
        dispatch=dispatch_a,
        decision_date=datetime.date(2026, 11, 2),
        decision_number="8産労総第1号",
        expert=expert_x,
        planned_visits=2,
        actor=desk,
    )
    visit_a = dispatch_services.visit_schedule(
        dispatch=dispatch_a,
        date=datetime.date(2026, 11, 16),
        start_time=datetime.time(10),
        mode="onsite",
        place="本社会議室",
        actor=expert_x.user,
    )
    visit_a = dispatch_services.visit_report_file(
        visit=visit_a,
        report_date=datetime.date(2026, 11, 16),
        report_start=datetime.time(10),
        report_end=datetime.time(12),
        attendees="代表 山田",
        topics="電話での長時間の苦情",
        advice="受付時間を30分までと定めました。",
        next_steps="マニュアル案を回覧する",
        actor=expert_x.user,
    )
    visit_a = dispatch_services.visit_report_confirm(visit=visit_a, actor="company")
    dispatch_a = dispatch_services.dispatch_complete(
        dispatch=dispatch_a,
        summary="手順書を整備しました。",
        outcomes="研修を実施",
        actor=expert_x.user,
    )
    # B's earlier dispatch, closed by the company's survey (for the admin's survey pages).
    closed_b = dispatch_factories.applied_dispatch(year, cons=consultation_b)
    closed_b = dispatch_services.dispatch_decide(
        dispatch=closed_b,
        decision_date=datetime.date(2026, 11, 2),
        decision_number="8産労総第2号",
        expert=expert_x,
        planned_visits=1,
        actor=desk,
    )
    visit_b = dispatch_services.visit_schedule(
        dispatch=closed_b,
        date=datetime.date(2026, 11, 9),
        start_time=None,
        mode="online",
        actor=expert_x.user,
    )
    dispatch_services.visit_no_show(visit=visit_b, actor=expert_x.user)
    closed_b = dispatch_services.dispatch_complete(
        dispatch=closed_b, summary="先方不在のため終了", outcomes="", actor=expert_x.user
    )
    dispatch_services.survey_submit(
        dispatch=closed_b, satisfaction=3, introduced=["none"], comment="", actor="company"
    )
    # B's dispatch: applied, waiting for the desk's decision.
    dispatch_b = dispatch_factories.applied_dispatch(year, cons=consultation_b)

    seminar = SeminarFactory()
    registration_a = register(
        seminar, 1, org=_organisation_data(org_a.name, org_a.corporate_number)
    )
    registration_a.email = a_mail
    registration_a.save(update_fields=["email"])
    registration_b = register(
        seminar, 2, org=_organisation_data(org_b.name, org_b.corporate_number)
    )
    # A finished seminar with a survey answer (for the admin's survey pages).
    past = SeminarFactory(
        starts_at=NOW - datetime.timedelta(days=10),
        registration_opens_at=NOW - datetime.timedelta(days=40),
        registration_closes_at=NOW - datetime.timedelta(days=12),
    )
    past_registration = register(past, 3, now=NOW - datetime.timedelta(days=20))
    seminar_services.seminar_finish(seminar=past, actor=desk, now=NOW)
    seminar_services.survey_submit(
        registration=past_registration, satisfaction=5, usefulness=5, comment="", actor="test"
    )
    assert Seminar.objects.get(pk=past.pk).status == Seminar.Status.FINISHED

    cohort = recruiting_cohort()
    session = SessionFactory(cohort=cohort, number=1)
    instructor = Instructor.objects.create(name="講師 太郎")
    application_a = accepted_application(cohort, organisation=org_a, contact_email=a_mail)
    participant_a = application_a.participants.get()
    application_b = ApplicationFactory(cohort=cohort, organisation=org_b, contact_email=b_mail)
    ParticipantFactory(application=application_b, position=1)
    school_services.attendance_record(
        cohort=cohort, marks={(participant_a.pk, session.pk): "present"}, actor=desk
    )
    school_services.coaching_visit_record(
        application=application_a,
        date=cohort.start_date,
        start_time=datetime.time(10),
        end_time=datetime.time(12),
        mode="onsite",
        topics="業務フローの整理",
        instructor=instructor,
        actor=desk,
    )
    school_services.certificate_issue(participant=participant_a, actor=desk)
    school_services.roster_pdf_request(cohort=cohort, actor=desk)
    # The cohort's 説明会 (a seminars row of kind INFO_SESSION), A and B registered.
    info_session = school_factories.info_session(cohort)
    info_registration_a = register(
        info_session, 1, org=_organisation_data(org_a.name, org_a.corporate_number)
    )
    info_registration_a.email = a_mail
    info_registration_a.save(update_fields=["email"])
    info_registration_b = register(
        info_session, 2, org=_organisation_data(org_b.name, org_b.corporate_number)
    )

    # Inside this test transaction no on-commit task runs: render the requested PDFs here.
    for document in GeneratedDocument.objects.filter(status=GeneratedDocument.Status.PENDING):
        document_render_now(document_id=document.pk)
    assert not GeneratedDocument.objects.exclude(status=GeneratedDocument.Status.READY).exists()

    ClosureDay.objects.create(date=datetime.date(2026, 12, 28), reason="年末整理日")

    from announcements.models import Announcement, Suppression
    from announcements.services import subscription_opt_in

    subscriber = subscription_opt_in(email=a_mail, source="seminar", client_ip="192.0.2.1")
    announcement = Announcement.objects.create(
        subject="第3回セミナーのご案内", body_text="1月6日(水)に開催します。", created_by=desk
    )
    Suppression.objects.create(address_hash="0" * 64, reason="unsubscribed", created_at=NOW)
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        extra = {"get_data": "", "post_data": "", "failures_since_start": 1}
        model.objects.create(
            username="someone",
            ip_address="192.0.2.1",
            user_agent="matrix",
            http_accept="*/*",
            path_info="/login/",
            **(extra if model is AccessAttempt else {}),
        )

    def link(email, organisation, target):
        return access_link_issue(email=email, organisation=organisation, target=target)[1]

    tokens = {
        "link_a": [
            link(a_mail, org_a, consultation_a),
            link(a_mail, org_a, registration_a),
            link(a_mail, org_a, application_a),
            link(a_mail, org_a, info_registration_a),
        ],
        "link_b": [
            link(b_mail, org_b, consultation_b),
            link(b_mail, org_b, registration_b),
            link(b_mail, org_b, application_b),
            link(b_mail, org_b, info_registration_b),
        ],
    }

    def document(obj, kind_prefix):
        # The newest: a visit report is rendered again when the company confirms it.
        return (
            GeneratedDocument.objects.filter(
                content_type=ContentType.objects.get_for_model(obj),
                object_id=str(obj.pk),
                kind__startswith=kind_prefix,
            )
            .order_by("-created_at", "-pk")
            .first()
        )

    return World(
        objects={
            "consultation_a": consultation_a,
            "attachment_a": consultation_a.attachments.get(),
            "dispatch_a": dispatch_a,
            "dispatch_b": dispatch_b,
            "visit_a": visit_a,
            "visit_report_a": document(visit_a, "dispatch.visit_report"),
            "seminar": seminar,
            "registration_a": registration_a,
            "cohort": cohort,
            "info_session": info_session,
            "info_registration_a": info_registration_a,
            "application_a": application_a,
            "participant_a": participant_a,
            "roster_document": document(cohort, "school.roster"),
            "org_a": org_a,
            "subscriber": subscriber,
            "announcement": announcement,
            "privacy_request": PrivacyRequest.objects.create(
                criteria=PrivacyRequest.Criteria.EMAIL,
                subject_digest="0" * 64,
                handled_by=administrator,
            ),
        },
        tokens=tokens,
        users={
            "exp_x": expert_x.user,
            "exp_y": expert_y.user,
            "desk": desk,
            "admin": administrator,
        },
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One set of objects for the module, inside a transaction rolled back at its end."""
    traveller = time_machine.travel(NOW, tick=True)
    traveller.start()
    try:
        with django_db_blocker.unblock():
            outer = transaction.atomic()
            outer.__enter__()
            try:
                yield _build_world()
            finally:
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)
    finally:
        traveller.stop()


def client_for(role: str, world: World) -> Client:
    client = Client()
    if role in world.users:
        client.force_login(world.users[role])
    for token in world.tokens.get(role, ()):
        assert client.get(reverse("accounts:access_link", args=[token])).status_code == 302
    return client


# --- requesting and classifying ------------------------------------------------------------------


def _path(url: str) -> str:
    return urlsplit(url).path


def outcome(client: Client, method: str, url: str) -> str:
    """What the visitor gets, in the table's terms (see the module docstring)."""
    with transaction.atomic():
        response = getattr(client, method.lower())(url)
        result = _classify(client, response)
        transaction.set_rollback(True)
    return result


def _classify(client: Client, response, hops: int = 0) -> str:
    status = response.status_code
    if status == 200:
        return OK
    if status in (404, 403, 405):
        return {404: N404, 403: F403, 405: N405}[status]
    if status != 302:
        return str(status)
    target = response["Location"]
    if _path(target) == reverse("accounts:login"):
        return LOGIN
    if _path(target) == reverse("admin:login"):
        return ADMIN
    if hops >= 4:
        return "redirect loop"
    followed = _classify(client, client.get(target), hops + 1)
    if followed in (OK, GO):
        return GO
    # A chain that ends at a login page is a login redirect (the admin's logout sends non-staff
    # to the admin index, which sends them to the login).
    return followed if followed in (LOGIN, ADMIN) else f"302 to a page that answers {followed}"


# --- every URL pattern ---------------------------------------------------------------------------


def url_patterns(patterns=None, prefix="", namespace=""):
    """(key, route) of every URL pattern: the namespaced name, or the route when unnamed."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(n for n in (namespace, pattern.namespace or "") if n)
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            key = f"{namespace}:{pattern.name}" if pattern.name and namespace else pattern.name
            yield key or route, route


def _admin(route: str) -> str:
    return reverse("admin:index") + route


def _password_reset_path(user) -> str:
    """A valid reset link of ``user`` as the database has it now (the token covers last_login,
    which a login in an earlier test changed on the object but rolled back in the table)."""
    user = type(user).objects.get(pk=user.pk)
    return reverse(
        "accounts:password_reset_confirm",
        args=[
            urlsafe_base64_encode(force_bytes(user.pk)),
            default_token_generator.make_token(user),
        ],
    )


def _invitation_token(world) -> str:
    """An open invitation of a new account (made in the test that needs it: each test's own
    changes are rolled back at its end)."""
    from kosha_portal.accounts.models import Invitation, token_hash

    token = "matrix-invitation-token-0123456789"
    if not Invitation.objects.filter(token_hash=token_hash(token)).exists():
        invitee = UserFactory(username="matrix-invitee", is_staff=True)
        Invitation.objects.create(
            user=invitee, token_hash=token_hash(token), expires_at=NOW + datetime.timedelta(days=3)
        )
    return token


# Every URL the portal serves outside the generic ModelAdmin pages, with the request the matrix
# makes to it. The builders take the world and return a URL.
TARGETS = {
    # portal-wide
    "home": ("GET", lambda w: reverse("home")),
    "privacy": ("GET", lambda w: reverse("privacy")),
    "healthz": ("GET", lambda w: reverse("healthz")),
    "set_language": ("GET", lambda w: reverse("set_language")),
    "javascript-catalog": ("GET", lambda w: reverse("javascript-catalog")),
    "japan:postal_code": ("GET", lambda w: reverse("japan:postal_code") + "?code=1638001"),
    "documents:staff_download": (
        "GET",
        lambda w: reverse("documents:staff_download", args=[w.visit_report_a.uuid]),
    ),
    # accounts
    "accounts:login": ("GET", lambda w: reverse("accounts:login")),
    "accounts:logout": ("POST", lambda w: reverse("accounts:logout")),
    "accounts:after_login": ("GET", lambda w: reverse("accounts:after_login")),
    "accounts:access_link": (
        "GET",
        lambda w: reverse("accounts:access_link", args=[w.tokens["link_a"][0]]),
    ),
    "accounts:my_page": ("GET", lambda w: reverse("accounts:my_page")),
    "accounts:portal_logout": ("POST", lambda w: reverse("accounts:portal_logout")),
    "accounts:link_resend": ("GET", lambda w: reverse("accounts:link_resend")),
    "accounts:otp_verify": ("GET", lambda w: reverse("accounts:otp_verify")),
    "accounts:otp_setup": ("GET", lambda w: reverse("accounts:otp_setup")),
    "accounts:security": ("GET", lambda w: reverse("accounts:security")),
    "accounts:reauth": ("GET", lambda w: reverse("accounts:reauth")),
    "accounts:recovery_codes": ("GET", lambda w: reverse("accounts:recovery_codes")),
    "accounts:device_remove": (
        "GET",
        lambda w: reverse("accounts:device_remove", args=[authenticator_for(w.users["desk"]).pk]),
    ),
    "accounts:password_change": ("GET", lambda w: reverse("accounts:password_change")),
    "accounts:invitation": (
        "GET",
        lambda w: reverse("accounts:invitation", args=[_invitation_token(w)]),
    ),
    "accounts:password_reset": ("GET", lambda w: reverse("accounts:password_reset")),
    "accounts:password_reset_done": ("GET", lambda w: reverse("accounts:password_reset_done")),
    "accounts:password_reset_confirm": (
        "GET",
        lambda w: _password_reset_path(w.users["desk"]),
    ),
    "accounts:password_reset_complete": (
        "GET",
        lambda w: reverse("accounts:password_reset_complete"),
    ),
    # consultations
    "consultations:new": ("GET", lambda w: reverse("consultations:new")),
    "consultations:thanks": ("GET", lambda w: reverse("consultations:thanks")),
    "consultations:status": (
        "GET",
        lambda w: reverse("consultations:status", args=[w.consultation_a.reference]),
    ),
    "consultations:attachment": (
        "GET",
        lambda w: reverse(
            "consultations:attachment", args=[w.consultation_a.reference, w.attachment_a.pk]
        ),
    ),
    # dispatch: company side
    "dispatch:application_new": (
        "GET",
        lambda w: reverse("dispatch:application_new", args=[w.consultation_a.reference]),
    ),
    "dispatch:company_dispatch": (
        "GET",
        lambda w: reverse("dispatch:company_dispatch", args=[w.dispatch_a.reference]),
    ),
    "dispatch:company_withdraw": (
        "POST",
        lambda w: reverse("dispatch:company_withdraw", args=[w.dispatch_a.reference]),
    ),
    "dispatch:company_survey": (
        "GET",
        lambda w: reverse("dispatch:company_survey", args=[w.dispatch_a.reference]),
    ),
    "dispatch:company_completion_pdf": (
        "GET",
        lambda w: reverse("dispatch:company_completion_pdf", args=[w.dispatch_a.reference]),
    ),
    "dispatch:company_visit_confirm": (
        "POST",
        lambda w: reverse(
            "dispatch:company_visit_confirm", args=[w.dispatch_a.reference, w.visit_a.pk]
        ),
    ),
    "dispatch:company_visit_dispute": (
        "POST",
        lambda w: reverse(
            "dispatch:company_visit_dispute", args=[w.dispatch_a.reference, w.visit_a.pk]
        ),
    ),
    "dispatch:company_visit_pdf": (
        "GET",
        lambda w: reverse(
            "dispatch:company_visit_pdf", args=[w.dispatch_a.reference, w.visit_a.pk]
        ),
    ),
    # dispatch: expert area
    "dispatch:expert_home": ("GET", lambda w: reverse("dispatch:expert_home")),
    "dispatch:expert_dispatch": (
        "GET",
        lambda w: reverse("dispatch:expert_dispatch", args=[w.dispatch_a.reference]),
    ),
    "dispatch:expert_completion": (
        "GET",
        lambda w: reverse("dispatch:expert_completion", args=[w.dispatch_a.reference]),
    ),
    "dispatch:expert_completion_pdf": (
        "GET",
        lambda w: reverse("dispatch:expert_completion_pdf", args=[w.dispatch_a.reference]),
    ),
    "dispatch:expert_visit_report": (
        "GET",
        lambda w: reverse(
            "dispatch:expert_visit_report", args=[w.dispatch_a.reference, w.visit_a.pk]
        ),
    ),
    "dispatch:expert_visit_cancel": (
        "POST",
        lambda w: reverse(
            "dispatch:expert_visit_cancel", args=[w.dispatch_a.reference, w.visit_a.pk]
        ),
    ),
    "dispatch:expert_visit_no_show": (
        "POST",
        lambda w: reverse(
            "dispatch:expert_visit_no_show", args=[w.dispatch_a.reference, w.visit_a.pk]
        ),
    ),
    "dispatch:expert_visit_pdf": (
        "GET",
        lambda w: reverse("dispatch:expert_visit_pdf", args=[w.dispatch_a.reference, w.visit_a.pk]),
    ),
    # dispatch: staff PDFs
    "dispatch:staff_visit_pdf": (
        "GET",
        lambda w: reverse("dispatch:staff_visit_pdf", args=[w.visit_a.pk]),
    ),
    "dispatch:staff_completion_pdf": (
        "GET",
        lambda w: reverse("dispatch:staff_completion_pdf", args=[w.dispatch_a.pk]),
    ),
    # seminars
    "seminars:list": ("GET", lambda w: reverse("seminars:list")),
    "seminars:detail": ("GET", lambda w: reverse("seminars:detail", args=[w.seminar.pk])),
    "seminars:done": ("GET", lambda w: reverse("seminars:done", args=[w.seminar.pk])),
    "seminars:resend": ("POST", lambda w: reverse("seminars:resend", args=[w.seminar.pk])),
    "seminars:checkin": ("GET", lambda w: reverse("seminars:checkin", args=[w.seminar.pk])),
    "seminars:checkin_scan": (
        "POST",
        lambda w: reverse("seminars:checkin_scan", args=[w.seminar.pk]),
    ),
    "seminars:checkin_mark": (
        "POST",
        lambda w: reverse("seminars:checkin_mark", args=[w.seminar.pk, w.registration_a.pk]),
    ),
    "seminars:export_csv": ("GET", lambda w: reverse("seminars:export_csv", args=[w.seminar.pk])),
    "seminars:registration": (
        "GET",
        lambda w: reverse("seminars:registration", args=[w.registration_a.pk]),
    ),
    "seminars:cancel": ("GET", lambda w: reverse("seminars:cancel", args=[w.registration_a.pk])),
    "seminars:survey": ("GET", lambda w: reverse("seminars:survey", args=[w.registration_a.pk])),
    # school
    "school:about": ("GET", lambda w: reverse("school:about")),
    "school:apply": ("GET", lambda w: reverse("school:apply")),
    "school:apply_done": ("GET", lambda w: reverse("school:apply_done")),
    "school:application_status": (
        "GET",
        lambda w: reverse("school:application_status", args=[w.application_a.pk]),
    ),
    "school:info_session": (
        "GET",
        lambda w: reverse("school:info_session", args=[w.info_session.pk]),
    ),
    "school:info_session_done": (
        "GET",
        lambda w: reverse("school:info_session_done", args=[w.info_session.pk]),
    ),
    "school:info_session_resend": (
        "POST",
        lambda w: reverse("school:info_session_resend", args=[w.info_session.pk]),
    ),
    "school:info_session_registration": (
        "GET",
        lambda w: reverse("school:info_session_registration", args=[w.info_registration_a.pk]),
    ),
    "school:info_session_cancel": (
        "GET",
        lambda w: reverse("school:info_session_cancel", args=[w.info_registration_a.pk]),
    ),
    "school:staff_home": ("GET", lambda w: reverse("school:staff_home")),
    "school:roster": ("GET", lambda w: reverse("school:roster", args=[w.cohort.pk])),
    "school:roster_csv": ("GET", lambda w: reverse("school:roster_csv", args=[w.cohort.pk])),
    "school:roster_xlsx": ("GET", lambda w: reverse("school:roster_xlsx", args=[w.cohort.pk])),
    "school:roster_pdf": ("POST", lambda w: reverse("school:roster_pdf", args=[w.cohort.pk])),
    "school:document_download": (
        "GET",
        lambda w: reverse("school:document_download", args=[w.cohort.pk, w.roster_document.uuid]),
    ),
    "school:roster_import": ("GET", lambda w: reverse("school:roster_import", args=[w.cohort.pk])),
    "school:import_template": (
        "GET",
        lambda w: reverse("school:import_template", args=[w.cohort.pk]),
    ),
    "school:attendance": ("GET", lambda w: reverse("school:attendance", args=[w.cohort.pk])),
    "school:coaching": ("GET", lambda w: reverse("school:coaching", args=[w.cohort.pk])),
    "school:certificates": ("GET", lambda w: reverse("school:certificates", args=[w.cohort.pk])),
    "school:certificates_issue_all": (
        "POST",
        lambda w: reverse("school:certificates_issue_all", args=[w.cohort.pk]),
    ),
    "school:certificate_issue": (
        "POST",
        lambda w: reverse("school:certificate_issue", args=[w.cohort.pk, w.participant_a.pk]),
    ),
    "school:certificate_download": (
        "GET",
        lambda w: reverse("school:certificate_download", args=[w.cohort.pk, w.participant_a.pk]),
    ),
    # announcements: public pages (a token is the proof) and the composer's steps
    "announcements:subscribe": ("GET", lambda w: reverse("announcements:subscribe")),
    "announcements:subscribe_sent": ("GET", lambda w: reverse("announcements:subscribe_sent")),
    "announcements:confirm": (
        "GET",
        lambda w: reverse("announcements:confirm", args=["no-such-request-token"]),
    ),
    "announcements:unsubscribe": (
        "GET",
        lambda w: reverse("announcements:unsubscribe", args=[w.subscriber.unsubscribe_token]),
    ),
    "announcements:one_click": (
        "POST",
        lambda w: reverse("announcements:one_click", args=[w.subscriber.unsubscribe_token]),
    ),
    "admin:announcements_announcement_test_send": (
        "POST",
        lambda w: reverse("admin:announcements_announcement_test_send", args=[w.announcement.pk]),
    ),
    "admin:announcements_announcement_send": (
        "GET",
        lambda w: reverse("admin:announcements_announcement_send", args=[w.announcement.pk]),
    ),
    "admin:announcements_announcement_cancel": (
        "GET",
        lambda w: reverse("admin:announcements_announcement_cancel", args=[w.announcement.pk]),
    ),
    "admin:announcements_announcement_unschedule": (
        "GET",
        lambda w: reverse("admin:announcements_announcement_unschedule", args=[w.announcement.pk]),
    ),
    # the admin site's own pages and the ModelAdmins' extra views
    "admin:index": ("GET", lambda w: reverse("admin:index")),
    # the desk home answers at the admin index's address
    "desk_home": ("GET", lambda w: reverse("desk_home")),
    "admin:login": ("GET", lambda w: reverse("admin:login")),
    "admin:logout": ("POST", lambda w: reverse("admin:logout")),
    "admin:password_change": ("GET", lambda w: reverse("admin:password_change")),
    "admin:password_change_done": ("GET", lambda w: reverse("admin:password_change_done")),
    "admin:autocomplete": (
        "GET",
        lambda w: (
            reverse("admin:autocomplete")
            + "?app_label=dispatch&model_name=expert&field_name=user&term=x"
        ),
    ),
    "admin:jsi18n": ("GET", lambda w: reverse("admin:jsi18n")),
    "admin:view_on_site": (
        "GET",
        lambda w: reverse(
            "admin:view_on_site",
            args=[ContentType.objects.get_for_model(w.seminar).pk, w.seminar.pk],
        ),
    ),
    "admin:app_list": ("GET", lambda w: reverse("admin:app_list", args=["consultations"])),
    "admin:<catch-all>": ("GET", lambda w: _admin("no-such-page/")),
    "admin:auth_user_invite": (
        "GET",
        lambda w: reverse("admin:auth_user_invite", args=[w.users["exp_x"].pk]),
    ),
    "admin:auth_user_factors_reset": (
        "GET",
        lambda w: reverse("admin:auth_user_factors_reset", args=[w.users["exp_x"].pk]),
    ),
    "admin:auth_user_deactivate": (
        "GET",
        lambda w: reverse("admin:auth_user_deactivate", args=[w.users["exp_x"].pk]),
    ),
    "admin:auth_user_reactivate": (
        "GET",
        lambda w: reverse("admin:auth_user_reactivate", args=[w.users["exp_x"].pk]),
    ),
    "admin:companies_organisation_merge": (
        "GET",
        lambda w: reverse("admin:companies_organisation_merge", args=[w.org_a.pk]),
    ),
    "admin:consultations_consultation_record": (
        "GET",
        lambda w: reverse("admin:consultations_consultation_record"),
    ),
    "admin:consultations_consultation_export": (
        "GET",
        lambda w: reverse("admin:consultations_consultation_export"),
    ),
    "admin:consultations_consultation_act": (
        "POST",
        lambda w: reverse(
            "admin:consultations_consultation_act", args=[w.consultation_a.pk, "start"]
        ),
    ),
    "admin:dispatch_dispatch_decide": (
        "GET",
        lambda w: reverse("admin:dispatch_dispatch_decide", args=[w.dispatch_b.pk]),
    ),
    "admin:dispatch_dispatch_reject": (
        "GET",
        lambda w: reverse("admin:dispatch_dispatch_reject", args=[w.dispatch_b.pk]),
    ),
    "reports:index": ("GET", lambda w: reverse("reports:index")),
    "reports:refresh": ("POST", lambda w: reverse("reports:refresh")),
    "reports:workbook": ("GET", lambda w: reverse("reports:workbook", args=[2026])),
    "reports:table_csv": (
        "GET",
        lambda w: reverse("reports:table_csv", args=[2026, "consultations_by_month"]),
    ),
    "reports:annual_request": ("POST", lambda w: reverse("reports:annual_request", args=[2026])),
    # No annual report has been rendered for the year yet: 404 for staff too.
    "reports:annual_download": ("GET", lambda w: reverse("reports:annual_download", args=[2026])),
    # POST-only, with the person's details in the form: an empty POST is refused even for an
    # administrator, and nobody else gets as far.
    "admin:privacy_privacyrequest_export": (
        "POST",
        lambda w: reverse("admin:privacy_privacyrequest_export", args=[w.privacy_request.pk]),
    ),
    "admin:privacy_privacyrequest_erase": (
        "POST",
        lambda w: reverse("admin:privacy_privacyrequest_erase", args=[w.privacy_request.pk]),
    ),
    # A's visit is confirmed and its dispatch completed: both pages send staff back to it.
    "admin:dispatch_dispatch_visit_cancel": (
        "GET",
        lambda w: reverse(
            "admin:dispatch_dispatch_visit_cancel", args=[w.dispatch_a.pk, w.visit_a.pk]
        ),
    ),
    "admin:dispatch_dispatch_completion_allow": (
        "GET",
        lambda w: reverse("admin:dispatch_dispatch_completion_allow", args=[w.dispatch_a.pk]),
    ),
    "admin:seminars_seminar_cancel": (
        "GET",
        lambda w: reverse("admin:seminars_seminar_cancel", args=[w.seminar.pk]),
    ),
    "admin:school_infosession_cancel": (
        "GET",
        lambda w: reverse("admin:school_infosession_cancel", args=[w.info_session.pk]),
    ),
}

# These change the visitor's session (log out, end the link session, open another link, switch
# the language): each gets a fresh client so the rest of the row sees the session unchanged.
FRESH_CLIENT = {
    "accounts:logout",
    "accounts:portal_logout",
    "accounts:access_link",
    "set_language",
    "admin:logout",
}

# fmt: off
MATRIX = {
    # pattern                                  anon   link_a link_b exp_x  exp_y  desk   admin
    "home":                                    (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "privacy":                                 (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "healthz":                                 (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "set_language":                            (GO,    GO,    GO,    GO,    GO,    GO,    GO),
    "javascript-catalog":                      (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "japan:postal_code":                       (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "documents:staff_download":                (LOGIN, LOGIN, LOGIN, N404,  N404,  OK,    OK),

    "accounts:login":                          (OK,    OK,    OK,    GO,    GO,    GO,    GO),
    "accounts:logout":                         (LOGIN, LOGIN, LOGIN, GO,    GO,    GO,    GO),
    "accounts:after_login":                    (LOGIN, LOGIN, LOGIN, GO,    GO,    GO,    GO),
    # a personal link is a capability: whoever holds the token is let in to its target
    "accounts:access_link":                    (GO,    GO,    GO,    GO,    GO,    GO,    GO),
    # without a link, /my/ sends the visitor to "send my link again"
    "accounts:my_page":                        (GO,    OK,    OK,    GO,    GO,    GO,    GO),
    "accounts:portal_logout":                  (GO,    GO,    GO,    GO,    GO,    GO,    GO),
    "accounts:link_resend":                    (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    # the second factor: every visitor of the matrix has passed it, so the code page sends them
    # on, and adding a device first asks for the password and a code again
    "accounts:otp_verify":                     (LOGIN, LOGIN, LOGIN, GO,    GO,    GO,    GO),
    "accounts:otp_setup":                      (LOGIN, LOGIN, LOGIN, GO,    GO,    GO,    GO),
    "accounts:security":                       (LOGIN, LOGIN, LOGIN, OK,    OK,    OK,    OK),
    "accounts:reauth":                         (LOGIN, LOGIN, LOGIN, OK,    OK,    OK,    OK),
    # the codes are shown once, right after they are made; later the page sends to security
    "accounts:recovery_codes":                 (LOGIN, LOGIN, LOGIN, GO,    GO,    GO,    GO),
    # the desk officer's own device (after re-authentication); nobody else's
    "accounts:device_remove":                  (LOGIN, LOGIN, LOGIN, N404,  N404,  GO,    N404),
    "accounts:password_change":                (LOGIN, LOGIN, LOGIN, OK,    OK,    OK,    OK),
    # an invitation and a reset link are capabilities, like a personal link
    "accounts:invitation":                     (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "accounts:password_reset":                 (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "accounts:password_reset_done":            (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "accounts:password_reset_confirm":         (GO,    GO,    GO,    GO,    GO,    GO,    GO),
    "accounts:password_reset_complete":        (OK,    OK,    OK,    OK,    OK,    OK,    OK),

    "consultations:new":                       (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "consultations:thanks":                    (GO,    GO,    GO,    GO,    GO,    GO,    GO),
    "consultations:status":                    (N404,  OK,    N404,  N404,  N404,  N404,  N404),
    "consultations:attachment":                (N404,  OK,    N404,  N404,  N404,  OK,    OK),

    "dispatch:application_new":                (N404,  OK,    N404,  N404,  N404,  N404,  N404),
    "dispatch:company_dispatch":               (N404,  OK,    N404,  N404,  N404,  N404,  N404),
    "dispatch:company_withdraw":               (N404,  GO,    N404,  N404,  N404,  N404,  N404),
    "dispatch:company_survey":                 (N404,  OK,    N404,  N404,  N404,  N404,  N404),
    "dispatch:company_completion_pdf":         (N404,  OK,    N404,  N404,  N404,  N404,  N404),
    "dispatch:company_visit_confirm":          (N404,  GO,    N404,  N404,  N404,  N404,  N404),
    "dispatch:company_visit_dispute":          (N404,  OK,    N404,  N404,  N404,  N404,  N404),
    "dispatch:company_visit_pdf":              (N404,  OK,    N404,  N404,  N404,  N404,  N404),
    "dispatch:expert_home":                    (LOGIN, LOGIN, LOGIN, OK,    OK,    N404,  N404),
    "dispatch:expert_dispatch":                (LOGIN, LOGIN, LOGIN, OK,    N404,  N404,  N404),
    "dispatch:expert_completion":              (LOGIN, LOGIN, LOGIN, OK,    N404,  N404,  N404),
    "dispatch:expert_completion_pdf":          (LOGIN, LOGIN, LOGIN, OK,    N404,  N404,  N404),
    "dispatch:expert_visit_report":            (LOGIN, LOGIN, LOGIN, GO,    N404,  N404,  N404),
    "dispatch:expert_visit_cancel":            (LOGIN, LOGIN, LOGIN, GO,    N404,  N404,  N404),
    "dispatch:expert_visit_no_show":           (LOGIN, LOGIN, LOGIN, GO,    N404,  N404,  N404),
    "dispatch:expert_visit_pdf":               (LOGIN, LOGIN, LOGIN, OK,    N404,  N404,  N404),
    "dispatch:staff_visit_pdf":                (LOGIN, LOGIN, LOGIN, N404,  N404,  OK,    OK),
    "dispatch:staff_completion_pdf":           (LOGIN, LOGIN, LOGIN, N404,  N404,  OK,    OK),

    "seminars:list":                           (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "seminars:detail":                         (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "seminars:done":                           (GO,    GO,    GO,    GO,    GO,    GO,    GO),
    "seminars:resend":                         (GO,    GO,    GO,    GO,    GO,    GO,    GO),
    "seminars:registration":                   (N404,  OK,    N404,  N404,  N404,  N404,  N404),
    "seminars:cancel":                         (N404,  OK,    N404,  N404,  N404,  N404,  N404),
    "seminars:survey":                         (N404,  OK,    N404,  N404,  N404,  N404,  N404),
    "seminars:checkin":                        (LOGIN, LOGIN, LOGIN, N404,  N404,  OK,    OK),
    "seminars:checkin_scan":                   (LOGIN, LOGIN, LOGIN, N404,  N404,  OK,    OK),
    "seminars:checkin_mark":                   (LOGIN, LOGIN, LOGIN, N404,  N404,  GO,    GO),
    "seminars:export_csv":                     (LOGIN, LOGIN, LOGIN, N404,  N404,  OK,    OK),

    "school:about":                            (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "school:apply":                            (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "school:apply_done":                       (GO,    GO,    GO,    GO,    GO,    GO,    GO),
    "school:application_status":               (N404,  OK,    N404,  N404,  N404,  N404,  N404),
    # 説明会: the seminars' public pages and personal-link pages, under /school/
    "school:info_session":                     (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "school:info_session_done":                (GO,    GO,    GO,    GO,    GO,    GO,    GO),
    "school:info_session_resend":              (GO,    GO,    GO,    GO,    GO,    GO,    GO),
    "school:info_session_registration":        (N404,  OK,    N404,  N404,  N404,  N404,  N404),
    "school:info_session_cancel":              (N404,  OK,    N404,  N404,  N404,  N404,  N404),
    "school:staff_home":                       (LOGIN, LOGIN, LOGIN, N404,  N404,  OK,    OK),
    "school:roster":                           (LOGIN, LOGIN, LOGIN, N404,  N404,  OK,    OK),
    "school:roster_csv":                       (LOGIN, LOGIN, LOGIN, N404,  N404,  OK,    OK),
    "school:roster_xlsx":                      (LOGIN, LOGIN, LOGIN, N404,  N404,  OK,    OK),
    "school:roster_pdf":                       (LOGIN, LOGIN, LOGIN, N404,  N404,  GO,    GO),
    "school:document_download":                (LOGIN, LOGIN, LOGIN, N404,  N404,  OK,    OK),
    "school:roster_import":                    (LOGIN, LOGIN, LOGIN, N404,  N404,  OK,    OK),
    "school:import_template":                  (LOGIN, LOGIN, LOGIN, N404,  N404,  OK,    OK),
    "school:attendance":                       (LOGIN, LOGIN, LOGIN, N404,  N404,  OK,    OK),
    "school:coaching":                         (LOGIN, LOGIN, LOGIN, N404,  N404,  OK,    OK),
    "school:certificates":                     (LOGIN, LOGIN, LOGIN, N404,  N404,  OK,    OK),
    "school:certificates_issue_all":           (LOGIN, LOGIN, LOGIN, N404,  N404,  GO,    GO),
    "school:certificate_issue":                (LOGIN, LOGIN, LOGIN, N404,  N404,  GO,    GO),
    "school:certificate_download":             (LOGIN, LOGIN, LOGIN, N404,  N404,  OK,    OK),

    # subscribing and unsubscribing are public; the one-click POST needs no session or token
    "announcements:subscribe":                 (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "announcements:subscribe_sent":            (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "announcements:confirm":                   (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "announcements:unsubscribe":               (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    "announcements:one_click":                 (OK,    OK,    OK,    OK,    OK,    OK,    OK),
    # the composer: a draft cannot be cancelled or taken back, so those send staff back to it
    "admin:announcements_announcement_test_send":  (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, GO,    GO),
    "admin:announcements_announcement_send":       (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, OK,    OK),
    "admin:announcements_announcement_cancel":     (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, GO,    GO),
    "admin:announcements_announcement_unschedule": (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, GO,    GO),

    "admin:index":                             (ADMIN, ADMIN, ADMIN, ADMIN, ADMIN, OK,    OK),
    "desk_home":                               (ADMIN, ADMIN, ADMIN, ADMIN, ADMIN, OK,    OK),
    # a logged-in non-staff user is shown the admin login form with "not authorised"
    "admin:login":                             (OK,    OK,    OK,    OK,    OK,    GO,    GO),
    "admin:logout":                            (ADMIN, ADMIN, ADMIN, ADMIN, ADMIN, GO,    GO),
    "admin:password_change":                   (ADMIN, ADMIN, ADMIN, ADMIN, ADMIN, OK,    OK),
    "admin:password_change_done":              (ADMIN, ADMIN, ADMIN, ADMIN, ADMIN, OK,    OK),
    # picking an expert's user account needs auth.view_user, which only administrators have
    "admin:autocomplete":                      (ADMIN, ADMIN, ADMIN, ADMIN, ADMIN, F403,  OK),
    "admin:jsi18n":                            (ADMIN, ADMIN, ADMIN, ADMIN, ADMIN, OK,    OK),
    "admin:view_on_site":                      (ADMIN, ADMIN, ADMIN, ADMIN, ADMIN, GO,    GO),
    "admin:app_list":                          (ADMIN, ADMIN, ADMIN, ADMIN, ADMIN, OK,    OK),
    "admin:<catch-all>":                       (ADMIN, ADMIN, ADMIN, ADMIN, ADMIN, N404,  N404),
    # accounts: only administrators invite, reset second factors and stop or restart accounts
    "admin:auth_user_invite":                  (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, F403,  OK),
    "admin:auth_user_factors_reset":           (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, F403,  OK),
    "admin:auth_user_deactivate":              (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, F403,  OK),
    "admin:auth_user_reactivate":              (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, F403,  OK),
    "admin:companies_organisation_merge":      (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, OK,    OK),
    "admin:consultations_consultation_record": (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, OK,    OK),
    "admin:consultations_consultation_export": (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, OK,    OK),
    "admin:consultations_consultation_act":    (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, GO,    GO),
    "admin:dispatch_dispatch_decide":          (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, OK,    OK),
    "admin:dispatch_dispatch_reject":          (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, OK,    OK),
    "reports:index":                           (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, OK,    OK),
    "reports:refresh":                         (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, GO,    GO),
    "reports:workbook":                        (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, OK,    OK),
    "reports:table_csv":                       (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, OK,    OK),
    "reports:annual_request":                  (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, GO,    GO),
    "reports:annual_download":                 (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, N404,  N404),
    "admin:privacy_privacyrequest_export":     (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, F403,  F403),
    "admin:privacy_privacyrequest_erase":      (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, F403,  F403),
    "admin:dispatch_dispatch_visit_cancel":    (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, GO,    GO),
    "admin:dispatch_dispatch_completion_allow": (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, GO,   GO),
    # the confirmation page of 「セミナーを中止し、申込者に通知する」 (a GET changes nothing)
    "admin:seminars_seminar_cancel":           (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, OK,    OK),
    "admin:school_infosession_cancel":         (LOGIN, LOGIN, LOGIN, ADMIN, ADMIN, OK,    OK),
}

# Every registered ModelAdmin, generically: which of its pages the desk and the administrator may
# open. L changelist, A add, C change (or the read-only view), D delete, H history; a missing
# letter means 403. Everybody else is sent to a login page for all of them (LOGIN without a login,
# ADMIN for experts). Where a service owns the rows (the admin refuses to add or change them, or
# they record what happened to people), the admin refuses to delete them too.
ADMIN_RIGHTS = {
    # model                             desk       administrator
    "auth.group":                       ("",       "LACDH"),
    # accounts are stopped, never deleted (the audit trail keeps their names)
    "auth.user":                        ("",       "LACH"),
    "axes.accessattempt":               ("",       "LCDH"),
    "axes.accesslog":                   ("",       "LCDH"),
    "axes.accessfailurelog":            ("",       "LCDH"),
    "japan.closureday":                 ("LACDH",  "LACDH"),
    "audit.auditevent":                 ("LCH",    "LCH"),
    "mail.outboundemail":               ("LCH",    "LCH"),
    "documents.generateddocument":      ("LCH",    "LCDH"),
    "accounts.accesslink":              ("",       "LCDH"),
    "companies.organisation":           ("LACDH",  "LACDH"),
    "consultations.consultation":       ("LACH",   "LACH"),
    "dispatch.programyear":             ("LACDH",  "LACDH"),
    "dispatch.expert":                  ("LACDH",  "LACDH"),
    "dispatch.dispatch":                ("LCH",    "LCH"),
    "dispatch.survey":                  ("LCH",    "LCH"),
    "seminars.seminar":                 ("LACDH",  "LACDH"),
    "seminars.registration":            ("LCH",    "LCH"),
    "seminars.surveyresponse":          ("LCH",    "LCH"),
    "school.cohort":                    ("LACDH",  "LACDH"),
    "school.infosession":               ("LACDH",  "LACDH"),
    "school.instructor":                ("LACDH",  "LACDH"),
    "school.application":               ("LACH",   "LACH"),
    "school.coachingvisit":             ("LCH",    "LCH"),
    "school.attendance":                ("LCH",    "LCH"),
    "school.certificate":               ("LCH",    "LCH"),
    "privacy.privacyrequest":           ("",       "LACH"),
    # only a person's own opt-in adds an address; the sweep and erasure requests delete it
    "announcements.subscriber":         ("LCH",    "LCH"),
    "announcements.suppression":        ("LCH",    "LCH"),
    "announcements.announcement":       ("LACDH",  "LACDH"),
}
# fmt: on

ADMIN_VIEWS = {"L": "changelist", "A": "add", "C": "change", "D": "delete", "H": "history"}


def _model_admin_urls(model, pk):
    """The generic ModelAdmin pages of one model, by letter, plus the bare object URL."""
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    urls = {
        "L": reverse(f"{info}_changelist"),
        "A": reverse(f"{info}_add"),
        "C": reverse(f"{info}_change", args=[pk]),
        "D": reverse(f"{info}_delete", args=[pk]),
        "H": reverse(f"{info}_history", args=[pk]),
    }
    bare = urls["C"].removesuffix("change/")
    return urls, bare


def _is_model_admin_pattern(key: str, route: str) -> bool:
    prefix = reverse("admin:index").lstrip("/")
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if key in {info + view for view in ADMIN_VIEWS.values()}:
            return True
        if route == f"{prefix}{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/":
            return True
    return False


def _matrix_key(key: str, route: str) -> str:
    if route.endswith("(?P<url>.*)$"):
        return "admin:<catch-all>"
    return key


# --- the tests -----------------------------------------------------------------------------------


def test_every_url_pattern_is_in_the_matrix():
    keys = {
        _matrix_key(key, route)
        for key, route in url_patterns()
        if not _is_model_admin_pattern(key, route)
    }
    missing = sorted(keys - set(MATRIX))
    assert not missing, f"add these URL patterns to MATRIX and TARGETS: {missing}"
    assert not sorted(set(MATRIX) - keys), "MATRIX names URL patterns that no longer exist"
    assert set(TARGETS) == set(MATRIX)
    assert all(len(row) == len(ROLES) for row in MATRIX.values())


def test_every_model_admin_is_in_the_admin_table():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert sorted(registered - set(ADMIN_RIGHTS)) == [], "add these models to ADMIN_RIGHTS"
    assert sorted(set(ADMIN_RIGHTS) - registered) == []


def _mismatches(checks) -> list[str]:
    return [f"{label}: expected {want}, got {got}" for label, want, got in checks if got != want]


@pytest.mark.parametrize("role", ROLES)
def test_role_gets_what_the_matrix_says_for_every_url(world, role):
    column = ROLES.index(role)
    client = client_for(role, world)
    checks = []
    for name, (method, build) in TARGETS.items():
        url = build(world)
        visitor = client_for(role, world) if name in FRESH_CLIENT else client
        checks.append(
            (f"{method} {url} ({name})", MATRIX[name][column], outcome(visitor, method, url))
        )
    wrong = _mismatches(checks)
    assert not wrong, f"{role}:\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_role_gets_what_the_admin_table_says_for_every_model_admin(world, role):
    client = client_for(role, world)
    not_staff = ADMIN if role in world.users else LOGIN
    checks = []
    for model in admin.site._registry:
        label = model._meta.label_lower
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"the world has no {label}: add one to _build_world"
        urls, bare = _model_admin_urls(model, obj.pk)
        rights = dict(zip(STAFF_ROLES, ADMIN_RIGHTS[label], strict=True)).get(role)
        for letter, url in urls.items():
            if rights is None:
                expected = {not_staff}
            elif letter in rights:
                expected = ALLOWED
            else:
                expected = {F403}
            got = outcome(client, "GET", url)
            checks.append((f"GET {url} ({label} {ADMIN_VIEWS[letter]})", _one(expected, got), got))
        want = not_staff if rights is None else "redirect to change"
        checks.append((f"GET {bare} ({label})", want, _bare_outcome(client, bare, urls["C"])))
    for app_label in sorted({model._meta.app_label for model in admin.site._registry}):
        url = reverse("admin:app_list", args=[app_label])
        if role not in STAFF_ROLES:
            expected = ADMIN
        else:
            rights = [
                ADMIN_RIGHTS[model._meta.label_lower][STAFF_ROLES.index(role)]
                for model in admin.site._registry
                if model._meta.app_label == app_label
            ]
            expected = OK if any(rights) else N404
        checks.append((f"GET {url} (app index)", expected, outcome(client, "GET", url)))
    wrong = _mismatches(checks)
    assert not wrong, f"{role}:\n  " + "\n  ".join(wrong)


def _bare_outcome(client: Client, url: str, change_url: str) -> str:
    """The bare object URL only redirects to the change page (which the C cell checks)."""
    response = client.get(url)
    location = _path(response.get("Location", ""))
    if response.status_code != 302:
        return str(response.status_code)
    return {
        reverse("admin:login"): ADMIN,
        reverse("accounts:login"): LOGIN,
        change_url: "redirect to change",
    }.get(location, f"redirect to {location}")


def _one(expected: set[str], got: str) -> str:
    """The expected cell for a result: the result itself when it is one of the accepted ones."""
    return got if got in expected else "/".join(sorted(expected))
