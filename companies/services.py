"""Every write to the organisation registry: the public forms' find-or-create (one company, one
row), staff edits, the possible-duplicate queue and merges that keep the better data."""

import functools
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kosha_portal import clock
from kosha_portal.audit.labels import audit_label
from kosha_portal.audit.services import audit_event, audit_record
from kosha_portal.database import PREPARE, Rider
from kosha_portal.errors import DomainError
from kosha_portal.japan.normalize import company_name_key, digits_only
from kosha_portal.japan.phone import normalize_phone
from kosha_portal.japan.postal import lookup_postal_code, normalize_postal_code

from .models import DuplicateBasis, Organisation
from .sme import Industry

ORGANISATION_FIELDS = [
    "kind",
    "name",
    "name_kana",
    "corporate_number",
    "representative",
    "postal_code",
    "prefecture",
    "municipality",
    "address",
    "phone",
    "email",
    "main_business",
    "industry",
    "capital_yen",
    "employees",
]
# Fields whose values the audit trail may hold (DOMAIN §7, docs/privacy.md: what the annual
# figures keep). The others can be a sole proprietor's own name, address or phone: for them the
# trail records only that they changed, or which record's value a merge kept.
AUDIT_VALUE_FIELDS = (
    "kind",
    "corporate_number",
    "prefecture",
    "municipality",
    "main_business",
    "industry",
    "capital_yen",
    "employees",
)
LOCATION_FIELDS = ("postal_code", "prefecture", "municipality", "address")
KEEP, REMOVE = "keep", "remove"


def _empty(value) -> bool:
    return value in ("", None)


def _fill_area(data: dict) -> dict:
    """Prefecture code (and missing prefecture/municipality) from the postal code."""
    areas = lookup_postal_code(data.get("postal_code") or "")
    if areas:
        data.setdefault("prefecture", areas[0].prefecture)
        data["prefecture"] = data["prefecture"] or areas[0].prefecture
        data["municipality"] = data.get("municipality") or areas[0].municipality
        if data["prefecture"] == areas[0].prefecture:
            data["prefecture_code"] = areas[0].prefecture_code
    elif data.get("prefecture") == "東京都":
        data["prefecture_code"] = "13"
    return data


def _serialise(*keys: str, riders: tuple[Rider, ...] = ()) -> None:
    """Make concurrent find-or-creates of the same company wait for each other (until the end of
    the caller's transaction), so two submissions typed alike cannot both create a row. The
    statement that takes the locks also carries the caller's ``riders``."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({k for k in keys if k})
    if not keys:
        return
    columns = ["pg_advisory_xact_lock(hashtext(%s))"] * len(keys)
    params = [f"organisation:{key}" for key in keys]
    for rider in riders:
        columns.append(rider.sql)
        params.extend(rider.params)
    with connection.cursor() as cursor:
        # One statement, always in the same order (PostgreSQL evaluates a select list from left
        # to right): two submissions sharing two keys never deadlock. The lookups that follow
        # are separate statements, so their snapshot is taken once the locks are held. Its plan
        # does not depend on the values: prepared.
        cursor.execute(f"{PREPARE}SELECT {', '.join(columns)}", params)
        row = cursor.fetchone()
    for rider, value in zip(riders, row[len(keys) :], strict=True):
        rider.carried(value)


# --- finding the registry row for a public form ---------------------------------------------------


@dataclass(frozen=True)
class OrganisationMatch:
    """The outcome of looking a submission up: the row it certainly belongs to, or none and
    perhaps a row it may belong to (``suspect``) with the reason for the doubt."""

    organisation: Organisation | None = None
    suspect: Organisation | None = None
    basis: str = ""


# The columns organisation_match reads, in the model's order (Organisation.from_db takes them so).
_ROW_FIELDS = Organisation._meta.concrete_fields


def _organisation_from_row(row) -> Organisation:
    """A model instance from a row of ``_ROW_FIELDS``, its values converted as a queryset would
    (on PostgreSQL no field of the model needs converting; SQLite returns datetimes as text)."""
    converters = _row_converters(connection)
    if converters:
        row = list(row)
        for index, column, functions in converters:
            for convert in functions:
                row[index] = convert(row[index], column, connection)
    return Organisation.from_db(connection.alias, None, row)


_CONVERTERS: dict[str, list] = {}


def _row_converters(conn) -> list:
    if conn.vendor not in _CONVERTERS:
        table = Organisation._meta.db_table
        converters = []
        for index, field in enumerate(_ROW_FIELDS):
            column = field.get_col(table)
            functions = conn.ops.get_db_converters(column) + column.get_db_converters(conn)
            if functions:
                converters.append((index, column, functions))
        _CONVERTERS[conn.vendor] = converters
    return _CONVERTERS[conn.vendor]


@functools.lru_cache(maxsize=16)
def _match_sql(vendor: str, by_name: bool, by_phone: bool, numbered: bool) -> str:
    """organisation_match's statement (its text depends on nothing but these, so it is built once
    per combination; ``vendor`` keys the quoting): the rows of the same name, or else the first
    of the same phone."""
    table = connection.ops.quote_name(Organisation._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in _ROW_FIELDS)
    # A row with another 法人番号 is another company, however alike the names.
    other_number = "AND corporate_number = '' " if numbered else ""
    arms = []
    if by_name:
        arms.append(
            f"SELECT * FROM (SELECT {columns}, 1 AS match_by FROM {table} "  # noqa: S608
            f"WHERE name_key = %s {other_number}ORDER BY id LIMIT 50) AS by_name"
        )
    if by_phone:
        # The phone decides only when no name matches, so its arm reads nothing when one does
        # (PostgreSQL tests the NOT EXISTS once, before the arm's scan).
        no_name = (
            f"AND NOT EXISTS (SELECT 1 FROM {table} "  # noqa: S608
            f"WHERE name_key = %s {other_number}) "
            if by_name
            else ""
        )
        arms.append(
            f"SELECT * FROM (SELECT {columns}, 2 AS match_by FROM {table} "  # noqa: S608
            f"WHERE phone = %s {other_number}{no_name}ORDER BY id LIMIT 1) AS by_phone"
        )
    return PREPARE + " UNION ALL ".join(arms)


def _same_phone(a: str, b: str) -> bool:
    return bool(digits_only(a)) and digits_only(a) == digits_only(b)


def organisation_match(data: dict) -> OrganisationMatch:
    """Which registry row a submission is: by 法人番号; then by the normalised name (株式会社,
    (株), ㈱ and カブシキガイシャ alike) with the same postal code, the phone deciding between
    several; a match that is not certain is only a suspect."""
    number = data.get("corporate_number") or ""
    if number:
        existing = Organisation.objects.filter(corporate_number=number).first()
        if existing is not None:
            return OrganisationMatch(organisation=existing)
    key = company_name_key(data.get("name") or "")
    postal = normalize_postal_code(data.get("postal_code") or "")
    phone = normalize_phone(data.get("phone") or "") or (data.get("phone") or "")
    phone_digits = digits_only(phone)
    candidates, same_phone = [], []
    if key or phone_digits:
        # The rows of the same name, or else the first of the same phone, in one statement.
        params = [key] if key else []
        if phone_digits:
            params.extend([phone, key] if key else [phone])
        # Raw: the ORM's union of two sliced querysets cost more to build than to run, and a raw
        # queryset more to map its columns than to run. Each arm is a derived table, the form of a
        # sliced UNION arm that SQLite (scripts/run's embedded default) accepts as well as
        # PostgreSQL.
        with connection.cursor() as cursor:
            # Equality lookups: the same plan serves every name and number (kosha_portal.database).
            cursor.execute(
                _match_sql(connection.vendor, bool(key), bool(phone_digits), bool(number)), params
            )
            found = cursor.fetchall()
        for row in found:
            (candidates if row[-1] == 1 else same_phone).append(_organisation_from_row(row[:-1]))
    same_place = [c for c in candidates if postal and c.postal_code == postal]
    if same_place:
        by_phone = [c for c in same_place if _same_phone(phone, c.phone)]
        if len(by_phone) == 1:
            return OrganisationMatch(organisation=by_phone[0])
        compatible = [c for c in same_place if not digits_only(phone) or not digits_only(c.phone)]
        if len(same_place) == 1 and compatible:
            return OrganisationMatch(organisation=same_place[0])
        if len(same_place) > 1:
            return OrganisationMatch(
                suspect=(by_phone or compatible or same_place)[0], basis=DuplicateBasis.SEVERAL
            )
        return OrganisationMatch(suspect=same_place[0], basis=DuplicateBasis.PHONE_DIFFERS)
    if candidates:
        basis = DuplicateBasis.OTHER_PLACE if postal else DuplicateBasis.NO_POSTAL
        return OrganisationMatch(suspect=candidates[0], basis=basis)
    if same_phone:
        return OrganisationMatch(suspect=same_phone[0], basis=DuplicateBasis.SAME_PHONE)
    return OrganisationMatch()


# What a public submission may add to a row it certainly matched, when the row has nothing
# there: descriptions of the business. Never its identity or contacts (法人番号, address, phone,
# email, representative): a 法人番号 is public, so anyone can type one, and a stranger's phone
# number must not become the company's.
FILLABLE_FIELDS = ("name_kana", "main_business", "capital_yen", "employees")


def _fill_blanks(organisation: Organisation, data: dict, *, actor) -> None:
    """A certain match adopts what the submission adds to the row's empty descriptive fields
    (never what it says differently: an anonymous submitter does not overwrite the registry,
    and a row staff confirmed against the registry is left alone)."""
    if organisation.registry_confirmed:
        return
    filled = [
        name
        for name in FILLABLE_FIELDS
        if _empty(getattr(organisation, name)) and not _empty(data.get(name))
    ]
    if not filled:
        return
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    for name in filled:
        setattr(locked, name, data[name])
    locked.save()
    audit_record(actor=actor, action="organisation.fill", obj=locked, changes={"fields": filled})
    organisation.refresh_from_db()


def organisation_find_or_create(
    *, data: dict, actor, audit_events: list | None = None, riders: tuple[Rider, ...] = ()
) -> Organisation:
    """The registry row for what a public form submitted.

    An existing row is reused when the submission certainly is that company (see
    ``organisation_match``); its blanks are filled, nothing it holds is overwritten. Otherwise a
    new row is created, flagged as a possible duplicate when a row looks like the same company,
    so that it appears in the desk's queue. Reusing a row shares no record: personal links open
    their own target only (docs/architecture.md).

    With ``audit_events`` (a list) the creation's audit event is appended to it, unsaved, for the
    caller to save with its own (``insert_together``) in the same transaction. ``riders`` (values
    the caller's transaction needs, such as a sequence's next value) are read in the statement
    that takes the find-or-create's locks, on PostgreSQL."""
    data = _fill_area({k: v for k, v in data.items() if k in ORGANISATION_FIELDS})
    number = data.get("corporate_number") or ""
    key = company_name_key(data.get("name") or "")
    phone = digits_only(data.get("phone") or "")
    # No savepoint of its own: callers (the intake services) already run in a transaction.
    with transaction.atomic(savepoint=False):
        _serialise(
            number and f"number:{number}",
            key and f"name:{key}",
            phone and f"tel:{phone}",
            riders=riders,
        )
        match = organisation_match(data)
        if match.organisation is not None:
            _fill_blanks(match.organisation, data, actor=actor)
            return match.organisation
        organisation = Organisation(
            **{k: v for k, v in data.items() if k in ORGANISATION_FIELDS + ["prefecture_code"]}
        )
        if match.suspect is not None:
            organisation.possible_duplicate_of = match.suspect
            organisation.duplicate_basis = match.basis
        if number:
            try:
                with transaction.atomic():
                    organisation.save()
            except IntegrityError:
                # A concurrent submission created the same 法人番号 first: use its row.
                return Organisation.objects.get(corporate_number=number)
        else:
            organisation.save()
        changes = {}
        if match.suspect is not None:
            changes = {"possible_duplicate_of": match.suspect.pk, "basis": match.basis}
        event = audit_event(
            actor=actor, action="organisation.create", obj=organisation, changes=changes
        )
        if audit_events is None:
            event.save()
        else:
            audit_events.append(event)
        return organisation


# --- staff edits ----------------------------------------------------------------------------------


def organisation_validate(*, data: dict, instance: Organisation | None = None) -> None:
    """The registry's rules for a staff edit, beside the field they concern."""
    number = data.get("corporate_number") or ""
    if number:
        other = Organisation.objects.filter(corporate_number=number)
        if instance is not None and instance.pk:
            other = other.exclude(pk=instance.pk)
        other = other.first()
        if other is not None:
            raise DomainError(
                _(
                    "この法人番号は事業者ID %(pk)s（%(name)s）に登録されています。同じ事業者で"
                    "あれば、2つの記録を統合してください。"
                )
                % {"pk": other.pk, "name": other.name},
                field="corporate_number",
                code="number_taken",
            )
    if not company_name_key(data.get("name") or "") and not (data.get("name") or "").strip():
        raise DomainError(_("事業者名を入力してください。"), field="name", code="name")


def _audit_values(before: dict, after: dict, names) -> dict:
    return {
        name: [before.get(name), after.get(name)] for name in names if name in AUDIT_VALUE_FIELDS
    }


def organisation_create(*, data: dict, actor, confirmed: bool = False) -> Organisation:
    """A row staff add in the admin (a company that called before it used any form)."""
    data = {k: v for k, v in data.items() if k in ORGANISATION_FIELDS}
    organisation_validate(data=data)
    with transaction.atomic():
        _serialise(data.get("corporate_number") and f"number:{data['corporate_number']}")
        organisation = Organisation(**data)
        _fill_area_on(organisation, refill=False)
        if confirmed:
            organisation.registry_confirmed_at = clock.now()
            organisation.registry_confirmed_by = _staff(actor)
        organisation.save()
        audit_record(
            actor=actor,
            action="organisation.create",
            obj=organisation,
            changes={"staff": True, **({"confirmed": True} if confirmed else {})},
        )
        return organisation


def _staff(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def organisation_update(
    *, organisation: Organisation, data: dict, actor, confirmed: bool | None = None
) -> Organisation:
    """Staff edit of an organisation's registry data: the row is locked, a changed postal code
    fills in the prefecture and municipality (unless the same edit set them), and the audit event
    names the changed fields (with old and new values only for non-personal ones).
    ``confirmed`` records (True) or withdraws (False) the check against the registry."""
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        organisation_validate(
            data={**{k: getattr(organisation, k) for k in ORGANISATION_FIELDS}, **data},
            instance=organisation,
        )
        before = {k: getattr(organisation, k) for k in ORGANISATION_FIELDS}
        changed = [
            k for k, v in data.items() if k in ORGANISATION_FIELDS and getattr(organisation, k) != v
        ]
        for key in changed:
            setattr(organisation, key, data[key])
        refill = "postal_code" in changed and not {"prefecture", "municipality"} & set(changed)
        _fill_area_on(organisation, refill=refill)
        derived = [
            k
            for k in ("prefecture", "municipality")
            if k not in changed and getattr(organisation, k) != before[k]
        ]
        changed += derived
        confirmation = {}
        if confirmed is True and not organisation.registry_confirmed:
            organisation.registry_confirmed_at = clock.now()
            organisation.registry_confirmed_by = _staff(actor)
            confirmation = {"confirmed": True}
        elif confirmed is False and organisation.registry_confirmed:
            organisation.registry_confirmed_at = None
            organisation.registry_confirmed_by = None
            confirmation = {"confirmed": False}
        organisation.save()
        if changed or confirmation:
            after = {k: getattr(organisation, k) for k in ORGANISATION_FIELDS}
            audit_record(
                actor=actor,
                action="organisation.update",
                obj=organisation,
                changes={
                    "fields": changed,
                    **({"values": v} if (v := _audit_values(before, after, changed)) else {}),
                    **confirmation,
                },
            )
        return organisation


def _fill_area_on(organisation: Organisation, *, refill: bool) -> None:
    """Prefecture code from the postal code; ``refill`` also replaces the prefecture and the
    municipality (the postal code changed and the edit did not set them)."""
    data = _fill_area(
        {
            "postal_code": organisation.postal_code,
            "prefecture": "" if refill else organisation.prefecture,
            "municipality": "" if refill else organisation.municipality,
        }
    )
    if refill and not data.get("prefecture"):
        # An unknown postal code: keep what the row said.
        return
    organisation.prefecture = data.get("prefecture", "")
    organisation.municipality = data.get("municipality", "")
    organisation.prefecture_code = data.get("prefecture_code", organisation.prefecture_code)


def organisation_duplicate_dismiss(*, organisation: Organisation, actor) -> Organisation:
    """Staff checked a flagged row: it is another company, not a duplicate."""
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if locked.possible_duplicate_of_id is None:
            return locked
        other = locked.possible_duplicate_of_id
        locked.possible_duplicate_of = None
        locked.duplicate_basis = ""
        locked.save(update_fields=["possible_duplicate_of", "duplicate_basis", "updated_at"])
        audit_record(
            actor=actor,
            action="organisation.duplicate_dismiss",
            obj=locked,
            changes={"other": other},
        )
        return locked


# --- possible duplicates ------------------------------------------------------------------------


def organisation_duplicates(organisation: Organisation):
    """Other rows that may be the same company: the same 法人番号 or normalised name, or a
    possible-duplicate flag either way. Rows with another 法人番号 are other companies."""
    condition = Q(possible_duplicate_of=organisation)
    if organisation.name_key:
        condition |= Q(name_key=organisation.name_key)
    if organisation.possible_duplicate_of_id:
        condition |= Q(pk=organisation.possible_duplicate_of_id)
    if organisation.corporate_number:
        condition |= Q(corporate_number=organisation.corporate_number)
    rows = Organisation.objects.filter(condition).exclude(pk=organisation.pk)
    if organisation.corporate_number:
        rows = rows.filter(
            Q(corporate_number="") | Q(corporate_number=organisation.corporate_number)
        )
    return rows.order_by("pk")


def organisation_duplicates_by_name(name: str):
    return Organisation.objects.filter(name_key=company_name_key(name))


# --- merging ------------------------------------------------------------------------------------


def _longer(keep_value, remove_value) -> str:
    return REMOVE if len(str(remove_value)) > len(str(keep_value)) else KEEP


def merge_defaults(keep: Organisation, remove: Organisation) -> dict[str, str]:
    """Which record's value the merge page proposes for each field (``keep`` or ``remove``): a
    value over an empty one; the 法人番号-bearing record's legal name; a specific 業種 over
    その他の業種; then the registry-confirmed record's value; then the longer text (an address
    with its building name), for numbers the more recently updated record. The location fields
    follow the address unless that record lacks one of them."""
    sides = {KEEP: keep, REMOVE: remove}
    choices = {}
    for name in ORGANISATION_FIELDS:
        a, b = getattr(keep, name), getattr(remove, name)
        if a == b or (_empty(a) and _empty(b)):
            choices[name] = KEEP
        elif _empty(a) != _empty(b):
            choices[name] = REMOVE if _empty(a) else KEEP
        elif name in ("name", "kind") and bool(keep.corporate_number) != bool(
            remove.corporate_number
        ):
            choices[name] = KEEP if keep.corporate_number else REMOVE
        elif name == "industry" and Industry.OTHER in (a, b):
            choices[name] = REMOVE if a == Industry.OTHER else KEEP
        elif keep.registry_confirmed != remove.registry_confirmed:
            choices[name] = KEEP if keep.registry_confirmed else REMOVE
        elif name in ("kind", "industry"):
            choices[name] = KEEP  # codes: neither is "longer"
        elif isinstance(a, int) and isinstance(b, int):
            choices[name] = REMOVE if remove.updated_at > keep.updated_at else KEEP
        else:
            choices[name] = _longer(a, b)
    if sides[choices["name"]].name_kana:
        choices["name_kana"] = choices["name"]
    address_side = choices["address"]
    for name in LOCATION_FIELDS:
        if not _empty(getattr(sides[address_side], name)):
            choices[name] = address_side
    return choices


def organisation_merge(
    *, keep: Organisation, remove: Organisation, actor, choices: dict[str, str] | None = None
) -> Organisation:
    """Move every record that points at ``remove`` to ``keep``, give ``keep`` the value of each
    field from the record ``choices`` names (``keep``/``remove``; ``merge_defaults`` where not
    given), then delete ``remove``. A 法人番号 is never dropped. The audit event records, per
    differing field, which record's value was kept, with both values for non-personal fields."""
    if keep.pk == remove.pk:
        raise DomainError(_("同じ事業者同士は統合できません。"), code="same")
    with transaction.atomic():
        locked = {
            o.pk: o
            for o in Organisation.objects.select_for_update()
            .filter(pk__in=[keep.pk, remove.pk])
            .order_by("pk")
        }
        if len(locked) != 2:
            raise DomainError(
                _("統合しようとした事業者は、すでに統合または削除されています。"), code="gone"
            )
        keep, remove = locked[keep.pk], locked[remove.pk]
        if (
            keep.corporate_number
            and remove.corporate_number
            and (keep.corporate_number != remove.corporate_number)
        ):
            raise DomainError(
                _("法人番号が異なる事業者は統合できません。"), code="different_number"
            )
        chosen = merge_defaults(keep, remove)
        for name, side in (choices or {}).items():
            if name in ORGANISATION_FIELDS and side in (KEEP, REMOVE):
                chosen[name] = side
        chosen["corporate_number"] = KEEP if keep.corporate_number else REMOVE
        sides = {KEEP: keep, REMOVE: remove}
        final = {name: getattr(sides[side], name) for name, side in chosen.items()}
        prefecture_code = sides[chosen["prefecture"]].prefecture_code
        name_side = sides[chosen["name"]]
        confirmed = (name_side.registry_confirmed_at, name_side.registry_confirmed_by_id)
        differing = [
            name for name in ORGANISATION_FIELDS if getattr(keep, name) != getattr(remove, name)
        ]
        before = {
            name: [getattr(keep, name), getattr(remove, name)]
            for name in differing
            if name in AUDIT_VALUE_FIELDS
        }
        flagged_against = keep.possible_duplicate_of_id
        moved = _move_records(keep=keep, remove=remove)
        removed_repr = audit_label(remove)
        removed_pk = remove.pk
        remove.delete()
        for name, value in final.items():
            setattr(keep, name, value)
        keep.prefecture_code = prefecture_code
        keep.registry_confirmed_at, keep.registry_confirmed_by_id = confirmed
        if flagged_against in (removed_pk, keep.pk, None):
            keep.possible_duplicate_of = None
            keep.duplicate_basis = ""
        else:
            keep.possible_duplicate_of_id = flagged_against
        keep.save()
        audit_record(
            actor=actor,
            action="organisation.merge",
            obj=keep,
            changes={
                "removed": removed_repr,
                "removed_id": removed_pk,
                "moved": moved,
                "kept": {name: chosen[name] for name in differing},
                "values": before,
            },
        )
        return keep


def _move_records(*, keep: Organisation, remove: Organisation) -> dict[str, int]:
    moved = {}
    for relation in Organisation._meta.related_objects:
        model = relation.related_model
        field = relation.field.name
        try:
            # A savepoint per relation: a unique constraint that both rows would break
            # (one school application per company and cohort, ...) is refused by name.
            with transaction.atomic():
                if relation.many_to_many:
                    # Deleting ``remove`` would drop these rows (an expert's conflicts).
                    related = list(getattr(remove, relation.get_accessor_name()).all())
                    getattr(keep, relation.get_accessor_name()).add(*related)
                    count = len(related)
                else:
                    count = model._base_manager.filter(**{field: remove}).update(**{field: keep})
        except IntegrityError as error:
            raise DomainError(
                _(
                    "両方の事業者に同じ「%(records)s」の記録があり、統合すると重複します。"
                    "先にどちらかの記録を整理してから統合してください。"
                )
                % {"records": model._meta.verbose_name},
                code="conflict",
            ) from error
        if count and model is not Organisation:
            moved[f"{model._meta.label}.{field}"] = count
    return moved


def organisation_record_counts(organisation: Organisation) -> list[tuple[str, int]]:
    """(verbose name, count) of the records pointing at the row, for the merge page."""
    counts = []
    for relation in Organisation._meta.related_objects:
        model = relation.related_model
        if model is Organisation or model._meta.label == "accounts.AccessLink":
            continue
        count = getattr(organisation, relation.get_accessor_name()).count()
        if count:
            counts.append((str(model._meta.verbose_name), count))
    return counts
