"""Roster files: CSV (UTF-8 with BOM, Excel-friendly) and XLSX export, and reading/validating an
import file. Validation checks every row before the import writes anything."""

import csv
import io

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kosha_portal.errors import DomainError
from kosha_portal.exports import (
    Column,
    csv_bytes,
    export_response,
    export_rows_csv,
    export_rows_xlsx,
)
from kosha_portal.japan.normalize import (
    company_name_key,
    is_katakana,
    normalize_kana,
    normalize_text,
    normalize_typed_text,
)

from .models import Application, Cohort
from .selectors import roster_rows

IMPORT_COLUMNS = {
    "number": gettext_lazy("№"),
    "company": gettext_lazy("事業者名"),
    "main_business": gettext_lazy("主な事業内容"),
    "name": gettext_lazy("氏名"),
    "name_kana": gettext_lazy("フリガナ"),
    "department": gettext_lazy("所属"),
    "role": gettext_lazy("役職"),
    "email": gettext_lazy("メールアドレス"),
}
REQUIRED_COLUMNS = ("number", "company", "main_business", "name")
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 500


# --- export -------------------------------------------------------------------------------------


def roster_columns(*, with_names: bool) -> list[Column]:
    """The roster as the leaflet lays it out (company name for staff copies only)."""
    columns = [
        Column(gettext_lazy("№"), lambda row: row.number, width=6),
        Column(gettext_lazy("主な事業内容"), lambda row: row.main_business, width=40),
        Column(gettext_lazy("参加者の所属・役職"), lambda row: row.affiliations, width=40),
        Column(gettext_lazy("参加者数"), lambda row: len(row.participants), width=10),
    ]
    if with_names:
        columns.insert(1, Column(gettext_lazy("事業者名"), lambda row: row.company, width=30))
    return columns


def roster_csv(cohort: Cohort, *, with_names: bool = True, encoding: str = "utf-8-sig") -> bytes:
    content, _count = export_rows_csv(
        rows=roster_rows(cohort), columns=roster_columns(with_names=with_names), encoding=encoding
    )
    return content


def roster_xlsx(cohort: Cohort, *, with_names: bool = True) -> bytes:
    content, _count = export_rows_xlsx(
        rows=roster_rows(cohort),
        columns=roster_columns(with_names=with_names),
        sheet_title=cohort.label,
    )
    return content


def roster_export_response(request, cohort: Cohort, *, file_format: str, encoding: str):
    """The roster download (CSV or XLSX, ``?public=1`` without company names), access-logged like
    every other export."""
    public = request.GET.get("public") == "1"
    return export_response(
        request,
        rows=roster_rows(cohort),
        columns=roster_columns(with_names=not public),
        filename=f"school-roster-{cohort.number}{'-public' if public else ''}",
        format=file_format,
        encoding=encoding,
        what="school_roster",
        obj=cohort,
        details={"public": public},
        sheet_title=cohort.label,
    )


def import_template_csv() -> bytes:
    return csv_bytes(IMPORT_COLUMNS.values(), [])


# --- import: reading ----------------------------------------------------------------------------


# Codes are normalised (full-width digits and letters); names and text keep what was typed,
# Japanese punctuation included (GLOSSARY), as the public forms do.
CODE_COLUMNS = ("number", "email")


def _cell(value, *, code: bool = True) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize_text(str(value)) if code else normalize_typed_text(str(value))


def _records(table: list[list]) -> list[dict]:
    """Map the header row onto field names; returns dicts with the spreadsheet row number."""
    if not table:
        raise DomainError(_("ファイルにデータがありません。"), code="empty", field="file")
    labels = {normalize_text(str(label)): key for key, label in IMPORT_COLUMNS.items()}
    labels.update({"No": "number", "No.": "number", "NO": "number", "番号": "number"})
    header = [labels.get(_cell(h)) for h in table[0]]
    missing = [str(IMPORT_COLUMNS[c]) for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise DomainError(
            _("1行目の見出しに「%(columns)s」がありません。ひな形の見出しのままお使いください。")
            % {"columns": "」「".join(missing)},
            code="header",
            field="file",
        )
    records = []
    for index, line in enumerate(table[1:], start=2):
        values = {
            key: _cell(line[i], code=key in CODE_COLUMNS) if i < len(line) else ""
            for i, key in enumerate(header)
            if key
        }
        if any(values.values()):
            records.append({"row": index, **{k: values.get(k, "") for k in IMPORT_COLUMNS}})
    if not records:
        raise DomainError(_("ファイルにデータ行がありません。"), code="empty", field="file")
    if len(records) > MAX_IMPORT_ROWS:
        raise DomainError(
            _("一度に取り込めるのは%(max)s行までです。") % {"max": MAX_IMPORT_ROWS},
            code="too_many",
            field="file",
        )
    return records


def roster_file_read(upload) -> list[dict]:
    """Rows of an uploaded CSV (UTF-8 or Shift_JIS) or XLSX file."""
    name = (upload.name or "").lower()
    if upload.size > MAX_IMPORT_BYTES:
        raise DomainError(_("ファイルが大きすぎます（2MBまで）。"), code="size", field="file")
    content = upload.read()
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "cp932"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise DomainError(
                _("CSVの文字コードを読み取れません。UTF-8で保存してください。"),
                code="encoding",
                field="file",
            )
        return _records(list(csv.reader(io.StringIO(text))))
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several types for a damaged file
            raise DomainError(
                _("Excelファイルを開けません。ファイルをご確認ください。"),
                code="xlsx",
                field="file",
            ) from exc
        sheet = workbook.worksheets[0]
        return _records([list(r) for r in sheet.iter_rows(values_only=True)])
    raise DomainError(
        _("CSV（.csv）またはExcel（.xlsx）のファイルを選んでください。"), code="type", field="file"
    )


# --- import: validation -------------------------------------------------------------------------


def roster_rows_validate(*, cohort: Cohort, rows: list[dict]) -> tuple[list[dict], list]:
    """Group rows by № into companies; return (groups, [(row number, reason), ...])."""
    errors: list[tuple[int, str]] = []
    groups: dict[int, dict] = {}
    existing = cohort.applications.exclude(status=Application.Status.DECLINED).select_related(
        "organisation"
    )
    used_numbers = set(
        existing.filter(status=Application.Status.ACCEPTED).values_list("roster_number", flat=True)
    )
    known_companies = {company_name_key(a.organisation.name) for a in existing}
    company_numbers: dict[str, int] = {}

    for row in rows:
        line, problems = row["row"], []
        number = None
        raw_number = row["number"].rstrip(".")
        if not raw_number:
            problems.append(_("№が空欄です。"))
        elif not raw_number.isdigit() or not 1 <= int(raw_number) <= 999:
            problems.append(_("№は1〜999の数字で入力してください。"))
        else:
            number = int(raw_number)
            if number in used_numbers:
                problems.append(_("№%(n)sはこの期の名簿ですでに使われています。") % {"n": number})
        for key in ("company", "main_business", "name"):
            if not row[key]:
                problems.append(_("%(column)sが空欄です。") % {"column": IMPORT_COLUMNS[key]})
        if not row["department"] and not row["role"]:
            problems.append(_("所属か役職のどちらかを入力してください。"))
        kana = normalize_kana(row["name_kana"])
        if kana and not is_katakana(kana):
            problems.append(_("フリガナはカタカナで入力してください。"))
        if row["email"]:
            try:
                validate_email(row["email"])
            except ValidationError:
                problems.append(_("メールアドレスの形式が正しくありません。"))
        key = company_name_key(row["company"]) if row["company"] else ""
        if key and key in known_companies:
            problems.append(_("この事業者はすでにこの期に登録されています。"))
        if number is not None and key and not problems:
            if company_numbers.setdefault(key, number) != number:
                problems.append(
                    _("同じ事業者が別の№（%(n)s）にもあります。") % {"n": company_numbers[key]}
                )
            group = groups.get(number)
            if group is None:
                group = groups[number] = {
                    "number": number,
                    "company": row["company"],
                    "key": key,
                    "main_business": row["main_business"],
                    "contact_email": row["email"],
                    "participants": [],
                    "rows": [],
                }
            elif group["key"] != key or group["main_business"] != row["main_business"]:
                problems.append(
                    _("№%(n)sの事業者名・主な事業内容が前の行と違います。") % {"n": number}
                )
            if not problems:
                if len(group["participants"]) >= cohort.max_participants_per_company:
                    problems.append(
                        _("1社の参加者は%(max)s名までです。")
                        % {"max": cohort.max_participants_per_company}
                    )
                else:
                    group["participants"].append(
                        {
                            "name": row["name"],
                            "name_kana": kana,
                            "department": row["department"],
                            "role": row["role"],
                            "email": row["email"].lower(),
                        }
                    )
                    group["contact_email"] = group["contact_email"] or row["email"].lower()
                    group["rows"].append(line)
        for problem in problems:
            errors.append((line, problem))

    if not errors and len(used_numbers) + len(groups) > cohort.capacity:
        first_over = sorted(groups.values(), key=lambda g: g["number"])[
            max(cohort.capacity - len(used_numbers), 0)
        ]
        errors.append(
            (
                first_over["rows"][0],
                _("定員（%(capacity)s社）を超えるため取り込めません。")
                % {"capacity": cohort.capacity},
            )
        )
    errors.sort(key=lambda e: e[0])
    return sorted(groups.values(), key=lambda g: g["number"]), errors
