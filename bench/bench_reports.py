"""Program reports (実績報告) benchmark against gunicorn on PostgreSQL.

Fills its own database (bulk_create) with 100,000 consultations (with their first replies and
status history), 5,000 dispatches with 15,000 visits and their surveys, and 20,000 seminar
registrations over four fiscal years, then measures:

1. the reports page for one fiscal year (令和8年度, compared with 令和7年度), warm: p50/p95 of
   sequential requests and its query count (target p95 ≤ 300 ms on the 2-core machine);
2. the XLSX workbook export of that year (target ≤ 5 s).

Talks to 127.0.0.1 only and stops its server at the end. The database is named after the
engineer's NAME (``kosha_reports_bench``) unless BENCH_DB says otherwise.

    .venv/bin/python bench/bench_reports.py [--requests 40] [--keep]
"""

import argparse
import datetime
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
BENCH_DB = os.environ.get("BENCH_DB", "kosha_reports_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/9")
BROKER = os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/10")
ADMIN_PASSWORD = "bench-admin-password-2026"  # noqa: S105 - throwaway bench database
JST = datetime.timezone(datetime.timedelta(hours=9))
# The data ends now; the report measured is the current fiscal year's (令和8年度 on 2026-12-01),
# compared with the year before, which is over.
NOW = datetime.datetime.now(JST)
FISCAL_YEAR = NOW.year if NOW.month >= 4 else NOW.year - 1

CONSULTATIONS = 100_000
DISPATCHES = 5_000
VISITS = 15_000
REGISTRATIONS = 20_000
# Share of the consultations per fiscal year (the current one up to now).
YEAR_SHARES = {
    FISCAL_YEAR - 3: 0.15,
    FISCAL_YEAR - 2: 0.25,
    FISCAL_YEAR - 1: 0.32,
    FISCAL_YEAR: 0.28,
}


def server_env() -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kosha_portal.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DATABASE_URL": f"{PG}/{BENCH_DB}",
        "REDIS_URL": REDIS,
        "CACHE_KEY_PREFIX": "kosha-reports-bench",
        "CELERY_BROKER_URL": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "AXES_FAILURE_LIMIT": "1000",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_LOG_LEVEL": "warning",
        "GUNICORN_MAX_REQUESTS": "0",
    }


def prepare_database(env: dict) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--workers",
            "3",
            "--bind",
            f"{HOST}:{port}",
            "kosha_portal.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(200):
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status in (200, 503):
                return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("gunicorn did not start")


# --- data -----------------------------------------------------------------------------------


def _pick(rng: random.Random, choices: list, k_max: int) -> list:
    return rng.sample(choices, rng.randint(1, k_max))


def populate(env: dict) -> dict:  # noqa: C901 - one linear script
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from companies.models import Organisation
    from companies.sme import Industry
    from consultations.models import (
        BehaviourType,
        Channel,
        Consultation,
        ConsultationMessage,
        Damage,
        Place,
        RequestedSupport,
    )
    from dispatch.models import Dispatch, Expert, ProgramYear, Qualification, Survey, Visit
    from kosha_portal.audit.models import AuditEvent
    from kosha_portal.japan.business_days import BusinessCalendar
    from kosha_portal.japan.deadlines import JST
    from kosha_portal.reports.municipalities import TOKYO_MUNICIPALITIES
    from school.models import Application, Cohort
    from seminars.models import Registration, Seminar, SurveyResponse

    rng = random.Random(20261201)  # noqa: S311
    started = time.perf_counter()
    User = get_user_model()
    User.objects.create_superuser("bench-admin", "bench-admin@example.jp", ADMIN_PASSWORD)
    with transaction.atomic():
        wards = [name for _code, name, _p in TOKYO_MUNICIPALITIES]
        businesses = [
            "飲食店",
            "小売店",
            "ネット通販",
            "美容室",
            "整体院",
            "不動産仲介",
            "介護サービス",
            "運送業",
            "ソフトウェア開発",
            "ホテル",
            "建設業",
            "卸売業",
            "クリーニング店",
            "学習塾",
            "歯科医院",
            "コールセンター",
        ]
        industries = [code for code, _label in Industry.CHOICES]
        orgs = []
        for i in range(20_000):
            outside = rng.random() < 0.06
            orgs.append(
                Organisation(
                    name=f"株式会社ベンチ{i}",
                    name_kana=f"ベンチ{i}",
                    prefecture="神奈川県" if outside else "東京都",
                    prefecture_code="14" if outside else "13",
                    municipality="横浜市中区"
                    if outside
                    else wards[min(int(rng.expovariate(1 / 12)), 61)],
                    main_business=rng.choice(businesses),
                    industry=rng.choice(industries),
                    name_key=f"ベンチ{i}",
                )
            )
        Organisation.objects.bulk_create(orgs, batch_size=5000)
        org_ids = list(Organisation.objects.values_list("pk", flat=True))

        # Consultations over four fiscal years, with first replies and status history.
        calendar = BusinessCalendar(datetime.date(2023, 4, 1), datetime.date(2027, 4, 30))

        def next_business_day(day):
            day += datetime.timedelta(days=1)
            while not calendar.is_business_day(day):
                day += datetime.timedelta(days=1)
            return day

        consultations, events_spec = [], []
        channels = [c for c, _l in Channel.choices]
        seq = 0
        for fy, share in YEAR_SHARES.items():
            start = datetime.datetime(fy, 4, 1, tzinfo=JST)
            end = min(datetime.datetime(fy + 1, 4, 1, tzinfo=JST), NOW)
            span = (end - start).total_seconds()
            for n in range(int(CONSULTATIONS * share)):
                seq += 1
                received = start + datetime.timedelta(seconds=rng.random() * span)
                reply_by = next_business_day(received.astimezone(JST).date())
                fate = rng.random()
                started_at = answered_at = closed_at = withdrawn_at = None
                if fate > 0.05 or fy < FISCAL_YEAR:
                    started_at = received + datetime.timedelta(hours=rng.uniform(1, 30))
                if started_at and fate > 0.12:
                    answered_at = started_at + datetime.timedelta(hours=rng.uniform(0, 60))
                if answered_at and fate > 0.4:
                    closed_at = answered_at + datetime.timedelta(days=rng.uniform(1, 40))
                if not answered_at and 0.08 < fate < 0.1:
                    withdrawn_at = received + datetime.timedelta(days=2)
                stamps = [("in_progress", started_at), ("answered", answered_at)]
                stamps += [("closed", closed_at), ("withdrawn", withdrawn_at)]
                stamps = sorted(
                    ((s, at) for s, at in stamps if at and at < NOW), key=lambda item: item[1]
                )
                status = stamps[-1][0] if stamps else "new"
                consultations.append(
                    Consultation(
                        reference=f"B{fy}-{n + 1:06d}",
                        fiscal_year=fy,
                        sequence=n + 1,
                        organisation_id=rng.choice(org_ids),
                        channel=rng.choices(channels, weights=[6, 3, 1, 1])[0],
                        status=status,
                        received_at=received,
                        reply_by=reply_by,
                        started_at=started_at if started_at and started_at < NOW else None,
                        answered_at=answered_at if answered_at and answered_at < NOW else None,
                        closed_at=closed_at if closed_at and closed_at < NOW else None,
                        withdrawn_at=withdrawn_at,
                        contact_name="山田 太郎",
                        contact_email=f"bench{seq}@example.jp",
                        places=_pick(rng, [c for c, _l in Place.choices], 2),
                        behaviour_types=_pick(rng, [c for c, _l in BehaviourType.choices], 3),
                        damages=_pick(rng, [c for c, _l in Damage.choices], 2)
                        if rng.random() < 0.6
                        else [],
                        requested_support=_pick(rng, [c for c, _l in RequestedSupport.choices], 2),
                        measures=[],
                        description="繰り返しのクレーム",
                        privacy_notice_version="2026-04",
                        dispatch_need=rng.choice([True, False, None]) if started_at else None,
                    )
                )
                events_spec.append(stamps)
        Consultation.objects.bulk_create(consultations, batch_size=5000)
        consultation_ids = list(
            Consultation.objects.order_by("pk").values_list("pk", "answered_at")
        )
        # Replies: the message goes out when the consultation is marked answered.
        messages = [
            ConsultationMessage(
                consultation_id=pk, kind="reply", body="ご相談ありがとうございます。"
            )
            for pk, answered_at in consultation_ids
            if answered_at
        ]
        ConsultationMessage.objects.bulk_create(messages, batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE consultations_consultationmessage m SET created_at = c.answered_at "
                "FROM consultations_consultation c WHERE m.consultation_id = c.id"
            )
        content_type = ContentType.objects.get_for_model(Consultation)
        events = [
            AuditEvent(
                actor_label="bench",
                action=f"consultation.status.{status}",
                content_type=content_type,
                object_id=str(pk),
                object_repr="",
                changes={"to": status},
            )
            for (pk, _a), stamps in zip(consultation_ids, events_spec, strict=True)
            for status, _at in stamps
        ]
        AuditEvent.objects.bulk_create(events, batch_size=5000)
        stamps_sql = [
            (pk, status, at)
            for (pk, _a), stamps in zip(consultation_ids, events_spec, strict=True)
            for status, at in stamps
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_stamps (object_id varchar, action varchar, at timestamptz)"
            )
            with cursor.copy("COPY bench_stamps FROM STDIN") as copy:
                for pk, status, at in stamps_sql:
                    copy.write_row((str(pk), f"consultation.status.{status}", at))
            cursor.execute(
                "UPDATE audit_auditevent e SET created_at = s.at FROM bench_stamps s "
                "WHERE e.object_id = s.object_id AND e.action = s.action "
                "AND e.content_type_id = %s",
                [content_type.pk],
            )
        print(
            f"  {len(consultations):,} consultations, {len(messages):,} replies, "
            f"{len(events):,} status events ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )

        # Expert dispatch: program years, experts, 5,000 dispatches with 15,000 visits.
        years = {}
        for fy in YEAR_SHARES:
            years[fy] = ProgramYear.objects.create(
                fiscal_year=fy,
                application_opens_at=datetime.datetime(fy, 4, 1, tzinfo=JST),
                application_closes_at=datetime.datetime(fy + 1, 1, 31, 23, 59, 59, tzinfo=JST),
                dispatch_period_ends_on=datetime.date(fy + 1, 2, 28),
            )
        qualifications = [c for c, _l in Qualification.choices]
        experts = []
        for i in range(40):
            user = User.objects.create_user(f"bench-expert{i}", password=None)
            experts.append(
                Expert.objects.create(
                    user=user,
                    name=f"専門家{i}",
                    email=f"expert{i}@example.jp",
                    qualifications=_pick(rng, qualifications, 2),
                )
            )
        need_confirmed = list(
            Consultation.objects.filter(dispatch_need=True).values_list(
                "pk", "organisation_id", "received_at"
            )
        )
        rng.shuffle(need_confirmed)
        dispatches, visit_plan = [], []
        statuses = ["decided"] * 3 + ["completed", "closed", "closed", "closed"]
        statuses += ["rejected", "withdrawn", "expired", "applied"]
        for i, (cpk, org, received) in enumerate(need_confirmed[:DISPATCHES]):
            applied = received + datetime.timedelta(days=rng.uniform(3, 20))
            if applied >= NOW:
                applied = received
            fy = applied.astimezone(JST).year - (applied.astimezone(JST).month < 4)
            status = rng.choice(statuses)
            decided = status not in ("applied", "rejected") and not (
                status == "withdrawn" and rng.random() < 0.5
            )
            decided_at = applied + datetime.timedelta(days=7) if decided else None
            if decided_at and decided_at >= NOW:
                decided, decided_at, status = False, None, "applied"
            completed_at = (
                decided_at + datetime.timedelta(days=60)
                if status in ("completed", "closed")
                else None
            )
            dispatches.append(
                Dispatch(
                    reference=f"BD{i:06d}",
                    program_year=years[fy],
                    organisation_id=org,
                    consultation_id=cpk,
                    status=status,
                    contact_name="山田 太郎",
                    contact_email=f"bench-d{i}@example.jp",
                    theme="マニュアル作成",
                    goals="対応手順の整備",
                    consent_at=applied,
                    privacy_notice_version="2026-04",
                    applied_at=applied,
                    decided_at=decided_at,
                    decision_date=decided_at.date() if decided_at else None,
                    expert=rng.choice(experts) if decided_at else None,
                    planned_visits=4 if decided_at else None,
                    rejection_reason=rng.choice(
                        ["都外の事業者のため", "中小企業に該当しないため", "申込期間外のため"]
                    )
                    if status == "rejected"
                    else "",
                    completed_at=completed_at,
                    withdrawn_at=applied + datetime.timedelta(days=10)
                    if status == "withdrawn"
                    else None,
                )
            )
            if decided_at:
                visit_plan.append(len(dispatches) - 1)
        Dispatch.objects.bulk_create(dispatches, batch_size=2000)
        visits = []
        per_dispatch = {}
        while len(visits) < VISITS:
            index = visit_plan[len(visits) % len(visit_plan)]
            d = dispatches[index]
            number = per_dispatch.get(index, 0) + 1
            if number > 4:
                index = rng.choice(visit_plan)
                continue
            per_dispatch[index] = number
            day = (d.decided_at + datetime.timedelta(days=14 * number)).astimezone(JST).date()
            status = rng.choices(
                ["confirmed", "reported", "cancelled", "no_show", "disputed"],
                weights=[70, 10, 8, 4, 2],
            )[0]
            if day >= NOW.date():
                status = "scheduled"
            visits.append(
                Visit(
                    dispatch_id=d.pk,
                    report_number=number if status in ("reported", "confirmed") else None,
                    cancel_reason="日程の都合" if status == "cancelled" else "",
                    status=status,
                    date=day,
                    mode=rng.choice(["onsite", "onsite", "online"]),
                    scheduled_at=d.decided_at,
                )
            )
        Visit.objects.bulk_create(visits, batch_size=5000)
        surveys = [
            Survey(
                dispatch_id=d.pk,
                satisfaction=rng.choices([5, 4, 3, 2, 1], weights=[50, 30, 12, 5, 3])[0],
                introduced=_pick(rng, [c for c, _l in Survey.Introduced.choices][:-1], 3),
                submitted_at=d.completed_at,
            )
            for d in dispatches
            if d.status == "closed"
        ]
        Survey.objects.bulk_create(surveys, batch_size=5000)
        print(
            f"  {len(dispatches):,} dispatches, {len(visits):,} visits, {len(surveys):,} surveys "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )

        # Seminars: three a year, 20,000 registrations.
        seminars = []
        for fy in YEAR_SHARES:
            for number, month in ((1, 7), (2, 9), (3, 11)):
                starts = datetime.datetime(fy, month, 15, 14, tzinfo=JST)
                seminars.append(
                    Seminar.objects.create(
                        fiscal_year=fy,
                        number=number,
                        title=f"カスタマーハラスメント対策 第{number}回",
                        starts_at=starts,
                        ends_at=starts + datetime.timedelta(hours=2),
                        format="hybrid",
                        venue_seats=500,
                        online_seats=2000,
                        registration_opens_at=starts - datetime.timedelta(days=40),
                        registration_closes_at=starts - datetime.timedelta(days=2),
                        status="finished" if starts < NOW else "published",
                    )
                )
        registrations = []
        heard = [c for c, _l in Registration.HeardFrom.choices] + [""]
        for i in range(REGISTRATIONS):
            seminar = seminars[i % len(seminars)]
            past = seminar.starts_at < NOW
            status = rng.choices(
                ["attended", "no_show", "cancelled", "waiting"]
                if past
                else ["confirmed", "cancelled", "waiting"],
                weights=[70, 15, 10, 5] if past else [85, 10, 5],
            )[0]
            registrations.append(
                Registration(
                    seminar=seminar,
                    organisation_id=rng.choice(org_ids),
                    name="受講 花子",
                    name_kana="ジュコウ ハナコ",
                    email=f"bench-r{i}@example.jp",
                    format=rng.choice(["venue", "online"]),
                    heard_from=rng.choice(heard),
                    consent_at=seminar.registration_opens_at,
                    privacy_notice_version="2026-04",
                    status=status,
                    waiting_position=i if status == "waiting" else None,
                )
            )
        Registration.objects.bulk_create(registrations, batch_size=5000)
        SurveyResponse.objects.bulk_create(
            [
                SurveyResponse(
                    registration=r,
                    satisfaction=rng.choice([5, 4, 4, 3]),
                    usefulness=rng.choice([5, 4, 3, 3]),
                )
                for r in registrations
                if r.status == "attended" and rng.random() < 0.4
            ],
            batch_size=5000,
        )
        for number, fy in enumerate(YEAR_SHARES, start=1):
            cohort = Cohort.objects.create(
                number=number,
                start_date=datetime.date(fy, 6, 1),
                end_date=datetime.date(fy, 12, 1),
            )
            Application.objects.bulk_create(
                [
                    Application(
                        cohort=cohort,
                        organisation_id=org_ids[number * 100 + k],
                        main_business="小売業",
                        contact_name="受講 太郎",
                        contact_email=f"bench-s{number}-{k}@example.jp",
                        consent_version="2026-04",
                        status="accepted" if k < 12 else "declined",
                        roster_number=k + 1 if k < 12 else None,
                    )
                    for k in range(16)
                ]
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"  {len(registrations):,} seminar registrations; data ready in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return {"consultations_in_year": Consultation.objects.filter(fiscal_year=FISCAL_YEAR).count()}


# --- measurements ---------------------------------------------------------------------------


def cookies_of(response, jar: dict) -> None:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]


def cookie_header(jar: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def login_admin(port: int) -> dict:
    jar = {}
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("GET", "/admin/login/")
    response = conn.getresponse()
    html = response.read().decode()
    cookies_of(response, jar)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": csrf,
            "username": "bench-admin",
            "password": ADMIN_PASSWORD,
            "next": "/admin/",
        }
    )
    conn.request(
        "POST",
        "/admin/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie_header(jar),
            "Referer": f"http://{HOST}:{port}/admin/login/",
        },
    )
    response = conn.getresponse()
    response.read()
    cookies_of(response, jar)
    if response.status != 302:
        raise SystemExit(f"admin login failed: {response.status}")
    return jar


def timed_get(conn, url: str, jar: dict) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    conn.request("GET", url, headers={"Cookie": cookie_header(jar)})
    response = conn.getresponse()
    body = response.read()
    return time.perf_counter() - t0, response.status, len(body)


def query_count(url: str) -> int:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-admin"))
    client.get(url, HTTP_HOST=HOST)
    with CaptureQueriesContext(connection) as ctx:
        status = client.get(url, HTTP_HOST=HOST).status_code
    assert status == 200, status
    return len(ctx.captured_queries)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"


def bench_page(port: int, requests: int) -> None:
    jar = login_admin(port)
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    for label, url in (
        (
            "reports page, current fiscal year (vs the previous)",
            f"/admin/reports/?fy={FISCAL_YEAR}",
        ),
        (
            "reports page, previous fiscal year (vs the one before)",
            f"/admin/reports/?fy={FISCAL_YEAR - 1}",
        ),
    ):
        for _ in range(3):  # warm-up: connections, templates, query plans
            timed_get(conn, url, jar)
        latencies = []
        for _ in range(requests):
            elapsed, status, _size = timed_get(conn, url, jar)
            assert status == 200, status
            latencies.append(elapsed)
        latencies.sort()
        p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000
        print(
            f"{label}: p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95:.0f} ms "
            f"({requests} sequential requests, {query_count(url)} queries; {load_average()})",
            flush=True,
        )
    from kosha_portal.reports.models import ReportSnapshot

    cold = []
    url = f"/admin/reports/?fy={FISCAL_YEAR}"
    for _ in range(5):
        ReportSnapshot.objects.all().delete()
        elapsed, status, _size = timed_get(conn, url, jar)
        assert status == 200, status
        cold.append(elapsed)
    print(
        f"reports page without stored figures (both years aggregated in the request): p50 "
        f"{statistics.median(cold) * 1000:.0f} ms, worst {max(cold) * 1000:.0f} ms of 5 "
        f"({load_average()})",
        flush=True,
    )
    times = []
    for _ in range(3):
        elapsed, status, size = timed_get(conn, f"/admin/reports/{FISCAL_YEAR}/workbook.xlsx", jar)
        assert status == 200, status
        times.append(elapsed)
    print(
        f"XLSX workbook of the current fiscal year: {min(times):.2f} s best, {max(times):.2f} s worst of 3, "
        f"{size / 1024:.0f} KB ({load_average()})",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="reuse the database if it exists")
    parser.add_argument("--populate-only", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    env = server_env()
    if not args.keep:
        print(f"filling {BENCH_DB} …", flush=True)
        prepare_database(env)
        populate(env)
        if args.populate_only:
            return 0
    else:
        os.environ.update(env)
        import django

        django.setup()
    port = free_port()
    server = start_server(env, port)
    try:
        bench_page(port, args.requests)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
