"""SQL helpers the apps' report selectors share: counting the answers of multi-select (JSON list)
fields in the database, on PostgreSQL and on the SQLite demo alike."""

from django.db import connection
from django.db.models import F


def _array_elements(alias: str) -> str:
    if connection.vendor == "postgresql":
        return f"jsonb_array_elements_text(t.{alias}) AS j(value)"
    return f"json_each(t.{alias}) AS j"


def multiselect_counts(queryset, fields: dict[str, str] | list[str]) -> dict[str, dict[str, int]]:
    """``{name: {answer code: rows choosing it}}`` for JSON-list fields of the rows of
    ``queryset``, in one query; each answer is counted once per row that chose it. ``fields``
    maps a name to a field path (``"dispatch__expert__qualifications"``), or lists field names."""
    if isinstance(fields, list):
        fields = {field: field for field in fields}
    alias = connection.ops.quote_name("multiselect_value")
    parts, params = [], []
    for name, path in fields.items():
        if not name.isidentifier():
            raise ValueError(name)
        sub_sql, sub_params = (
            queryset.order_by().annotate(multiselect_value=F(path)).values("multiselect_value")
        ).query.sql_with_params()
        # ``name`` is a Python identifier chosen by the caller, never user input.
        parts.append(
            f"SELECT '{name}' AS field, j.value AS answer, COUNT(*) AS n "  # noqa: S608
            f"FROM ({sub_sql}) t, {_array_elements(alias)} GROUP BY j.value"
        )
        params.extend(sub_params)
    result: dict[str, dict[str, int]] = {name: {} for name in fields}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for field, answer, n in cursor.fetchall():
            result[field][str(answer)] = n
    return result


def value_counts(queryset, column: str) -> dict:
    """``{value: rows}`` of ``column`` over the rows ``queryset`` yields (which may themselves be
    aggregates, e.g. visits per company), in one query."""
    sub_sql, sub_params = queryset.query.sql_with_params()
    quoted = connection.ops.quote_name(column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.{quoted}, COUNT(*) FROM ({sub_sql}) t GROUP BY t.{quoted}",  # noqa: S608
            sub_params,
        )
        return dict(cursor.fetchall())


def weighted_median(pairs: list[tuple[float, int]]) -> float | None:
    """The median of values given as (value, how many times); None when there are none."""
    pairs = sorted((value, count) for value, count in pairs if count > 0)
    total = sum(count for _value, count in pairs)
    if not total:
        return None
    lower_index, upper_index = (total - 1) // 2, total // 2
    lower = upper = None
    seen = 0
    for value, count in pairs:
        if lower is None and seen + count > lower_index:
            lower = value
        if seen + count > upper_index:
            upper = value
            break
        seen += count
    return (lower + upper) / 2
