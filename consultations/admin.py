"""The desk's triage queue and case page. Every change goes through consultations.services."""

import datetime
import re

from django.contrib import admin, messages
from django.contrib.admin import ShowFacets
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _

from companies.models import Organisation
from companies.services import organisation_duplicates
from kosha_portal import clock
from kosha_portal.audit.admin import AuditedAdminMixin
from kosha_portal.audit.services import audit_record
from kosha_portal.errors import DomainError
from kosha_portal.exports import export_options, export_response, filters_for_log
from kosha_portal.japan.deadlines import start_of_day
from kosha_portal.japan.fiscal import fiscal_year_label
from kosha_portal.japan.names import person_name
from kosha_portal.japan.normalize import (
    company_name_key,
    digits_only,
    normalize_kana,
    normalize_text,
)
from kosha_portal.workflow import allowed_targets, reason_required

from . import services
from .forms import (
    AssignForm,
    DispatchNeedForm,
    MessageForm,
    ReasonForm,
    StaffRecordForm,
    TriageForm,
)
from .models import (
    BehaviourType,
    Channel,
    Consultation,
    FiscalYearCounter,
    RequestedSupport,
)
from .selectors import OPEN_STATUSES, consultation_duplicates, dispatch_need_preview, overdue_q


def _json_has(field: str, code: str) -> Q:
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__contains": [code]})
    return Q(**{f"{field}__icontains": f'"{code}"'})


class _JsonChoiceFilter(admin.SimpleListFilter):
    choice_class = None
    field = ""

    def lookups(self, request, model_admin):
        return self.choice_class.choices

    def queryset(self, request, queryset):
        if self.value() in dict(self.choice_class.choices):
            return queryset.filter(_json_has(self.field, self.value()))
        return queryset


class BehaviourTypeFilter(_JsonChoiceFilter):
    title = _("行為の類型")
    parameter_name = "behaviour"
    choice_class = BehaviourType
    field = "behaviour_types"


class RequestedSupportFilter(_JsonChoiceFilter):
    title = _("希望する支援")
    parameter_name = "support"
    choice_class = RequestedSupport
    field = "requested_support"


class OverdueFilter(admin.SimpleListFilter):
    title = _("回答期限")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("期限超過")), ("no", _("期限内・対応済み"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(overdue_q())
        if self.value() == "no":
            return queryset.exclude(overdue_q())
        return queryset


class OfficerFilter(admin.SimpleListFilter):
    title = _("担当者")
    parameter_name = "officer"

    def lookups(self, request, model_admin):
        users = (
            get_user_model()
            .objects.filter(is_staff=True, is_active=True)
            .order_by("last_name", "first_name", "username")
        )
        return [
            ("none", _("未割当")),
            *((str(u.pk), person_name(u)) for u in users),
        ]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(assigned_to__isnull=True)
        # str.isdigit() accepts "²" and other digits int() refuses; only ASCII digits are an id.
        if self.value() and re.fullmatch(r"[0-9]+", self.value()):
            return queryset.filter(assigned_to_id=int(self.value()))
        return queryset


class StateFilter(admin.SimpleListFilter):
    """The desk's working states: cases still to be handled, cases waiting on the company."""

    title = _("対応の状況")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("未完了（新規受付・対応中）")), ("waiting", _("事業者からの返信待ち"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        if self.value() == "waiting":
            return queryset.filter(status=Consultation.Status.ANSWERED)
        return queryset


class FiscalYearFilter(admin.SimpleListFilter):
    title = _("年度")
    parameter_name = "fy"

    def lookups(self, request, model_admin):
        # The fiscal years that have consultations: one small row each in the number counter.
        years = FiscalYearCounter.objects.order_by("-fiscal_year").values_list(
            "fiscal_year", flat=True
        )
        return [(str(year), f"{fiscal_year_label(year)}（{year}）") for year in years]

    def queryset(self, request, queryset):
        if self.value() and re.fullmatch(r"[0-9]{4}", self.value()):
            return queryset.filter(fiscal_year=int(self.value()))
        return queryset


class ReceivedDateRangeFilter(admin.ListFilter):
    """受付日 from/to (JST days, both ends included), typed as dates."""

    title = _("受付日")
    template = "admin/consultations/consultation/date_range_filter.html"
    parameters = ("received_from", "received_to")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.values, self.dates, self.invalid = {}, {}, []
        for name in self.parameters:
            if name not in params:
                continue
            value = params.pop(name)
            value = (value[-1] if isinstance(value, list) else value).strip()
            self.values[name] = value
            self.used_parameters[name] = value
            if not value:
                continue
            try:
                self.dates[name] = datetime.date.fromisoformat(value)
            except ValueError:
                self.invalid.append(name)

    def has_output(self):
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def queryset(self, request, queryset):
        start, end = self.dates.get("received_from"), self.dates.get("received_to")
        if start:
            queryset = queryset.filter(received_at__gte=start_of_day(start))
        if end:
            queryset = queryset.filter(
                received_at__lt=start_of_day(end + datetime.timedelta(days=1))
            )
        return queryset

    def choices(self, changelist):
        others = QueryDict(changelist.get_query_string(remove=list(self.parameters))[1:])
        yield {
            "hidden": [(key, value) for key in others for value in others.getlist(key)],
            "from": self.values.get("received_from", ""),
            "to": self.values.get("received_to", ""),
            "invalid": bool(self.invalid),
            "active": bool(self.dates),
            "clear_url": changelist.get_query_string(remove=list(self.parameters)),
        }


class MunicipalityFilter(admin.SimpleListFilter):
    title = _("区市町村")
    parameter_name = "municipality"

    def lookups(self, request, model_admin):
        # From the (small) registry, not from the consultation table.
        values = (
            Organisation.objects.filter(prefecture="東京都")
            .exclude(municipality="")
            .order_by("municipality")
            .values_list("municipality", flat=True)
            .distinct()
        )
        return [(v, v) for v in values]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(organisation__municipality=self.value())
        return queryset


TRANSITION_ACTIONS = {
    Consultation.Status.ANSWERED: "answer",
    Consultation.Status.CLOSED: "close",
    Consultation.Status.WITHDRAWN: "withdraw",
}
TRANSITION_LABELS = {
    "start": (_("対応を開始する"), _("理由")),
    "answer": (_("回答済みにする"), _("理由")),
    "close": (_("完了にする"), _("理由")),
    "withdraw": (_("取下げにする"), _("取下げの理由")),
    "reopen": (_("対応中に戻す（再開）"), _("再開の理由")),
}
# What the confirmation page of a move that needs a reason says will happen.
TRANSITION_CONFIRMATIONS = {
    "withdraw": (
        _("この相談を取下げにしますか"),
        _(
            "取下げにすると対応を終了し、事業者は状況ページからメッセージを送れなくなります。"
            "事業者のご担当者にはメールでお知らせします（理由はメールに書かれず、操作履歴に残り"
            "ます）。あとで再開することもできます。"
        ),
        _("取下げにする"),
    ),
    "reopen": (
        _("この相談の対応を再開しますか"),
        _(
            "状態を「対応中」に戻し、事業者のご担当者にメールでお知らせします。理由は操作履歴に"
            "残ります。"
        ),
        _("再開する"),
    ),
}

ACTION_FORMS = {
    "assign": AssignForm,
    "reply": MessageForm,
    "note": MessageForm,
    "triage": TriageForm,
    "dispatch_need": DispatchNeedForm,
    "withdraw": ReasonForm,
    "reopen": ReasonForm,
}


def _organisation_in(organisations) -> Q:
    """``organisation_id = ANY(ARRAY(<organisations>))`` on PostgreSQL: the ids are computed once
    (an InitPlan) and the arm can be served by the organisation_id index inside a BitmapOr with
    the trigram indexes of the other arms; ``organisation_id IN (<organisations>)`` is a hashed
    SubPlan that PostgreSQL can only test row by row, so the count of a search scanned the whole
    table. Elsewhere (SQLite, scripts/run's embedded default, has no arrays) the plain IN."""
    if connection.vendor != "postgresql":
        return Q(organisation__in=organisations)
    sql, params = organisations.query.sql_with_params()
    column = f'{connection.ops.quote_name(Consultation._meta.db_table)}."organisation_id"'
    # Django compiled the subquery; its values stay parameters.
    return Q(RawSQL(f"{column} = ANY(ARRAY({sql}))", params, output_field=BooleanField()))  # noqa: S611


class TriageChangeList(ChangeList):
    """The triage list reads only the columns its rows show (``ConsultationAdmin.list_columns``):
    the page's 50 consultations, with their company and officer, are most of its database
    decoding otherwise (five JSON lists and the consultation text per row). The export reads
    ``get_queryset``, which is unchanged."""

    def get_results(self, request):
        self.queryset = self.queryset.only(*self.model_admin.list_columns)
        super().get_results(request)


@admin.register(Consultation)
class ConsultationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "organisation_name",
        "status",
        "channel",
        "officer_name",
        "received_display",
        "reply_by_display",
        "requested_support_display",
        "dispatch_need_display",
    ]
    list_display_links = ["reference", "organisation_name"]
    # What list_display reads (TriageChangeList); a column that needs another field reads it
    # row by row, which test_changelist_query_count_is_constant would catch.
    list_columns = [
        "reference",
        "organisation__name",
        "status",
        "channel",
        "assigned_to__last_name",
        "assigned_to__first_name",
        "assigned_to__username",
        "received_at",
        "reply_by",
        "requested_support",
        "dispatch_need",
    ]
    list_filter = [
        StateFilter,
        "status",
        OfficerFilter,
        OverdueFilter,
        FiscalYearFilter,
        ReceivedDateRangeFilter,
        BehaviourTypeFilter,
        ("organisation__industry", admin.ChoicesFieldListFilter),
        MunicipalityFilter,
        RequestedSupportFilter,
        "channel",
        "dispatch_need",
    ]
    list_select_related = ["organisation", "assigned_to"]
    # Facet counts would run one count per filter choice over the whole table.
    show_facets = ShowFacets.NEVER
    search_fields = [
        "=reference",
        "organisation__name",
        "organisation__name_kana",
        "organisation__name_key",
        "=organisation__corporate_number",
        "contact_name",
        "contact_kana",
        "contact_email",
    ]
    show_full_result_count = False
    list_per_page = 50

    def get_changelist(self, request, **kwargs):
        return TriageChangeList

    def get_search_results(self, request, queryset, search_term):
        """Each word must match the reference, the 法人番号, a company name (also in its
        normalised form, so ㈱ and 株式会社 match) or kana, a contact's name, kana or email, or
        the consultation text.

        Company names are matched in the organisation table first and joined in as a list of
        ids: one OR across both tables would defeat the received_at index (≈170 ms → ≈5 ms on
        100,000 consultations). The text is matched with a plain (case-sensitive) LIKE on the
        column itself, which a trigram index on ``description`` can serve (issue 17); the
        input is normalised (NFKC) as the form stored it."""
        for word in smart_split(search_term):
            word = unescape_string_literal(word) if word[0] in "\"'" else word
            text, kana = normalize_text(word), normalize_kana(word)
            if not company_name_key(text) and not text.isascii():
                continue  # only a legal form such as ㈱ or 株式会社: it narrows nothing
            organisations = Organisation.objects.filter(
                Q(name__icontains=text)
                | Q(name_kana__icontains=kana)
                | Q(name_key__icontains=company_name_key(text))
                | Q(corporate_number=digits_only(text) or text)
            ).values("pk")
            queryset = queryset.filter(
                Q(reference=text)
                | _organisation_in(organisations)
                | Q(contact_name__icontains=text)
                | Q(contact_kana__icontains=kana)
                | Q(contact_email__icontains=text)
                | Q(description__contains=text)
            )
        return queryset, False

    date_hierarchy = None
    actions = None
    change_form_template = "admin/consultations/consultation/change_form.html"
    change_list_template = "admin/consultations/consultation/change_list.html"
    fieldsets = [
        (
            _("受付"),
            {
                "fields": [
                    "reference",
                    "fiscal_year",
                    "channel",
                    "recorded_by_name",
                    "status",
                    "received_at",
                    "reply_by",
                    "officer_name",
                    "started_at",
                    "answered_at",
                    "closed_at",
                    "withdrawn_at",
                    "reopened_at",
                ]
            },
        ),
        (
            _("事業者・ご担当者"),
            {
                "fields": [
                    "organisation_link",
                    "contact_name",
                    "contact_kana",
                    "contact_department",
                    "contact_role",
                    "contact_email",
                    "contact_phone",
                    "contact_way",
                    "contact_time",
                ]
            },
        ),
        (
            _("ご相談の内容"),
            {
                "fields": [
                    "places_display",
                    "behaviour_display",
                    "damages_display",
                    "measures_display",
                    "support_display",
                    "description",
                    "privacy_notice_version",
                    "privacy_consented_at",
                ]
            },
        ),
        (
            _("トリアージ・派遣の必要性"),
            {
                "fields": [
                    "demand_reasonableness",
                    "means_acceptability",
                    "follow_up_on",
                    "dispatch_need",
                    "dispatch_need_reason",
                    "dispatch_need_override_note",
                    "dispatch_need_decided_by_name",
                    "dispatch_need_decided_on",
                ]
            },
        ),
        (_("操作履歴"), {"fields": ["audit_history"]}),
    ]

    class Media:
        css = {"all": ["css/consultations_admin.css"]}

    # --- the list ----------------------------------------------------------------------------

    @admin.display(description=_("事業者"), ordering="organisation__name_kana")
    def organisation_name(self, obj):
        return obj.organisation.name

    @admin.display(description=_("派遣の必要性"), boolean=True, ordering="dispatch_need")
    def dispatch_need_display(self, obj):
        return obj.dispatch_need

    @admin.display(description=_("担当者"), ordering="assigned_to__last_name")
    def officer_name(self, obj):
        return person_name(obj.assigned_to) or "-"

    @admin.display(description=_("受付した職員"))
    def recorded_by_name(self, obj):
        return person_name(obj.recorded_by) or "-"

    @admin.display(description=_("判断した職員"))
    def dispatch_need_decided_by_name(self, obj):
        return person_name(obj.dispatch_need_decided_by) or "-"

    @admin.display(description=_("受付日時"), ordering="received_at")
    def received_display(self, obj):
        local = timezone.localtime(obj.received_at)
        return format_html(
            '<span class="nowrap">{}</span> <span class="nowrap">{}</span>',
            local.strftime("%Y-%m-%d"),
            local.strftime("%H:%M"),
        )

    @admin.display(description=_("回答期限"), ordering="reply_by")
    def reply_by_display(self, obj):
        overdue = obj.is_open and obj.reply_by < self._today()
        if overdue:
            return format_html(
                '<span class="consultation-overdue"><span class="nowrap">{}</span> {}</span>',
                obj.reply_by.isoformat(),
                _("期限超過"),
            )
        return format_html('<span class="nowrap">{}</span>', obj.reply_by.isoformat())

    @admin.display(description=_("希望する支援"))
    def requested_support_display(self, obj):
        return self._labels(RequestedSupport, obj.requested_support)

    def _today(self):
        return clock.today()

    @staticmethod
    def _labels(choices, codes):
        mapping = dict(choices.choices)
        return "・".join(str(mapping.get(c, c)) for c in codes or []) or "-"

    # --- the case page (read-only fields; changes go through the panels) ---------------------

    def get_readonly_fields(self, request, obj=None):
        names = [f for _t, opts in self.fieldsets for f in opts["fields"]]
        return names

    def has_add_permission(self, request):
        return super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("事業者"))
    def organisation_link(self, obj):
        url = reverse("admin:companies_organisation_change", args=[obj.organisation_id])
        org = obj.organisation
        return format_html(
            '<a href="{}">{}</a>（{}）{} {}',
            url,
            org.name,
            org.name_kana or "-",
            org.corporate_number or _("法人番号なし"),
            org.full_address,
        )

    @admin.display(description=_("発生した場面"))
    def places_display(self, obj):
        from .models import Place

        return self._labels(Place, obj.places)

    @admin.display(description=_("行為の類型"))
    def behaviour_display(self, obj):
        return self._labels(BehaviourType, obj.behaviour_types)

    @admin.display(description=_("被害の状況"))
    def damages_display(self, obj):
        from .models import Damage

        return self._labels(Damage, obj.damages)

    @admin.display(description=_("実施済みの対策"))
    def measures_display(self, obj):
        from .models import Measure

        return self._labels(Measure, obj.measures)

    @admin.display(description=_("希望する支援"))
    def support_display(self, obj):
        return self._labels(RequestedSupport, obj.requested_support)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "record/",
                self.admin_site.admin_view(self.record_view),
                name="{}_{}_record".format(*info),
            ),
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            path(
                "<int:pk>/act/<str:action>/",
                self.admin_site.admin_view(self.action_view),
                name="{}_{}_act".format(*info),
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:consultations_consultation_record")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_permission(request, obj):
            return super().change_view(request, object_id, form_url, extra_context)
        if request.method == "POST":
            # The read-only model form never saves; every change has its own panel.
            return redirect("admin:consultations_consultation_change", obj.pk)
        # Consultations are sensitive personal data (APPI): every staff view is access-logged.
        audit_record(actor=request.user, action="consultation.view", obj=obj)
        context = {
            **(extra_context or {}),
            **self._panels(request, obj),
        }
        return super().change_view(request, object_id, form_url, context)

    @staticmethod
    def _transition_buttons(obj) -> list[dict]:
        """One button per move the model's map allows from the case's status; a move that needs
        a reason (取下げ, 再開) gets a reason field."""
        status = Consultation.Status
        buttons = []
        for target in allowed_targets(obj):
            if target == status.IN_PROGRESS:
                name = "start" if obj.status == status.NEW else "reopen"
            else:
                name = TRANSITION_ACTIONS[target]
            label, reason_label = TRANSITION_LABELS[name]
            buttons.append(
                {
                    "name": name,
                    "label": label,
                    "reason_label": reason_label if reason_required(obj, target) else None,
                }
            )
        return buttons

    def _panels(self, request, obj):
        can_change = self.has_change_permission(request, obj)
        preview = dispatch_need_preview(obj) if can_change else []
        return {
            "can_act": can_change,
            "transitions": self._transition_buttons(obj),
            "assign_form": AssignForm(initial={"officer": obj.assigned_to_id}),
            "reply_form": MessageForm(prefix="reply"),
            "note_form": MessageForm(prefix="note"),
            "triage_form": TriageForm(
                initial={
                    "demand_reasonableness": obj.demand_reasonableness,
                    "means_acceptability": obj.means_acceptability,
                    "follow_up_on": obj.follow_up_on,
                }
            ),
            "dispatch_form": DispatchNeedForm(
                initial={
                    "needed": {True: "yes", False: "no"}.get(obj.dispatch_need),
                    "reason": obj.dispatch_need_reason,
                }
            ),
            "reason_form": ReasonForm(),
            "eligibility_preview": preview,
            "eligibility_failed": [rule for rule in preview if not rule.passed],
            "thread": obj.messages.select_related("author").prefetch_related("attachments"),
            "initial_attachments": obj.attachments.filter(message__isnull=True),
            "duplicate_consultations": consultation_duplicates(obj)[:20],
            "duplicate_organisations": organisation_duplicates(obj.organisation)[:20],
        }

    def action_view(self, request, pk, action):
        consultation = get_object_or_404(Consultation, pk=pk)
        if request.method != "POST":
            return redirect("admin:consultations_consultation_change", pk)
        if not self.has_change_permission(request, consultation):
            raise PermissionDenied
        prefix = action if action in ("reply", "note") else None
        form_class = ACTION_FORMS.get(action)
        form = form_class(request.POST, prefix=prefix) if form_class else None
        if form is not None and not form.is_valid():
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for error in errors:
                    messages.error(request, f"{label}：{error}" if label else error)
            return redirect("admin:consultations_consultation_change", pk)
        data = form.cleaned_data if form is not None else {}
        if action in TRANSITION_CONFIRMATIONS and not data.get("confirmed"):
            # A backward or destructive move: say what will happen before doing it.
            return self._confirm_page(request, consultation, action, form)
        user = request.user
        handlers = {
            "start": lambda: services.consultation_start(consultation=consultation, actor=user),
            "answer": lambda: services.consultation_mark_answered(
                consultation=consultation, actor=user
            ),
            "close": lambda: services.consultation_close(consultation=consultation, actor=user),
            "withdraw": lambda: services.consultation_withdraw(
                consultation=consultation, reason=data.get("reason", ""), actor=user
            ),
            "reopen": lambda: services.consultation_reopen(
                consultation=consultation, reason=data.get("reason", ""), actor=user
            ),
            "assign": lambda: services.consultation_assign(
                consultation=consultation, officer=data.get("officer"), actor=user
            ),
            "reply": lambda: services.consultation_reply_send(
                consultation=consultation, body=data["body"], actor=user
            ),
            "note": lambda: services.consultation_note_add(
                consultation=consultation, body=data["body"], actor=user
            ),
            "triage": lambda: services.consultation_triage_update(
                consultation=consultation, actor=user, **data
            ),
            "dispatch_need": lambda: services.consultation_dispatch_need_determine(
                consultation=consultation,
                needed=data["needed"],
                reason=data["reason"],
                check_eligibility=True,
                override_note=data.get("override_note", ""),
                actor=user,
            ),
        }
        if action not in handlers:
            raise Http404
        try:
            handlers[action]()
        except DomainError as error:
            messages.error(request, error.message)
        else:
            done = {
                "reply": _(
                    "回答を送信しました（事業者へメールでお知らせし、状況ページに表示されます）。"
                ),
                "note": _("内部メモを保存しました（事業者には表示されません）。"),
                "dispatch_need": _("専門家派遣の必要性の判断を記録しました。"),
                "withdraw": _("取下げにしました。事業者のご担当者にメールでお知らせします。"),
                "reopen": _("対応を再開しました。事業者のご担当者にメールでお知らせします。"),
            }
            messages.success(request, done.get(action, _("更新しました。")))
        return redirect("admin:consultations_consultation_change", pk)

    def _confirm_page(self, request, consultation, action, form):
        heading, explanation, button = TRANSITION_CONFIRMATIONS[action]
        _label, reason_label = TRANSITION_LABELS[action]
        form.fields["reason"].label = reason_label
        form["reason"].label = reason_label  # the bound field was made while validating
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": consultation,
            "title": heading,
            "explanation": explanation,
            "button": button,
            "form": form,
            "action_url": reverse(
                "admin:consultations_consultation_act", args=[consultation.pk, action]
            ),
        }
        return TemplateResponse(request, "admin/consultations/consultation/confirm.html", context)

    def record_view(self, request):
        """Desk staff record a consultation received by phone, visit or email."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StaffRecordForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                consultation = services.consultation_submit(
                    organisation_data=form.organisation_data(),
                    data=form.consultation_data(),
                    files=form.cleaned_data["attachments"],
                    channel=form.cleaned_data["channel"],
                    privacy_consented=form.cleaned_data["privacy_consent"],
                    received_at=form.cleaned_data["received_at"],
                    actor=request.user,
                )
            except DomainError as error:
                error.add_to_form(form)
            else:
                messages.success(
                    request,
                    _("相談 %(reference)s を記録しました。")
                    % {"reference": consultation.reference},
                )
                if consultation.organisation.possible_duplicate_of_id:
                    messages.warning(
                        request,
                        _(
                            "同じ事業者の可能性がある記録が登録されています。"
                            "相談画面の「重複の可能性」で比較し、同じ事業者であれば統合してください。"
                        ),
                    )
                return redirect("admin:consultations_consultation_change", consultation.pk)
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.opts,
            "title": _("電話・来所・メールの相談を記録する"),
            "channels": Channel,
        }
        return TemplateResponse(request, "admin/consultations/consultation/record.html", context)

    def export_view(self, request):
        """The filtered list as CSV (UTF-8 with BOM or Shift_JIS) or XLSX; every export is
        access-logged."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        file_format, encoding = export_options(request)
        # The changelist reads every other parameter as a filter.
        request.GET = request.GET.copy()
        request.GET.pop("format", None)
        request.GET.pop("encoding", None)
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request)
        stamp = clock.localtime().strftime("%Y%m%d-%H%M")
        return export_response(
            request,
            rows=services.consultations_export_rows(queryset),
            columns=services.EXPORT_COLUMNS,
            filename=f"consultations-{stamp}",
            format=file_format,
            encoding=encoding,
            what="consultation",
            details={"filters": filters_for_log(request.GET)},
        )
