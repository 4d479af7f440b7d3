"""Demo data: 第1期 with the leaflet's 12 companies (fictional names: the real ones are not
public; main businesses and participants' departments/roles exactly as the leaflet, in its order),
its sessions and attendance, and a recruiting 第2期."""

import datetime

from kosha_portal import clock

from .models import Application, Cohort, CurriculumSession, Instructor
from .services import (
    attendance_record,
    cohort_finish,
    cohort_open_recruiting,
    cohort_start,
    roster_import,
)

ACTOR = "demo"

# (fictional company, main business, [(name, kana, department, role), ...]) in the leaflet's order
LEAFLET_COMPANIES = [
    (
        "株式会社東都ロジプリント",
        "運送業／倉庫業／オンデマンドプリント",
        [("佐藤 誠", "サトウ マコト", "", "次長"), ("鈴木 健一", "スズキ ケンイチ", "", "課長")],
    ),
    (
        "株式会社神田紙工",
        "紙、プラスチック製品（コースター、ノベルティ等）の製造・販売",
        [
            ("高橋 裕子", "タカハシ ユウコ", "営業部", "次長"),
            ("田中 浩", "タナカ ヒロシ", "営業部", "次長"),
        ],
    ),
    (
        "株式会社おしぼりサプライ城南",
        "おしぼりレンタル商社",
        [
            ("伊藤 直樹", "イトウ ナオキ", "", "取締役"),
            ("渡辺 美咲", "ワタナベ ミサキ", "", "事業所長"),
        ],
    ),
    (
        "有限会社隅田川酒販",
        "酒類卸売業",
        [
            ("山本 大輔", "ヤマモト ダイスケ", "", "代表"),
            ("中村 翔", "ナカムラ ショウ", "", "現場担当者"),
        ],
    ),
    (
        "株式会社武蔵野設備保安",
        "設備工事業／保安点検業",
        [("小林 隆", "コバヤシ タカシ", "", "主任"), ("加藤 亮", "カトウ リョウ", "", "主任")],
    ),
    (
        "株式会社多摩樹脂加工",
        "プラスチック加工業",
        [("吉田 恵", "ヨシダ メグミ", "業務部", "課長代理")],
    ),
    (
        "株式会社江戸特殊印刷",
        "特殊印刷業務請負等",
        [
            ("山田 拓也", "ヤマダ タクヤ", "新規事業開発部門", "現場担当者"),
            ("佐々木 彩", "ササキ アヤ", "新規事業開発部門", "現場担当者"),
        ],
    ),
    (
        "株式会社秋葉ソフトウェア",
        "ソフトウェア開発業",
        [
            ("山口 智子", "ヤマグチ トモコ", "管理本部", "担当者"),
            ("松本 学", "マツモト マナブ", "事業部", "担当者"),
        ],
    ),
    (
        "クレープ工房 ひなた",
        "クレープ店経営",
        [("井上 陽菜", "イノウエ ヒナ", "", "代表"), ("木村 蓮", "キムラ レン", "", "社員")],
    ),
    (
        "株式会社日本橋翻訳センター",
        "翻訳／通訳／速記業",
        [
            ("林 真由美", "ハヤシ マユミ", "業務部", "課長"),
            ("清水 悠", "シミズ ユウ", "", "現場担当者"),
        ],
    ),
    ("青葉会計事務所", "会計事務所", [("森 由紀", "モリ ユキ", "", "担当者")]),
    (
        "株式会社丸の内リアルティ",
        "不動産賃貸業／不動産コンサルタント業等",
        [("池田 航", "イケダ ワタル", "", "営業担当者")],
    ),
]

INSTRUCTORS = [
    ("青木 俊介", "アオキ シュンスケ", "中小企業診断士"),
    ("藤原 千尋", "フジワラ チヒロ", "ITコーディネータ"),
]

SESSIONS = [  # number, kind, date, start, end, topic, instructor index
    (
        1,
        "lecture",
        datetime.date(2023, 10, 5),
        "13:30",
        "16:30",
        "生産性革新の全体像と自社業務の棚卸し",
        0,
    ),
    (
        2,
        "workshop",
        datetime.date(2023, 10, 19),
        "13:30",
        "16:30",
        "業務フローの見える化とボトルネック分析",
        0,
    ),
    (3, "lecture", datetime.date(2023, 11, 2), "13:30", "16:30", "ペーパーレス化と情報の一元化", 1),
    (
        4,
        "workshop",
        datetime.date(2023, 11, 16),
        "13:30",
        "16:30",
        "デジタルツール体験（ノーコード・クラウド）",
        1,
    ),
    (
        5,
        "lecture",
        datetime.date(2023, 12, 7),
        "13:30",
        "16:30",
        "顧客満足と差別化のためのデータ活用",
        0,
    ),
    (
        6,
        "workshop",
        datetime.date(2024, 1, 18),
        "13:30",
        "16:30",
        "改善計画の発表と相互フィードバック",
        0,
    ),
]


def leaflet_rows() -> list[dict]:
    """The leaflet's roster as import rows (one per participant)."""
    rows, line = [], 2
    for number, (company, business, people) in enumerate(LEAFLET_COMPANIES, start=1):
        for name, kana, department, role in people:
            rows.append(
                {
                    "row": line,
                    "number": str(number),
                    "company": company,
                    "main_business": business,
                    "name": name,
                    "name_kana": kana,
                    "department": department,
                    "role": role,
                    "email": "",
                }
            )
            line += 1
    return rows


def _time(value: str) -> datetime.time:
    return datetime.time.fromisoformat(value)


def load(stdout):
    instructors = []
    for name, kana, qualification in INSTRUCTORS:
        instructor, _created = Instructor.objects.get_or_create(
            name=name, defaults={"name_kana": kana, "qualification": qualification}
        )
        instructors.append(instructor)

    first, created = Cohort.objects.get_or_create(
        number=1,
        defaults={
            "start_date": datetime.date(2023, 10, 5),
            "end_date": datetime.date(2024, 1, 18),
            "application_opens_on": datetime.date(2023, 7, 1),
            "application_closes_on": datetime.date(2023, 9, 15),
            "capacity": 12,
            "planned_sessions": 6,
            "planned_hours": 18,
            "coaching_visits_per_company": 3,
            "completion_threshold_percent": 80,
            "venue": "東京都産業労働局秋葉原庁舎 会議室",
            "description": "商業・サービス業の生産性革新を目的とした体系的かつ実践的な研修プログラム（第1期）。",
        },
    )
    first.instructors.add(*instructors)
    for number, kind, date, start, end, topic, teacher in SESSIONS:
        CurriculumSession.objects.get_or_create(
            cohort=first,
            number=number,
            defaults={
                "kind": kind,
                "date": date,
                "start_time": _time(start),
                "end_time": _time(end),
                "topic": topic,
                "instructor": instructors[teacher],
            },
        )
    if first.status == Cohort.Status.DRAFT:
        first = cohort_open_recruiting(cohort=first, actor=ACTOR)
    if not first.applications.filter(status=Application.Status.ACCEPTED).exists():
        roster_import(cohort=first, rows=leaflet_rows(), actor=ACTOR)
        sessions = list(first.sessions.order_by("number"))
        marks = {}
        for index, application in enumerate(first.applications.order_by("roster_number")):
            for participant in application.participants.all():
                for session in sessions:
                    # Most attend everything; the last companies missed some sessions.
                    missed = session.number <= (index - 8) and index > 8
                    marks[(participant.pk, session.pk)] = "absent" if missed else "present"
        attendance_record(cohort=first, marks=marks, actor=ACTOR)
    if first.status == Cohort.Status.RECRUITING:
        first = cohort_start(cohort=first, actor=ACTOR)
    if first.status == Cohort.Status.IN_PROGRESS:
        first = cohort_finish(cohort=first, actor=ACTOR)
    stdout.write(f"  school: {first} with {first.applications.count()} companies")

    today = clock.today()
    second, created = Cohort.objects.get_or_create(
        number=2,
        defaults={
            "start_date": today + datetime.timedelta(days=60),
            "end_date": today + datetime.timedelta(days=180),
            "application_opens_on": today - datetime.timedelta(days=1),
            "application_closes_on": today + datetime.timedelta(days=45),
            "capacity": 12,
            "planned_sessions": 6,
            "planned_hours": 18,
            "venue": "東京都産業労働局秋葉原庁舎 会議室",
        },
    )
    second.instructors.add(*instructors)
    if second.status == Cohort.Status.DRAFT:
        cohort_open_recruiting(cohort=second, actor=ACTOR)
    stdout.write(f"  school: {second} (recruiting)")
    load_info_session(stdout, cohort=second, today=today)


INFO_SESSION_TITLE = "東京都サービス生産性革新スクール 受講説明会"


def load_info_session(stdout, *, cohort: Cohort, today) -> None:
    """One upcoming 説明会 for the recruiting cohort, two weeks from today (venue and online),
    created and published through the seminars' services. Idempotent (cohort + title)."""
    from kosha_portal.japan.deadlines import JST, end_of_day
    from kosha_portal.japan.fiscal import fiscal_year_of
    from seminars.demo import VENUE
    from seminars.services import seminar_create, seminar_publish

    from .models import InfoSession

    if InfoSession.objects.filter(cohort=cohort, title=INFO_SESSION_TITLE).exists():
        stdout.write("  school: info session exists")
        return
    day = today + datetime.timedelta(days=14)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    starts = datetime.datetime.combine(day, datetime.time(15), tzinfo=JST)
    year = fiscal_year_of(day)
    number = (
        InfoSession.objects.filter(fiscal_year=year)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
        or 0
    ) + 1
    session = seminar_create(
        kind=InfoSession.Kind.INFO_SESSION,
        data={
            "cohort": cohort,
            "fiscal_year": year,
            "number": number,
            "title": INFO_SESSION_TITLE,
            "description": f"{cohort.label}のカリキュラム、個別支援、お申込みから受講決定までの流れを"
            "ご説明します（約60分、質疑応答あり）。",
            "starts_at": starts,
            "ends_at": starts + datetime.timedelta(hours=1),
            "format": InfoSession.Format.HYBRID,
            **VENUE,
            "venue_seats": 20,
            "online_seats": 50,
            "online_url": "https://webinar.example.jp/j/kosha-school-info-demo",
            "seats_per_company": 3,
            "registration_opens_at": clock.now() - datetime.timedelta(days=1),
            "registration_closes_at": end_of_day(day - datetime.timedelta(days=1)),
        },
        actor=ACTOR,
    )
    seminar_publish(seminar=session, actor=ACTOR)
    stdout.write(f"  school: info session {session.starts_at:%Y-%m-%d} created")
