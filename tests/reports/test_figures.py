"""Every figure of every section of 令和8年度, against numbers counted by hand from the data set
(tests/reports/dataset.py), and the previous year's beside them."""

import pytest

from kosha_portal.reports.periods import ReportPeriod
from kosha_portal.reports.selectors import report_figures

from . import dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(report_data):
    return report_figures(ReportPeriod(2026), now=dataset.NOW)


def test_consultation_figures_match_the_hand_count(figures):
    cur = figures["current"]["consultations"]
    # c1 (4/1 00:00:00) and c2 (3/31 23:59:59) are in; the 2027-04-01 00:00:00 one is not.
    assert cur["total"] == 5
    assert cur["by_month"] == {
        "2026-04": 1,
        "2026-05": 0,
        "2026-06": 2,
        "2026-07": 0,
        "2026-08": 0,
        "2026-09": 1,
        "2026-10": 0,
        "2026-11": 0,
        "2026-12": 0,
        "2027-01": 0,
        "2027-02": 0,
        "2027-03": 1,
    }
    assert cur["by_channel"] == {"web": 2, "phone": 1, "email": 1, "visit": 1}
    assert cur["by_industry"] == {"retail": 2, "services": 2, "wholesale": 1}
    # 西多摩郡瑞穂町 (Japan Post's spelling) is 瑞穂町; Kanagawa is 都外; a blank is unknown.
    assert cur["by_municipality"] == {"千代田区": 2, "瑞穂町": 1, "outside": 1, "unknown": 1}
    assert cur["main_business"] == [["飲食店", 2], ["美容室", 1], ["食品卸", 1]]
    assert cur["main_business_blank"] == 1
    assert cur["main_business_other"] == 0
    ms = cur["multiselect"]
    assert ms["behaviour_types"] == {
        "answers": {"verbal_abuse": 3, "repeat": 3, "threat": 1},
        "consultations": 4,
    }
    assert ms["places"] == {"answers": {"shop": 3, "phone": 2, "sns": 1}, "consultations": 4}
    assert ms["damages"] == {"answers": {"staff_left": 1}, "consultations": 1}
    assert ms["requested_support"] == {
        "answers": {"advice": 3, "dispatch": 2, "seminar": 1},
        "consultations": 5,
    }
    assert ms["measures"] == {"answers": {}, "consultations": 0}
    assert cur["need"] == {"yes": 2, "no": 1, "undecided": 2}
    # First replies: c1 0 days (on time), c3 2 days (late), c4 1 day (on time); c2 is late
    # without a reply; c5 was withdrawn.
    assert cur["response"] == {
        "replied": 3,
        "median_business_days": 1,
        "on_time": 2,
        "late": 1,
        "unanswered_overdue": 1,
        "on_time_share": 0.5,
    }
    # At the year end c4 was 完了 (it was reopened on 2027-04-05).
    assert cur["status_at_end"] == {"closed": 2, "new": 1, "answered": 1, "withdrawn": 1}
    assert cur["status_as_of"] == "2027-03-31"
    # Now: c2 (新規受付) and the reopened c4 are open, both past their reply-by date.
    assert cur["open_now"] == 2
    assert cur["overdue_now"] == 2


def test_previous_year_consultations_for_the_comparison(figures):
    prev = figures["previous"]["consultations"]
    assert prev["total"] == 2  # p1 on 2026-03-31 23:59:59 belongs to 令和7年度
    assert prev["by_month"]["2026-03"] == 1
    assert prev["by_month"]["2025-05"] == 1
    assert prev["by_channel"] == {"web": 1, "phone": 1}
    assert prev["response"]["median_business_days"] == 1
    assert prev["response"]["on_time_share"] == 1.0
    assert prev["status_at_end"] == {"closed": 2}


def test_dispatch_figures_match_the_hand_count(figures):
    cur = figures["current"]["dispatch"]
    assert cur["applications"] == 7
    assert cur["by_month"] == {
        "2026-04": 1,
        "2026-05": 0,
        "2026-06": 1,
        "2026-07": 0,
        "2026-08": 0,
        "2026-09": 1,
        "2026-10": 1,
        "2026-11": 1,
        "2026-12": 1,
        "2027-01": 0,
        "2027-02": 0,
        "2027-03": 1,
    }
    assert cur["decided"] == 4
    assert cur["rejected"] == 1
    assert cur["rejection_reasons"] == [["申込要件を満たさないため", 1]]
    assert cur["withdrawn"] == 2
    assert cur["withdrawn_before_decision"] == 1
    assert cur["withdrawn_after_decision"] == 1
    assert cur["expired"] == 1
    assert cur["completed"] == 1
    assert cur["completion_rate"] == 0.25
    assert cur["open_now"] == 2
    assert cur["status_now"] == {
        "closed": 1,
        "decided": 1,
        "rejected": 1,
        "withdrawn": 2,
        "expired": 1,
        "applied": 1,
    }
    # Visits dated 2026-04-01..2027-03-31: the 2027-04-01 one is next year's.
    assert cur["visits"] == {"held": 5, "scheduled": 0, "cancelled": 1, "no_show": 1, "total": 7}
    assert cur["visits_by_mode"] == {"onsite": 3, "online": 2}
    assert cur["visits_by_month"]["2026-05"] == 1
    assert cur["visits_by_month"]["2027-03"] == 1
    assert sum(cur["visits_by_month"].values()) == 5
    assert cur["visits_by_qualification"] == {
        "sme_consultant": 3,
        "lawyer": 3,
        "labour_consultant": 2,
    }
    assert cur["visits_without_qualification"] == 0
    # Company A: 3 visits held over its two dispatches; B and D one each.
    assert cur["usage"] == {"0": 0, "1": 2, "2": 0, "3": 1, "4": 0, "5+": 0}
    assert cur["survey"] == {
        "responses": 1,
        "response_rate": 1.0,
        "satisfaction_avg": 5.0,
        "satisfaction": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1},
        "introduced": {"manual": 1, "contact": 1, "training": 1},
    }
    prev = figures["previous"]["dispatch"]
    assert prev["applications"] == 1
    assert prev["visits"]["held"] == 2
    assert prev["usage"]["2"] == 1
    assert prev["survey"]["satisfaction_avg"] == 4.0
    assert prev["survey"]["introduced"] == {"manual": 1, "recording": 1}


def test_seminar_figures_match_the_hand_count(figures):
    cur = figures["current"]["seminars"]
    assert cur["count"] == 2  # the draft and the 2027-04-01 seminar do not count
    assert cur["held"] == 2
    assert cur["cancelled_seminars"] == 0
    first, second = cur["seminars"]
    assert first["by_format"] == {
        "venue": {
            "registrations": 3,
            "confirmed": 3,
            "waiting": 0,
            "cancelled": 0,
            "attended": 2,
            "no_show": 1,
        },
        "online": {
            "registrations": 3,
            "confirmed": 1,
            "waiting": 1,
            "cancelled": 1,
            "attended": 1,
            "no_show": 0,
        },
    }
    assert first["attendance_rate"] == 0.75
    assert first["survey_responses"] == 3
    assert first["satisfaction_avg"] == 4.0
    assert first["usefulness_avg"] == 4.0
    assert second["counts"]["confirmed"] == 2
    assert second["attendance_rate"] is None
    assert second["satisfaction_avg"] is None
    assert cur["totals"] == {
        "registrations": 8,
        "confirmed": 6,
        "waiting": 1,
        "cancelled": 1,
        "attended": 3,
        "no_show": 1,
    }
    assert cur["attendance_rate"] == 0.75
    assert cur["attendance_rate_by_format"] == {"venue": 2 / 3, "online": 1.0}
    assert (cur["survey_responses"], cur["satisfaction_avg"], cur["usefulness_avg"]) == (3, 4, 4)
    assert cur["heard_from"] == {
        "kosha_web": 2,
        "email": 1,
        "leaflet": 1,
        "sns": 1,
        "unanswered": 1,
        "desk": 2,
    }
    prev = figures["previous"]["seminars"]
    assert prev["totals"]["attended"] == 1
    assert prev["attendance_rate"] == 0.5
    assert prev["heard_from"] == {"kosha_web": 1, "unanswered": 1}


def test_school_figures_match_the_hand_count(figures):
    cur = figures["current"]["school"]
    assert cur["count"] == 1
    (cohort,) = cur["cohorts"]
    assert cohort["applications"] == 4
    assert (cohort["accepted"], cohort["waiting"], cohort["declined"], cohort["submitted"]) == (
        2,
        1,
        1,
        0,
    )
    assert cohort["participants"] == 3
    # Two sessions have marks; 3 participants × 2 = 6 expected, 3 present or late.
    assert cohort["sessions_recorded"] == 2
    assert (cohort["attended"], cohort["expected"]) == (3, 6)
    assert cohort["attendance_rate"] == 0.5
    assert cohort["coaching_visits"] == 3
    assert cohort["certificates"] == 1
    prev = figures["previous"]["school"]
    assert prev["totals"]["participants"] == 1
    assert prev["attendance_rate"] is None


def test_a_month_range_counts_only_its_months(report_data):
    figures = report_figures(ReportPeriod(2026, 6, 9), now=dataset.NOW)
    cur = figures["current"]["consultations"]
    assert cur["total"] == 3  # c3, c4 (June) and c5 (September)
    assert list(cur["by_month"]) == ["2026-06", "2026-07", "2026-08", "2026-09"]
    assert figures["current"]["dispatch"]["applications"] == 2  # June and September
    assert figures["current"]["seminars"]["count"] == 1
    assert figures["current"]["school"]["count"] == 1
    # The status is read at the end of September, before c4 was reopened.
    assert cur["status_at_end"] == {"answered": 1, "closed": 1, "withdrawn": 1}
    assert figures["previous"]["consultations"]["total"] == 0
