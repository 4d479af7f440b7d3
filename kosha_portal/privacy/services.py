"""Disclosure and deletion requests (APPI Art. 33: disclose the retained personal data; Art. 35:
erase it on request): find everything the portal holds about one person across all apps, write
it to a file for them, and erase it, keeping what the program must keep by law or contract.

A person is found by email address, or by name together with a phone number (both must match,
so a common name alone finds nobody). Each step is one service that writes an audit event
(counts only, never the criteria) and updates the request record."""

import datetime
import io
import json
import zipfile
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Replace
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from announcements.models import SubscriptionRequest
from announcements.retention import subscriber_erase
from companies.retention import organisation_anonymise
from consultations.services import consultation_anonymise
from dispatch.retention import dispatch_anonymise
from kosha_portal import clock
from kosha_portal.accounts.models import AccessLink
from kosha_portal.accounts.retention import access_links_delete_to
from kosha_portal.audit.services import audit_forget_company_actor, audit_record
from kosha_portal.documents.models import GeneratedDocument
from kosha_portal.documents.retention import documents_delete
from kosha_portal.errors import DomainError
from kosha_portal.exports import Column, export_rows_csv
from kosha_portal.japan.normalize import digits_only, normalize_text
from kosha_portal.mail.models import OutboundEmail
from kosha_portal.mail.retention import outbox_erase, outbox_erase_to
from school.retention import application_anonymise, participant_erase
from seminars.retention import registration_anonymise

from .models import PrivacyRequest

ERASED = "（消去済み）"


@dataclass(frozen=True)
class Person:
    """Who a request is about: an email address, or a name and a phone number."""

    email: str = ""
    name: str = ""
    phone: str = ""

    @classmethod
    def of(cls, *, email="", name="", phone=""):
        email = normalize_text(email or "").strip().lower()
        name = "".join(normalize_text(name or "").split())
        phone = digits_only(normalize_text(phone or ""))
        if email:
            return cls(email=email)
        if name and phone:
            return cls(name=name, phone=phone)
        raise DomainError(
            _("メールアドレス、または氏名と電話番号の両方を入力してください。"), field="email"
        )

    @property
    def criteria(self) -> str:
        return PrivacyRequest.Criteria.EMAIL if self.email else PrivacyRequest.Criteria.NAME_PHONE

    @property
    def digest(self) -> str:
        key = f"email:{self.email}" if self.email else f"name:{self.name}|phone:{self.phone}"
        return salted_hmac("kosha_portal.privacy.subject", key).hexdigest()


def _filter(queryset, person: Person, *, email=None, name=None, phone=None):
    """``queryset`` narrowed to ``person`` (names compared without spaces, phones by digits)."""
    if person.email:
        if not email:
            return queryset.none()
        return queryset.filter(**{f"{email}__iexact": person.email})
    if not (name and phone):
        return queryset.none()
    no_space = Replace(Replace(F(name), Value(" "), Value("")), Value("　"), Value(""))
    digits = Replace(Replace(F(phone), Value("-"), Value("")), Value(" "), Value(""))
    return queryset.annotate(_pn=no_space, _pp=digits).filter(_pn=person.name, _pp=person.phone)


def _display(obj, name: str) -> str:
    value = getattr(obj, name)
    display = getattr(obj, f"get_{name}_display", None)
    if callable(display):
        return str(display())
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return "・".join(str(v) for v in value)
    if value is None:
        return ""
    if hasattr(value, "_meta"):
        from kosha_portal.audit.labels import audit_label

        return audit_label(value)
    return str(value)


def _fields(obj, names) -> dict:
    return {str(obj._meta.get_field(n).verbose_name): _display(obj, n) for n in names}


@dataclass
class Item:
    """One record found, as the person will read it, and what erasure does with it."""

    obj: object
    label: str
    data: dict
    keep_reason: str = ""  # why (part of) the record stays: a law or a contract
    files: list = field(default_factory=list)  # (name in the archive, storage file)

    def rows(self) -> list[tuple[str, str]]:
        """(label, text) pairs for the staff page; nested entries one per line."""
        return [(label, _text(value)) for label, value in self.data.items()]


def _text(value) -> str:
    if isinstance(value, dict):
        return " / ".join(f"{k}：{_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "\n".join(_text(v) for v in value)
    return str(value)


@dataclass
class Section:
    key: str
    label: str
    items: list


@dataclass
class Findings:
    sections: list

    def counts(self) -> dict:
        return {s.key: len(s.items) for s in self.sections if s.items}

    def kept_counts(self) -> dict:
        kept = {s.key: sum(1 for i in s.items if i.keep_reason) for s in self.sections}
        return {k: v for k, v in kept.items() if v}

    @property
    def total(self) -> int:
        return sum(len(s.items) for s in self.sections)

    def objects(self, key) -> list:
        return next((s.items for s in self.sections if s.key == key), [])


def _consultations(person):
    from consultations.models import Consultation

    found = _filter(
        Consultation.objects.select_related("organisation"),
        person,
        email="contact_email",
        name="contact_name",
        phone="contact_phone",
    ).prefetch_related("messages", "attachments")
    items = []
    for c in found.order_by("received_at"):
        data = _fields(
            c,
            [
                "reference",
                "received_at",
                "channel",
                "status",
                "contact_name",
                "contact_kana",
                "contact_department",
                "contact_role",
                "contact_email",
                "contact_phone",
                "description",
            ],
        )
        data[_("事業者名")] = c.organisation.name
        data[_("やり取り")] = [
            {
                _("日時"): _display(m, "created_at"),
                _("種類"): m.get_kind_display(),
                _("本文"): m.body,
            }
            for m in c.messages.all()
        ]
        files = [
            (f"attachments/{c.reference}/{a.pk}-{a.original_name}", a.file)
            for a in c.attachments.all()
        ]
        data[_("添付ファイル")] = [name for name, _file in files]
        items.append(Item(c, _("相談番号 %(ref)s") % {"ref": c.reference}, data, files=files))
    return items


def _dispatches(person, consultations):
    from dispatch.models import Dispatch, Visit

    condition = Q(consultation__in=[i.obj for i in consultations])
    if person.email:
        condition |= Q(contact_email__iexact=person.email)
    items = []
    for d in (
        Dispatch.objects.filter(condition)
        .select_related("program_year", "expert")
        .prefetch_related("visits")
        .order_by("applied_at")
    ):
        data = _fields(
            d,
            [
                "reference",
                "status",
                "applied_at",
                "contact_name",
                "contact_email",
                "theme",
                "goals",
                "preferred_dates",
                "rejection_reason",
                "completion_summary",
                "completion_outcomes",
            ],
        )
        data[_("派遣（各回）")] = [
            _fields(v, ["report_number", "date", "mode", "status", "attendees", "topics", "advice"])
            for v in d.visits.all()
        ]
        survey = getattr(d, "survey", None)
        if survey is not None:
            data[_("アンケート")] = _fields(survey, ["satisfaction", "comment"])
        done = any(v.status in Visit.DONE_STATUSES for v in d.visits.all())
        keep = (
            _(
                "専門家への謝金の支払いの根拠となる派遣の記録（実施日・時間・専門家）は、"
                "会計記録として個人情報を消去したうえで保存します。"
            )
            if done
            else ""
        )
        items.append(Item(d, _("申込番号 %(ref)s") % {"ref": d.reference}, data, keep))
    return items


def _registrations(person):
    from seminars.models import Registration

    found = _filter(
        Registration.objects.select_related("seminar", "organisation"),
        person,
        email="email",
        name="name",
        phone="phone",
    )
    items = []
    for r in found.order_by("created_at"):
        data = _fields(
            r,
            [
                "created_at",
                "status",
                "format",
                "name",
                "name_kana",
                "department",
                "role",
                "email",
                "phone",
                "question",
                "heard_from",
            ],
        )
        data[_("セミナー")] = str(r.seminar)
        data[_("事業者名")] = r.organisation.name
        survey = getattr(r, "survey", None)
        if survey is not None:
            data[_("アンケート")] = _fields(survey, ["satisfaction", "usefulness", "comment"])
        items.append(Item(r, _("セミナー申込 #%(id)s") % {"id": r.pk}, data))
    return items


def _applications(person):
    from school.models import Application

    found = _filter(
        Application.objects.select_related("cohort", "organisation"),
        person,
        email="contact_email",
        name="contact_name",
        phone="contact_phone",
    ).prefetch_related("participants")
    items = []
    for a in found.order_by("submitted_at"):
        data = _fields(
            a,
            [
                "submitted_at",
                "status",
                "contact_name",
                "contact_name_kana",
                "contact_email",
                "contact_phone",
                "main_business",
                "concerns_other",
            ],
        )
        data[_("期")] = a.cohort.label
        data[_("事業者名")] = a.organisation.name
        data[_("参加者")] = [
            _fields(p, ["name", "name_kana", "department", "role", "email"])
            for p in a.participants.all()
        ]
        items.append(Item(a, _("スクール申込 #%(id)s") % {"id": a.pk}, data))
    return items


def _participants(person, applications):
    from school.models import Participant

    queryset = Participant.objects.select_related("application__cohort").exclude(
        application__in=[i.obj for i in applications]
    )
    if person.email:
        found = queryset.filter(email__iexact=person.email)
    else:
        found = _filter(
            queryset, person, name="name", phone="application__contact_phone"
        ) | _filter(queryset, person, name="name", phone="application__organisation__phone")
    items = []
    for p in found.distinct().order_by("pk"):
        data = _fields(p, ["name", "name_kana", "department", "role", "email"])
        data[_("期")] = p.application.cohort.label
        certificate = getattr(p, "certificate", None)
        if certificate is not None:
            data[_("修了証番号")] = certificate.number
        items.append(Item(p, _("スクール参加者 #%(id)s") % {"id": p.pk}, data))
    return items


def _organisations(person):
    from companies.models import Organisation

    found = _filter(
        Organisation.objects.all(), person, email="email", name="representative", phone="phone"
    )
    return [
        Item(
            o,
            _("事業者 #%(id)s") % {"id": o.pk},
            _fields(o, ["name", "representative", "postal_code", "address", "phone", "email"]),
        )
        for o in found.order_by("pk")
    ]


def _experts(person):
    from dispatch.models import Expert

    found = _filter(Expert.objects.all(), person, email="email", name="name", phone="phone")
    keep = _(
        "登録専門家の情報は、業務委託の契約と謝金の支払いの記録として保存します"
        "（登録の取消し後は管理画面で削除してください）。"
    )
    return [
        Item(
            e,
            _("登録専門家 #%(id)s") % {"id": e.pk},
            _fields(e, ["name", "kana", "email", "phone"]),
            keep,
        )
        for e in found.order_by("pk")
    ]


def _announcement_subscribers(person):
    from announcements.models import Subscriber

    if not person.email:
        return []  # the list holds addresses only: nobody is found by name and phone
    keep = _(
        "配信を停止したアドレスにふたたび送らないよう、配信停止リストには元に戻せない形"
        "（鍵付きハッシュ）だけを残します。"
    )
    items = []
    for subscriber in Subscriber.objects.filter(email__iexact=person.email).prefetch_related(
        "consents"
    ):
        data = _fields(
            subscriber,
            [
                "email",
                "status",
                "industry",
                "municipality",
                "language",
                "created_at",
                "activated_at",
                "unsubscribed_at",
                "unsubscribe_method",
                "bounced_at",
            ],
        )
        data[_("受信の同意")] = [
            _fields(c, ["given_at", "source", "notice_version", "client_ip", "requested_at"])
            for c in subscriber.consents.all()
        ]
        items.append(
            Item(
                subscriber, _("お知らせメールの登録者 #%(id)s") % {"id": subscriber.pk}, data, keep
            )
        )
    return items


def _announcement_requests(person):
    from announcements.models import SubscriptionRequest

    if not person.email:
        return []
    return [
        Item(
            request,
            _("お知らせメールの登録の確認待ち #%(id)s") % {"id": request.pk},
            _fields(request, ["email", "created_at", "expires_at", "confirmed_at", "client_ip"]),
        )
        for request in SubscriptionRequest.objects.filter(email__iexact=person.email).order_by("pk")
    ]


def _related_q(records) -> Q:
    condition = Q(pk__in=[])
    by_type = {}
    for record in records:
        by_type.setdefault(ContentType.objects.get_for_model(record), []).append(str(record.pk))
    for content_type, ids in by_type.items():
        condition |= Q(content_type=content_type, object_id__in=ids)
    return condition


def _mail(person, records):
    from kosha_portal.mail.models import OutboundEmail

    condition = _related_q(records)
    if person.email:
        condition |= Q(to__iexact=person.email) | Q(reply_to__iexact=person.email)
    items = []
    for m in OutboundEmail.objects.filter(condition).exclude(to="", subject="").order_by("pk"):
        data = _fields(m, ["created_at", "status", "sent_at", "to", "subject", "body_text"])
        items.append(Item(m, _("送信メール #%(id)s") % {"id": m.pk}, data))
    return items


def _links(person, records):
    from kosha_portal.accounts.models import AccessLink

    condition = _related_q(records)
    if person.email:
        condition |= Q(email__iexact=person.email)
    return [
        Item(
            link,
            _("個人用リンク #%(id)s") % {"id": link.pk},
            _fields(link, ["created_at", "email", "expires_at", "revoked_at", "last_used_at"]),
        )
        for link in AccessLink.objects.filter(condition).order_by("pk")
    ]


def _documents(records):
    from kosha_portal.documents.models import GeneratedDocument

    return [
        Item(
            d,
            d.filename,
            _fields(d, ["created_at", "kind", "filename"]),
            files=[(f"documents/{d.pk}-{d.filename}", d.file)] if d.file else [],
        )
        for d in GeneratedDocument.objects.filter(_related_q(records)).order_by("pk")
    ]


SECTION_LABELS = {
    "consultations": gettext_lazy("相談（やり取り・添付ファイルを含む）"),
    "dispatches": gettext_lazy("専門家派遣（派遣の記録・アンケートを含む）"),
    "seminar_registrations": gettext_lazy("セミナー申込（アンケートを含む）"),
    "school_applications": gettext_lazy("スクール申込（参加者を含む）"),
    "school_participants": gettext_lazy("スクール参加者"),
    "organisations": gettext_lazy("事業者の代表者・連絡先"),
    "mail": gettext_lazy("送信メール"),
    "access_links": gettext_lazy("個人用リンク"),
    "documents": gettext_lazy("帳票（PDF）"),
    "experts": gettext_lazy("登録専門家"),
    "announcement_subscribers": gettext_lazy("お知らせメールの登録（受信の同意を含む）"),
    "announcement_requests": gettext_lazy("お知らせメールの登録の確認待ち"),
}


def person_findings(person: Person) -> Findings:
    """Everything the portal holds about ``person``."""
    consultations = _consultations(person)
    dispatches = _dispatches(person, consultations)
    registrations = _registrations(person)
    applications = _applications(person)
    participants = _participants(person, applications)
    records = [i.obj for i in consultations + dispatches + registrations + applications]
    records += [i.obj for i in participants]
    for item in dispatches:
        records += list(item.obj.visits.all())
    subscribers = _announcement_subscribers(person)
    subscription_requests = _announcement_requests(person)
    records += [i.obj for i in subscribers + subscription_requests]
    sections = {
        "consultations": consultations,
        "dispatches": dispatches,
        "seminar_registrations": registrations,
        "school_applications": applications,
        "school_participants": participants,
        "organisations": _organisations(person),
        "mail": _mail(person, records),
        "access_links": _links(person, records),
        "documents": _documents(records),
        "experts": _experts(person),
        "announcement_subscribers": subscribers,
        "announcement_requests": subscription_requests,
    }
    return Findings([Section(k, str(SECTION_LABELS[k]), v) for k, v in sections.items()])


# --- the three steps ------------------------------------------------------------------------------


def privacy_search(*, person: Person, actor) -> tuple[PrivacyRequest, Findings]:
    """Open a request and find what the portal holds about ``person``."""
    findings = person_findings(person)
    with transaction.atomic():
        request = PrivacyRequest.objects.create(
            handled_by=actor if getattr(actor, "is_authenticated", False) else None,
            criteria=person.criteria,
            subject_digest=person.digest,
            found=findings.counts(),
            kept=findings.kept_counts(),
        )
        audit_record(
            actor=actor,
            action="privacy.search",
            obj=request,
            changes={"criteria": person.criteria, "found": findings.counts()},
        )
    return request, findings


def _check_same_person(request: PrivacyRequest, person: Person) -> None:
    if request.subject_digest != person.digest:
        raise DomainError(
            _("請求を受け付けたときと検索の条件が異なります。最初から検索し直してください。"),
            code="other_person",
        )


def _json_default(value):
    return str(value)


def privacy_export(*, request: PrivacyRequest, person: Person, actor) -> bytes:
    """The file to give the person: a ZIP with everything found as JSON (complete, readable by
    programs), one CSV per kind (for Excel), the files they sent and the PDFs about them."""
    _check_same_person(request, person)
    findings = person_findings(person)
    now = clock.now()
    buffer = io.BytesIO()
    with translation.override("ja"), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        generated = timezone.localtime(now).strftime("%Y-%m-%d %H:%M")
        payload = {
            "title": _("保有個人データの開示"),
            "controller": _("公益財団法人 東京都中小企業振興公社"),
            "generated_at": generated,
            "request": request.audit_label(),
            "sections": {
                s.key: {
                    "label": s.label,
                    "records": [{"label": i.label, **i.data} for i in s.items],
                }
                for s in findings.sections
                if s.items
            },
        }
        archive.writestr(
            "data.json", json.dumps(payload, ensure_ascii=False, indent=2, default=_json_default)
        )
        for section in findings.sections:
            if not section.items:
                continue
            headers = []
            for item in section.items:
                headers += [h for h in item.data if h not in headers]
            columns = [Column(_("記録"), lambda row: row["__label"])] + [
                Column(h, lambda row, h=h: _flat(row.get(h, ""))) for h in headers
            ]
            rows = [{"__label": i.label, **i.data} for i in section.items]
            content, _count = export_rows_csv(rows=rows, columns=columns)
            archive.writestr(f"{section.key}.csv", content)
            for item in section.items:
                for name, stored in item.files:
                    try:
                        with stored.open("rb") as handle:
                            archive.writestr(name, handle.read())
                    except OSError:
                        continue
        archive.writestr("README.txt", _readme(findings, generated))
    with transaction.atomic():
        PrivacyRequest.objects.filter(pk=request.pk).update(exported_at=now)
        audit_record(
            actor=actor,
            action="privacy.export",
            obj=request,
            changes={"found": findings.counts()},
        )
    return buffer.getvalue()


def _flat(value) -> str:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    return value


def _readme(findings: Findings, generated: str) -> str:
    lines = [
        _("公益財団法人 東京都中小企業振興公社 カスハラ対策支援ポータル"),
        _("保有個人データの開示（個人情報の保護に関する法律 第33条）"),
        _("作成日時：%(at)s") % {"at": generated},
        "",
        _(
            "このファイルには、ご請求いただいた方について当ポータルが保有している情報をすべて収めています。"
        ),
        _("data.json にすべての項目を、種類ごとの CSV ファイルに同じ内容を表の形で収めています。"),
        _(
            "attachments/ にはお送りいただいたファイルを、documents/ には作成した帳票を収めています。"
        ),
        "",
    ]
    for section in findings.sections:
        if section.items:
            lines.append(
                _("・%(label)s：%(count)s件")
                % {"label": section.label, "count": len(section.items)}
            )
    return "\r\n".join(str(line) for line in lines) + "\r\n"


def privacy_erase(*, request: PrivacyRequest, person: Person, reason: str, actor) -> dict:
    """Erase what the portal holds about ``person``: their consultations, dispatches, seminar
    registrations, school applications and participations are anonymised (cases still open are
    ended first), their mail and personal links go, and the organisation rows lose the contact
    details that were theirs. Records kept by law or contract (dispatch visits that back a
    payment, the expert registry) keep their non-personal facts only, or stay as they are."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("消去の理由を入力してください。"), field="reason", code="reason")
    _check_same_person(request, person)
    findings = person_findings(person)
    now = clock.now()
    erased = {}
    with transaction.atomic():
        for item in findings.objects("consultations"):
            consultation_anonymise(consultation=item.obj, actor=actor, now=now, on_request=True)
        for item in findings.objects("dispatches"):
            dispatch_anonymise(dispatch=item.obj, actor=actor, now=now, on_request=True)
        for item in findings.objects("seminar_registrations"):
            registration_anonymise(registration=item.obj, actor=actor, now=now, on_request=True)
        for item in findings.objects("school_applications"):
            application_anonymise(application=item.obj, actor=actor, now=now, on_request=True)
        for item in findings.objects("school_participants"):
            participant_erase(participant=item.obj, actor=actor, now=now)
        for item in findings.objects("announcement_subscribers"):
            subscriber_erase(subscriber=item.obj, actor=actor, now=now, on_request=True)
        SubscriptionRequest.objects.filter(
            pk__in=[i.obj.pk for i in findings.objects("announcement_requests")]
        ).delete()
        for item in findings.objects("organisations"):
            organisation = item.obj
            fields = []
            if person.email and organisation.email.lower() == person.email:
                fields = ["email"]
            if not person.email:
                fields = ["representative", "phone"]
            organisation_anonymise(
                organisation=organisation, actor=actor, fields=fields, reason="request"
            )
        mail = outbox_erase(
            OutboundEmail.objects.filter(pk__in=[i.obj.pk for i in findings.objects("mail")]),
            now=now,
        )
        links = 0
        documents = 0
        if person.email:
            mail += outbox_erase_to(person.email, now=now)
            links += access_links_delete_to(person.email)
            audit_forget_company_actor(person.email)
        links += AccessLink.objects.filter(
            pk__in=[i.obj.pk for i in findings.objects("access_links")]
        ).delete()[0]
        documents += documents_delete(
            GeneratedDocument.objects.filter(
                pk__in=[i.obj.pk for i in findings.objects("documents")]
            )
        )
        erased = {
            k: v
            for k, v in findings.counts().items()
            if k not in ("experts", "mail", "access_links", "documents")
        }
        erased.update({"mail": mail, "access_links": links, "documents": documents})
        erased = {k: v for k, v in erased.items() if v}
        PrivacyRequest.objects.filter(pk=request.pk).update(
            erased_at=now, erased=erased, kept=findings.kept_counts(), reason=reason[:2000]
        )
        audit_record(
            actor=actor,
            action="privacy.erase",
            obj=request,
            changes={"erased": erased, "kept": findings.kept_counts()},
        )
    return erased
