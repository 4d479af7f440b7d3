"""Render time and size of the dispatch 実施報告書 / 派遣完了報告書 in a warm process.

Renders a realistic two-page visit report (and a completion report) with the same
``render_pdf`` the Celery worker uses: 3 warm-up renders, then N timed ones. Prints p50/p95 per
report, page count and file size against the targets (p95 ≤ 0.5 s, ≤ 300 KB). Needs no database.

    .venv/bin/python bench/bench_dispatch_pdf.py [-n 30]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kosha_portal.test_settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from kosha_portal.documents.pdf import render_pdf  # noqa: E402

TARGET_P95_SECONDS = 0.5
TARGET_BYTES = 300 * 1024

PARAGRAPH = (
    "来店客から商品の不具合について長時間にわたる苦情があり、店長が二時間以上対応した。"
    "同じ客から翌日以降も電話が続き、アルバイト従業員が応対を怖がるようになっている。"
)
ADVICE = (
    "対応時間の上限（原則30分）を定め、超える場合は責任者に交代すること。"
    "記録様式（日時・内容・対応者・要求事項）を整え、録音を行う旨を事前に告知すること。"
    "暴言・威嚇があった場合の警察への通報基準を明文化し、従業員へ周知すること。"
)

COMMON = {
    "program": dict(settings.PROGRAM),
    "program_year": "令和8年度",
    "reference": "D2026-0001",
    "decision_number": "8産労総第101号",
    "decision_date": "令和8年11月2日(月)",
    "company": {
        "name": "株式会社かんだ商店",
        "address": "東京都千代田区神田佐久間町1-9",
        "representative": "山田 太郎",
    },
    "contact_name": "山田 太郎",
    "theme": "カスタマーハラスメント対応マニュアルの作成",
    "expert": {"name": "佐藤 一郎", "qualifications": "中小企業診断士"},
    "issued_on": "令和8年11月24日",
    "documents": dict(settings.DOCUMENTS),
    # The longest qualifications an expert registers with.
    "reporter": {
        "name": "佐藤 一郎",
        "qualifications": "中小企業診断士、社会保険労務士、公認心理師・産業カウンセラー",
        "submitted_on": "令和8年11月24日",
    },
}
VISIT = {
    **COMMON,
    "visit": {
        "number": 2,
        "cap": 4,
        "date": "令和8年11月16日(月)",
        "start": "10:00",
        "end": "12:00",
        "mode": "訪問（対面）",
        "place": "本社会議室",
        "attendees": "代表取締役 山田太郎、店長 佐藤花子、副店長 鈴木健、アルバイトリーダー 田中美咲",
        "topics": "\n".join([PARAGRAPH] * 7),
        "advice": "\n".join([ADVICE] * 7),
        "next_steps": "\n".join(["マニュアル案を社内で回覧し、現場の意見を集める。"] * 4),
    },
    # The longest confirmation state: a dispute with the company's own words.
    "confirmation": {
        "state": "disputed",
        "on": "",
        "comment": "出席者に副店長が含まれていません。助言の二点目は当日の話と異なります。",
    },
}
COMPLETION = {
    **COMMON,
    "completed_on": "令和9年2月10日(水)",
    "period_end": "令和9年2月26日(金)",
    "summary": "\n".join([ADVICE] * 5),
    "outcomes": "\n".join([PARAGRAPH] * 4),
    "visit_count": 4,
    "cap_scope": "今年度",
    "cap_used": 4,
    "cap": 4,
    "override": {"on": "令和9年2月9日(火)", "reason": "事業者と連絡が取れないため（3回連絡済み）"},
    "visits": [
        {
            "number": n,
            "date": f"令和8年12月{n}日",
            "time": "10:00〜12:00",
            "mode": "訪問（対面）",
            "topics": PARAGRAPH,
            "confirmation": {"state": "confirmed", "on": f"令和8年12月{n + 2}日(木)", "comment": ""}
            if n < 4
            else {"state": "pending", "on": "", "comment": ""},
        }
        for n in range(1, 5)
    ],
}


def bench(name: str, template: str, context: dict, n: int) -> bool:
    for _ in range(3):
        render_pdf(template, context)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        content, pages, missing = render_pdf(template, context)
        times.append(time.perf_counter() - started)
    times.sort()
    p50 = statistics.median(times)
    p95 = times[max(0, round(0.95 * n) - 1)]
    ok = p95 <= TARGET_P95_SECONDS and len(content) <= TARGET_BYTES
    print(
        f"{name}: n={n} pages={pages} size={len(content) / 1024:.1f} KB "
        f"p50={p50:.3f}s p95={p95:.3f}s max={times[-1]:.3f}s missing_glyphs={missing!r} "
        f"-> {'meets' if ok else 'MISSES'} targets (p95 ≤ {TARGET_P95_SECONDS}s, "
        f"≤ {TARGET_BYTES // 1024} KB)"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=30)
    args = parser.parse_args()
    ok = bench("実施報告書 (visit report)", "dispatch/pdf/visit_report.html", VISIT, args.n)
    ok &= bench(
        "派遣完了報告書 (completion report)",
        "dispatch/pdf/completion_report.html",
        COMPLETION,
        args.n,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
