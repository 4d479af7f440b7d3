"""The triage search is served by the trigram indexes (migrations consultations 0007 and companies
0003): their expressions are exactly those of the admin's lookups, so PostgreSQL can use them
(shown with sequential scans priced out, as on 100,000 rows), and the search costs the same
number of queries as the plain list."""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db
LIST = "/admin/consultations/consultation/"
SEARCH = LIST + "?q=カモメ商店"


def _captured(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return ctx.captured_queries


def test_the_admin_search_uses_the_trigram_indexes_and_keeps_the_query_count(
    desk_client, make_consultation
):
    make_consultation()
    assert "カモメ" in desk_client.get(SEARCH).content.decode()
    queries = _captured(desk_client, SEARCH)
    assert len(queries) == len(_captured(desk_client, LIST))
    search = [q["sql"] for q in queries if "LIKE" in q["sql"]]
    assert search, "the search ran no LIKE"
    used = set()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in search:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            used |= set(re.findall(r"\b(\w+_trgm)\b", plan))
            assert "SubPlan" not in plan, plan  # the organisation ids are computed once
    assert {
        "consultation_cname_trgm",
        "consultation_ckana_trgm",
        "consultation_cemail_trgm",
        "consultation_text_trgm",
        "organisation_name_trgm",
        "organisation_name_kana_trgm",
        "organisation_name_key_trgm",
    } <= used
