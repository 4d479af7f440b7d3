"""The report as sections of tables (and the chart drawn from each), built from the figures. One
structure feeds the page, the CSV and XLSX exports and the annual PDF, so they always agree.

A table is a dict: ``key``, ``title``, ``columns``, ``rows`` (lists of cells: text, int, float or
None for "no figure"), optional ``note`` and ``chart``. A chart is a dict: ``key``, ``type``
(``line``, ``bar``, ``hbar``), ``labels`` and ``series`` (``label``, ``data``)."""

import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from companies.sme import Industry
from consultations.models import (
    BehaviourType,
    Channel,
    Consultation,
    Damage,
    Measure,
    Place,
    RequestedSupport,
)
from dispatch.models import Qualification, Survey
from kosha_portal.japan.deadlines import JST
from kosha_portal.japan.wareki import format_wareki
from school.models import Application
from seminars.models import Registration, Seminar

from .municipalities import OUTSIDE_TOKYO, TOKYO_MUNICIPALITIES, UNKNOWN
from .periods import ReportPeriod


def pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def avg(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def diff(current, previous):
    if isinstance(current, int | float) and isinstance(previous, int | float):
        return round(current - previous, 2) if isinstance(current, float) else current - previous
    return None


def _label(choices, code: str) -> str:
    return str(dict(choices).get(code, code))


def _wareki_iso(iso: str, *, weekday: bool = False) -> str:
    return format_wareki(datetime.date.fromisoformat(iso), weekday=weekday)


class _Builder:
    def __init__(self, period: ReportPeriod, figures: dict):
        self.period = period
        self.previous = period.previous()
        self.cur_label = period.label
        self.prev_label = self.previous.label
        self.figures = figures

    def compare(self, key, title, first, items, *, total=True, note="", chart=None):
        """Rows of (label, current, previous) with the change; a 合計 row when ``total``."""
        rows = [[str(label), cur, prev, diff(cur, prev)] for label, cur, prev in items]
        if total:
            cur_sum = sum(cur or 0 for _l, cur, _p in items)
            prev_sum = sum(prev or 0 for _l, _c, prev in items)
            rows.append([_("合計"), cur_sum, prev_sum, cur_sum - prev_sum])
        table = {
            "key": key,
            "title": title,
            "columns": [first, self.cur_label, self.prev_label, _("増減")],
            "rows": rows,
            "note": note,
        }
        if chart:
            table["chart"] = self.chart(key, title, chart, items)
        return table

    def chart(self, key, title, kind, items, *, previous=True, sort=False, limit=None):
        if kind != "line":  # a trend keeps every month; bars leave out empty categories
            items = [item for item in items if item[1] or (previous and item[2])]
        if sort:
            items = sorted(items, key=lambda item: -(item[1] or 0))
        if limit:
            items = items[:limit]
        # A month still to come stays empty (None) in a trend; a missing category is 0.
        blank = None if kind == "line" else 0
        series = [
            {
                "label": self.cur_label,
                "data": [blank if cur is None else cur for _l, cur, _p in items],
            }
        ]
        if previous:
            series.append({"label": self.prev_label, "data": [prev or 0 for _l, _c, prev in items]})
        return {
            "key": f"chart-{key}",
            "title": title,
            "type": kind,
            "labels": [str(label) for label, _c, _p in items],
            "series": series,
        }

    def month_items(self, cur: dict, prev: dict):
        """(月, this year, last year); months still to come have no figure (None), not 0."""
        computed = datetime.datetime.fromisoformat(self.figures["computed_at"]).astimezone(JST)
        this_month = computed.date().replace(day=1)
        return [
            (
                _("%(month)s月") % {"month": m.month},
                cur.get(f"{m:%Y-%m}", 0) if m <= this_month else None,
                prev_value,
            )
            for m, prev_value in zip(
                self.period.months,
                [prev.get(f"{m:%Y-%m}", 0) for m in self.previous.months],
                strict=True,
            )
        ]


# --- 特別相談窓口 ---------------------------------------------------------------------------------


def _consultation_tables(b: _Builder, cur: dict, prev: dict) -> list[dict]:
    tables = []
    r, pr = cur["response"], prev["response"]
    tables.append(
        b.compare(
            "consultations_summary",
            _("相談の概要"),
            _("項目"),
            [
                (_("相談件数"), cur["total"], prev["total"]),
                (_("専門家派遣の必要性：あり"), cur["need"]["yes"], prev["need"]["yes"]),
                (_("専門家派遣の必要性：なし"), cur["need"]["no"], prev["need"]["no"]),
                (
                    _("専門家派遣の必要性：未判断"),
                    cur["need"]["undecided"],
                    prev["need"]["undecided"],
                ),
                (_("回答済み（初回回答あり）"), r["replied"], pr["replied"]),
                (
                    _("初回回答までの営業日数（中央値）"),
                    r["median_business_days"],
                    pr["median_business_days"],
                ),
                (
                    _("回答期限までに回答した件数"),
                    r["on_time"],
                    pr["on_time"],
                ),
                (
                    _("回答期限内に回答した割合（％）"),
                    pct(r["on_time_share"]),
                    pct(pr["on_time_share"]),
                ),
                (
                    _("回答期限を過ぎて未回答"),
                    r["unanswered_overdue"],
                    pr["unanswered_overdue"],
                ),
                (_("集計時点で対応中（新規受付・対応中）"), cur["open_now"], prev["open_now"]),
                (_("集計時点で回答期限を過ぎて対応中"), cur["overdue_now"], prev["overdue_now"]),
            ],
            total=False,
            note=_(
                "初回回答は、窓口からの最初の回答（ポータルでの回答、または電話等で回答済みにした"
                "時点のうち早いほう）です。営業日数は受付日の翌営業日から数えます（受付当日の"
                "回答は0日）。回答期限内の割合は、回答済みと期限を過ぎた未回答（取下げを除く）"
                "に対する割合です。"
            ),
        )
    )
    tables.append(
        b.compare(
            "consultations_by_month",
            _("月別の相談件数"),
            _("月"),
            b.month_items(cur["by_month"], prev["by_month"]),
            chart="line",
        )
    )
    tables.append(
        b.compare(
            "consultations_by_channel",
            _("受付経路別の相談件数"),
            _("受付経路"),
            [
                (label, cur["by_channel"].get(code, 0), prev["by_channel"].get(code, 0))
                for code, label in Channel.choices
            ],
            chart="bar",
        )
    )
    tables.append(
        b.compare(
            "consultations_by_industry",
            _("業種別の相談件数（中小企業基本法の区分）"),
            _("業種"),
            [
                (str(label), cur["by_industry"].get(code, 0), prev["by_industry"].get(code, 0))
                for code, label in Industry.CHOICES
            ],
            chart="hbar",
        )
    )
    listed = cur["main_business"]
    prev_business = dict(map(tuple, prev["main_business"]))
    rows = [[business, n, prev_business.get(business)] for business, n in listed]
    rows.append([_("その他"), cur["main_business_other"], None])
    rows.append([_("未記入"), cur["main_business_blank"], prev["main_business_blank"]])
    rows.append([_("合計"), cur["total"], prev["total"]])
    tables.append(
        {
            "key": "consultations_by_main_business",
            "title": _("主な事業内容別の相談件数（記載どおり・上位%(n)s件）") % {"n": len(listed)},
            "columns": [_("主な事業内容"), b.cur_label, b.prev_label],
            "rows": rows,
            "note": _(
                "事業者が記入した主な事業内容をそのまま集計しています。前年度欄は、同じ記載が"
                "前年度の上位にある場合の件数です。"
            ),
        }
    )
    municipality_items = [
        (name, cur["by_municipality"].get(name, 0), prev["by_municipality"].get(name, 0))
        for _code, name, _posuto in TOKYO_MUNICIPALITIES
    ]
    extra = [
        (
            _("東京都外"),
            cur["by_municipality"].get(OUTSIDE_TOKYO, 0),
            prev["by_municipality"].get(OUTSIDE_TOKYO, 0),
        ),
        (
            _("不明・未記入"),
            cur["by_municipality"].get(UNKNOWN, 0),
            prev["by_municipality"].get(UNKNOWN, 0),
        ),
    ]
    municipality = b.compare(
        "consultations_by_municipality",
        _("区市町村別の相談件数"),
        _("区市町村"),
        municipality_items + extra,
        note=_("事業者の所在地（都内62区市町村、都外はまとめて表示）による集計です。"),
    )
    municipality["chart"] = b.chart(
        "consultations_by_municipality",
        _("区市町村別の相談件数（件数の多い順）"),
        "hbar",
        municipality_items,
        previous=False,
        sort=True,
        limit=25,
    )
    tables.append(municipality)
    multiselects = [
        ("behaviour_types", _("行為の類型別"), _("行為の類型"), BehaviourType.choices),
        ("places", _("発生した場面別"), _("場面"), Place.choices),
        ("damages", _("被害の状況別"), _("被害の状況"), Damage.choices),
        ("requested_support", _("希望する支援別"), _("希望する支援"), RequestedSupport.choices),
        ("measures", _("実施済みの対策別"), _("対策"), Measure.choices),
    ]
    for field, title, first, choices in multiselects:
        c, p = cur["multiselect"][field], prev["multiselect"][field]
        tables.append(_multiselect_table(b, f"consultations_{field}", title, first, choices, c, p))
    tables[-5]["chart"] = b.chart(
        "consultations_behaviour_types",
        _("行為の類型別（複数回答）"),
        "hbar",
        [
            (str(label), cur["multiselect"]["behaviour_types"]["answers"].get(code, 0), prev_n)
            for code, label in BehaviourType.choices
            for prev_n in [prev["multiselect"]["behaviour_types"]["answers"].get(code, 0)]
        ],
    )
    tables.append(
        b.compare(
            "consultations_status_at_end",
            _("相談の状態（期間末時点）"),
            _("状態"),
            [
                (
                    label,
                    cur["status_at_end"].get(code, 0),
                    prev["status_at_end"].get(code, 0),
                )
                for code, label in Consultation.Status.choices
            ],
            note=_(
                "%(current)s は%(current_date)s時点、%(previous)s は%(previous_date)s時点の状態です。"
            )
            % {
                "current": b.cur_label,
                "current_date": _wareki_iso(cur["status_as_of"]),
                "previous": b.prev_label,
                "previous_date": _wareki_iso(prev["status_as_of"]),
            },
        )
    )
    return tables


def _multiselect_table(b: _Builder, key, title, first, choices, cur: dict, prev: dict) -> dict:
    rows = []
    for code, label in choices:
        n = cur["answers"].get(code, 0)
        share = n / cur["consultations"] if cur["consultations"] else None
        prev_n = prev["answers"].get(code, 0)
        rows.append([str(label), n, pct(share), prev_n, diff(n, prev_n)])
    rows.append(
        [
            _("回答のあった相談の件数"),
            cur["consultations"],
            None,
            prev["consultations"],
            diff(cur["consultations"], prev["consultations"]),
        ]
    )
    return {
        "key": key,
        "title": _("%(title)s（複数回答）") % {"title": title},
        "columns": [first, b.cur_label, _("割合（％）"), b.prev_label, _("増減")],
        "rows": rows,
        "note": _(
            "複数回答のため、回答ごとに数えています。割合は回答のあった相談の件数に対する割合です。"
        ),
    }


# --- 専門家派遣 -----------------------------------------------------------------------------------


def _dispatch_tables(b: _Builder, cur: dict, prev: dict) -> list[dict]:
    tables = [
        b.compare(
            "dispatch_summary",
            _("派遣申込と結果"),
            _("項目"),
            [
                (_("申込件数"), cur["applications"], prev["applications"]),
                (_("派遣決定"), cur["decided"], prev["decided"]),
                (_("不採択"), cur["rejected"], prev["rejected"]),
                (
                    _("取下げ（派遣決定前）"),
                    cur["withdrawn_before_decision"],
                    prev["withdrawn_before_decision"],
                ),
                (
                    _("取下げ（派遣決定後）"),
                    cur["withdrawn_after_decision"],
                    prev["withdrawn_after_decision"],
                ),
                (_("期間満了"), cur["expired"], prev["expired"]),
                (_("完了報告済み"), cur["completed"], prev["completed"]),
                (
                    _("完了率（派遣決定に対する％）"),
                    pct(cur["completion_rate"]),
                    pct(prev["completion_rate"]),
                ),
                (_("集計時点で進行中（申込受付・派遣決定）"), cur["open_now"], prev["open_now"]),
            ],
            total=False,
            note=_("期間内に受け付けた派遣申込について、その後の結果を集計しています。"),
        )
    ]
    months = b.month_items(cur["by_month"], prev["by_month"])
    visits = b.month_items(cur["visits_by_month"], prev["visits_by_month"])
    rows = [
        [label, a_cur, a_prev, v_cur, v_prev]
        for (label, a_cur, a_prev), (_l, v_cur, v_prev) in zip(months, visits, strict=True)
    ]
    rows.append([_("合計")] + [sum(row[i] or 0 for row in rows) for i in range(1, 5)])
    tables.append(
        {
            "key": "dispatch_by_month",
            "title": _("月別の派遣申込件数と派遣実施回数"),
            "columns": [
                _("月"),
                _("申込件数（%(year)s）") % {"year": b.cur_label},
                _("申込件数（%(year)s）") % {"year": b.prev_label},
                _("実施回数（%(year)s）") % {"year": b.cur_label},
                _("実施回数（%(year)s）") % {"year": b.prev_label},
            ],
            "rows": rows,
            "note": _("実施回数は実施日による集計です（実施報告の提出済みの回）。"),
            "chart": {
                "key": "chart-dispatch_by_month",
                "title": _("月別の派遣申込件数と派遣実施回数"),
                "type": "line",
                "labels": [row[0] for row in rows[:-1]],
                "series": [
                    {"label": column, "data": [row[i] for row in rows[:-1]]}
                    for i, column in enumerate(
                        [
                            _("申込件数（%(year)s）") % {"year": b.cur_label},
                            _("申込件数（%(year)s）") % {"year": b.prev_label},
                            _("実施回数（%(year)s）") % {"year": b.cur_label},
                            _("実施回数（%(year)s）") % {"year": b.prev_label},
                        ],
                        start=1,
                    )
                ],
            },
        }
    )
    reason_rows = [[reason, n] for reason, n in cur["rejection_reasons"]]
    if cur["rejection_reasons_other"]:
        reason_rows.append([_("その他"), cur["rejection_reasons_other"]])
    reason_rows.append([_("合計"), cur["rejected"]])
    tables.append(
        {
            "key": "dispatch_rejection_reasons",
            "title": _("不採択の理由別"),
            "columns": [_("不採択の理由"), b.cur_label],
            "rows": reason_rows,
            "note": _("職員が記入した理由をそのまま集計しています。"),
        }
    )
    cv, pv = cur["visits"], prev["visits"]
    tables.append(
        b.compare(
            "dispatch_visits",
            _("派遣の実施状況（実施日による）"),
            _("項目"),
            [
                (_("実施（実施報告あり）"), cv["held"], pv["held"]),
                (
                    _("うち訪問（対面）"),
                    cur["visits_by_mode"]["onsite"],
                    prev["visits_by_mode"]["onsite"],
                ),
                (
                    _("うちオンライン"),
                    cur["visits_by_mode"]["online"],
                    prev["visits_by_mode"]["online"],
                ),
                (_("予定（未実施）"), cv["scheduled"], pv["scheduled"]),
                (_("取消し"), cv["cancelled"], pv["cancelled"]),
                (_("不実施（企業不在）"), cv["no_show"], pv["no_show"]),
                (_("登録された派遣の合計"), cv["total"], pv["total"]),
            ],
            total=False,
        )
    )
    tables.append(
        b.compare(
            "dispatch_by_qualification",
            _("専門家の資格別の実施回数"),
            _("資格"),
            [
                (
                    str(label),
                    cur["visits_by_qualification"].get(code, 0),
                    prev["visits_by_qualification"].get(code, 0),
                )
                for code, label in Qualification.choices
            ]
            + [
                (
                    _("資格の登録なし"),
                    cur["visits_without_qualification"],
                    prev["visits_without_qualification"],
                )
            ],
            total=False,
            note=_("複数の資格をもつ専門家の回は、それぞれの資格で数えています。"),
            chart="bar",
        )
    )
    usage_labels = {
        "0": _("0回"),
        "1": _("1回"),
        "2": _("2回"),
        "3": _("3回"),
        "4": _("4回"),
        "5+": _("5回以上"),
    }
    tables.append(
        b.compare(
            "dispatch_usage",
            _("実施回数別の事業者数"),
            _("実施回数"),
            [(usage_labels[k], cur["usage"][k], prev["usage"][k]) for k in usage_labels],
            note=_("派遣決定を受けた事業者ごとに、実施した回数（実施報告あり）で数えています。"),
            chart="bar",
        )
    )
    cs, ps = cur["survey"], prev["survey"]
    tables.append(
        b.compare(
            "dispatch_survey",
            _("派遣後アンケート"),
            _("項目"),
            [
                (_("回答数"), cs["responses"], ps["responses"]),
                (
                    _("回答率（完了報告済みに対する％）"),
                    pct(cs["response_rate"]),
                    pct(ps["response_rate"]),
                ),
                (
                    _("満足度の平均（5段階）"),
                    avg(cs["satisfaction_avg"]),
                    avg(ps["satisfaction_avg"]),
                ),
            ]
            + [
                (
                    _("満足度 %(score)s") % {"score": score},
                    cs["satisfaction"][str(score)],
                    ps["satisfaction"][str(score)],
                )
                for score in range(5, 0, -1)
            ],
            total=False,
        )
    )
    introduced = []
    for code, label in Survey.Introduced.choices:
        n = cs["introduced"].get(code, 0)
        prev_n = ps["introduced"].get(code, 0)
        share = n / cs["responses"] if cs["responses"] else None
        introduced.append([str(label), n, pct(share), prev_n, diff(n, prev_n)])
    tables.append(
        {
            "key": "dispatch_introduced",
            "title": _("派遣を受けて導入した取組（複数回答）"),
            "columns": [_("取組"), b.cur_label, _("割合（％）"), b.prev_label, _("増減")],
            "rows": introduced,
            "note": _("割合はアンケート回答数に対する割合です。"),
            "chart": b.chart(
                "dispatch_introduced",
                _("派遣を受けて導入した取組（複数回答）"),
                "hbar",
                [(row[0], row[1], row[3]) for row in introduced],
            ),
        }
    )
    return tables


# --- セミナー -------------------------------------------------------------------------------------

_COUNT_COLUMNS = [
    ("registrations", gettext_lazy("申込")),
    ("confirmed", gettext_lazy("参加確定")),
    ("waiting", gettext_lazy("キャンセル待ち")),
    ("cancelled", gettext_lazy("キャンセル")),
    ("attended", gettext_lazy("出席")),
    ("no_show", gettext_lazy("欠席")),
]


def _seminar_tables(b: _Builder, cur: dict, prev: dict) -> list[dict]:
    ct, pt = cur["totals"], prev["totals"]
    tables = [
        b.compare(
            "seminars_summary",
            _("セミナーの概要"),
            _("項目"),
            [
                (_("開催回数"), cur["held"], prev["held"]),
                (_("中止"), cur["cancelled_seminars"], prev["cancelled_seminars"]),
            ]
            + [(str(label), ct[key], pt[key]) for key, label in _COUNT_COLUMNS]
            + [
                (_("出席率（％）"), pct(cur["attendance_rate"]), pct(prev["attendance_rate"])),
                (_("アンケート回答数"), cur["survey_responses"], prev["survey_responses"]),
                (
                    _("満足度の平均（5段階）"),
                    avg(cur["satisfaction_avg"]),
                    avg(prev["satisfaction_avg"]),
                ),
                (
                    _("役立ち度の平均（5段階）"),
                    avg(cur["usefulness_avg"]),
                    avg(prev["usefulness_avg"]),
                ),
            ],
            total=False,
            note=_(
                "参加確定は座席を確保した申込（出席・欠席を含む）、出席率は出席÷（出席＋欠席）です。"
            ),
        )
    ]
    rows = []
    for s in cur["seminars"]:
        c = s["counts"]
        rows.append(
            [
                _("第%(number)s回") % {"number": s["number"]},
                " ".join(part for part in (s["part"], f"『{s['title']}』") if part),
                _wareki_iso(s["date"], weekday=True),
                _label(Seminar.Format.choices, s["format"])
                + ("" if s["status"] != Seminar.Status.CANCELLED else _("（中止）")),
                *[c[key] for key, _l in _COUNT_COLUMNS],
                pct(s["attendance_rate"]),
                avg(s["satisfaction_avg"]),
                avg(s["usefulness_avg"]),
                s["survey_responses"],
            ]
        )
    tables.append(
        {
            "key": "seminars_by_seminar",
            "title": _("セミナー別の申込・出席"),
            "columns": [
                _("回"),
                _("題名"),
                _("開催日"),
                _("開催形式"),
                *[str(label) for _k, label in _COUNT_COLUMNS],
                _("出席率（％）"),
                _("満足度"),
                _("役立ち度"),
                _("アンケート回答数"),
            ],
            "rows": rows,
            "chart": {
                "key": "chart-seminars_by_seminar",
                "title": _("セミナー別の出席・欠席"),
                "type": "bar",
                "labels": [row[0] for row in rows],
                "series": [
                    {
                        "label": _("出席"),
                        "data": [s["counts"]["attended"] for s in cur["seminars"]],
                    },
                    {"label": _("欠席"), "data": [s["counts"]["no_show"] for s in cur["seminars"]]},
                ],
            }
            if rows
            else None,
        }
    )
    format_rows = []
    for code, label in Registration.Format.choices:
        c = cur["totals_by_format"][code]
        format_rows.append(
            [
                str(label),
                *[c[key] for key, _l in _COUNT_COLUMNS],
                pct(cur["attendance_rate_by_format"][code]),
            ]
        )
    format_rows.append(
        [_("合計"), *[ct[key] for key, _l in _COUNT_COLUMNS], pct(cur["attendance_rate"])]
    )
    tables.append(
        {
            "key": "seminars_by_format",
            "title": _("参加方法別の申込・出席"),
            "columns": [
                _("参加方法"),
                *[str(label) for _k, label in _COUNT_COLUMNS],
                _("出席率（％）"),
            ],
            "rows": format_rows,
        }
    )
    heard_choices = [*Registration.HeardFrom.choices, ("unanswered", _("未回答"))]
    tables.append(
        b.compare(
            "seminars_heard_from",
            _("セミナーを知ったきっかけ"),
            _("きっかけ"),
            [
                (str(label), cur["heard_from"].get(code, 0), prev["heard_from"].get(code, 0))
                for code, label in heard_choices
            ],
            note=_("キャンセルを含むすべての申込の回答です。"),
            chart="bar",
        )
    )
    return tables


# --- スクール -------------------------------------------------------------------------------------


def _school_tables(b: _Builder, cur: dict, prev: dict) -> list[dict]:
    statuses = [
        (Application.Status.ACCEPTED, _("受講決定")),
        (Application.Status.WAITING, _("補欠")),
        (Application.Status.DECLINED, _("見送り")),
        (Application.Status.SUBMITTED, _("選考中")),
    ]
    rows = [
        [
            _("第%(number)s期") % {"number": c["number"]},
            _wareki_iso(c["start_date"]),
            _wareki_iso(c["end_date"]),
            c["applications"],
            *[c[code] for code, _l in statuses],
            c["participants"],
            c["sessions_recorded"],
            pct(c["attendance_rate"]),
            c["coaching_visits"],
            c["certificates"],
        ]
        for c in cur["cohorts"]
    ]
    t = cur["totals"]
    rows.append(
        [
            _("合計"),
            "",
            "",
            t["applications"],
            *[t[code] for code, _l in statuses],
            t["participants"],
            None,
            pct(cur["attendance_rate"]),
            t["coaching_visits"],
            t["certificates"],
        ]
    )
    pt = prev["totals"]
    return [
        {
            "key": "school_by_cohort",
            "title": _("期別の申込・受講・修了"),
            "columns": [
                _("期"),
                _("開講日"),
                _("修了日"),
                _("申込"),
                *[label for _c, label in statuses],
                _("参加者"),
                _("出欠を記録した研修の回数"),
                _("出席率（％）"),
                _("個別支援の回数"),
                _("修了証の交付"),
            ],
            "rows": rows,
            "note": _(
                "期間内に開講する期を集計しています。参加者は受講決定した事業者の参加者、"
                "出席率は出欠を記録した研修について、参加者全員の出席すべき回数に対する出席"
                "（遅刻・早退を含む）の割合です。"
            ),
            "chart": {
                "key": "chart-school_by_cohort",
                "title": _("期別の参加者数と修了証の交付数"),
                "type": "bar",
                "labels": [row[0] for row in rows[:-1]],
                "series": [
                    {"label": _("参加者"), "data": [c["participants"] for c in cur["cohorts"]]},
                    {
                        "label": _("修了証の交付"),
                        "data": [c["certificates"] for c in cur["cohorts"]],
                    },
                ],
            }
            if cur["cohorts"]
            else None,
        },
        b.compare(
            "school_summary",
            _("スクールの概要"),
            _("項目"),
            [
                (_("期の数"), cur["count"], prev["count"]),
                (_("申込"), t["applications"], pt["applications"]),
                (_("受講決定"), t["accepted"], pt["accepted"]),
                (_("参加者"), t["participants"], pt["participants"]),
                (_("出席率（％）"), pct(cur["attendance_rate"]), pct(prev["attendance_rate"])),
                (_("個別支援の回数"), t["coaching_visits"], pt["coaching_visits"]),
                (_("修了証の交付"), t["certificates"], pt["certificates"]),
            ],
            total=False,
        ),
    ]


SECTION_TITLES = {
    "consultations": gettext_lazy("特別相談窓口"),
    "dispatch": gettext_lazy("専門家派遣"),
    "seminars": gettext_lazy("セミナー"),
    "school": gettext_lazy("東京都サービス生産性革新スクール"),
}


def report_sections(period: ReportPeriod, figures: dict) -> list[dict]:
    """The report's four sections, each a title and its tables (with their charts)."""
    b = _Builder(period, figures)
    cur, prev = figures["current"], figures["previous"]
    builders = {
        "consultations": _consultation_tables,
        "dispatch": _dispatch_tables,
        "seminars": _seminar_tables,
        "school": _school_tables,
    }
    return [
        {
            "key": key,
            "title": str(SECTION_TITLES[key]),
            "tables": build(b, cur[key], prev[key]),
        }
        for key, build in builders.items()
    ]


def headline(figures: dict) -> list[tuple[str, object, object]]:
    """The few totals the page and the PDF cover lead with: (label, current, previous)."""
    cur, prev = figures["current"], figures["previous"]
    return [
        (_("相談件数"), cur["consultations"]["total"], prev["consultations"]["total"]),
        (_("派遣申込件数"), cur["dispatch"]["applications"], prev["dispatch"]["applications"]),
        (_("派遣実施回数"), cur["dispatch"]["visits"]["held"], prev["dispatch"]["visits"]["held"]),
        (
            _("セミナー出席者数"),
            cur["seminars"]["totals"]["attended"],
            prev["seminars"]["totals"]["attended"],
        ),
        (
            _("スクール参加者数"),
            cur["school"]["totals"]["participants"],
            prev["school"]["totals"]["participants"],
        ),
    ]


def all_tables(sections: list[dict]) -> dict[str, dict]:
    return {table["key"]: table for section in sections for table in section["tables"]}
