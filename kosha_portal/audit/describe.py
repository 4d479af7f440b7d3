"""The audit trail as Japanese sentences for staff: 「状態を「対応中」に変更」「担当者を 窓口 花子 に
変更」, officer names rather than ids, and access events (views, downloads, exports) told apart
from the actions that changed something."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kosha_portal.japan.names import person_name

from .models import AuditEvent
from .services import COMPANY_ACTOR_PREFIX, ERASED_COMPANY_ACTOR

# Reading, downloading or exporting personal data: the access log (APPI: least access, logged).
ACCESS_SUFFIXES = (".view", ".download", ".export", ".export_csv")


def is_access_action(action: str) -> bool:
    return action.endswith(ACCESS_SUFFIXES)


SIMPLE = {
    "consultation.note": _("内部メモを追加"),
    "consultation.reply": _("回答を送信"),
    "consultation.anonymise": _("保存期間の経過により個人情報を消去"),
    "consultation.view": _("相談を閲覧"),
    "consultation.attachment.download": _("添付ファイルをダウンロード"),
    "access_link.revoke": _("個人用リンクを無効化"),
    "admin.add": _("管理画面で登録"),
    "admin.delete": _("管理画面で削除"),
    "organisation.create": _("事業者を登録"),
    "organisation.merge": _("重複していた事業者を統合"),
    "program_year.create": _("派遣事業年度を登録"),
    "expert.create": _("登録専門家を登録"),
    "school.cohort.create": _("スクールの期を登録"),
    "seminar.create": _("セミナーを登録"),
    "dispatch.apply": _("派遣申込を受付"),
    "dispatch.decide": _("派遣決定"),
    "dispatch.reject": _("不採択を決定"),
    "dispatch.withdraw": _("派遣申込を取下げ"),
    "dispatch.expire": _("派遣期間の満了により終了"),
    "dispatch.complete": _("完了報告を受領"),
    "dispatch.survey": _("派遣後アンケートの回答を受領"),
    "visit.cancel": _("派遣日程を取消し"),
    "visit.no_show": _("不実施（企業不在）を記録"),
    "visit.report": _("実施報告を受領"),
    "visit.confirm": _("事業者が実施報告を確認"),
    "visit.dispute": _("事業者が実施報告に異議"),
    "seminar.publish": _("セミナーを公開"),
    "seminar_registration.cancel": _("お申込みを取消し"),
    "seminar_registration.promote": _("キャンセル待ちから参加確定に繰り上げ"),
    "seminar_registration.check_in": _("出席を記録"),
    "seminar_registration.check_in_undo": _("出席の記録を取消し"),
    "seminar_registration.resend": _("確認メールを再送"),
    "seminar_registration.reminder_early": _("3営業日前のリマインダーを送信"),
    "seminar_registration.reminder_eve": _("前日のリマインダーを送信"),
    "seminar_registration.thanks": _("お礼メールを送信"),
    "seminar_survey.submit": _("アンケートの回答を受領"),
    "school.coaching.record": _("個別支援を記録"),
    "school.certificate.issue": _("修了証を交付"),
    "document.request": _("帳票の作成を依頼"),
    "document.download": _("帳票をダウンロード"),
    "email.retry": _("メールの再送信を指示"),
    "retention.sweep": _("保存期間を過ぎた個人情報を消去"),
    "privacy.search": _("開示・削除請求のため保有個人データを検索"),
    "privacy.export": _("開示請求に応じて保有個人データを書き出し"),
    "privacy.erase": _("削除請求に応じて個人情報を消去"),
    "privacy.erased": _("本人からの削除請求により個人情報を消去"),
    "retention.anonymise": _("保存期間の経過により個人情報を消去"),
}


@dataclass
class DescribedEvent:
    event: AuditEvent
    text: str
    actor: str
    is_access: bool


def _model(event):
    return event.content_type.model_class() if event.content_type_id else None


def _status_label(model, value) -> str:
    status = getattr(model, "Status", None)
    if status is not None:
        try:
            return str(status(value).label)
        except ValueError:
            pass
    return str(value)


def _field_labels(model, names) -> str:
    labels = []
    for name in names or []:
        if name == "__created__":
            continue
        try:
            labels.append(str(model._meta.get_field(name).verbose_name) if model else name)
        except FieldDoesNotExist:
            labels.append(name)
    return gettext("、").join(labels)


def _bool_label(value) -> str:
    return {True: gettext("あり"), False: gettext("なし")}.get(value, gettext("未判断"))


def describe(event: AuditEvent, users: dict) -> str:  # noqa: C901 - one branch per kind of event
    """One event as a Japanese sentence."""
    action, changes, model = event.action, event.changes or {}, _model(event)
    reason = changes.get("reason")
    suffix = gettext("（理由：%(reason)s）") % {"reason": reason} if reason else ""
    if action.startswith("consultation.status.") or (
        action.startswith(("school.application.", "school.cohort."))
        and "to" in changes
        and "from" in changes
    ):
        return (
            gettext("状態を「%(to)s」に変更") % {"to": _status_label(model, changes.get("to"))}
            + suffix
        )
    if action == "consultation.assign":
        officer = users.get(changes.get("to"))
        if officer is None and isinstance(changes.get("to"), int):
            officer = get_user_model().objects.filter(pk=changes["to"]).first()
        if changes.get("to") is None:
            return gettext("担当者の割当てを解除")
        return gettext("担当者を %(name)s に変更") % {
            "name": person_name(officer) if officer else gettext("（削除された職員）")
        }
    if action == "consultation.submit":
        from consultations.models import Channel

        channel = changes.get("channel")
        label = str(Channel(channel).label) if channel in Channel.values else ""
        return gettext("相談を受付（%(channel)s・添付%(count)s件）") % {
            "channel": label,
            "count": changes.get("attachments", 0),
        }
    if action == "consultation.triage":
        from consultations.models import Assessment

        def assessment(code):
            return str(dict(Assessment.choices).get(code or "", code))

        return gettext(
            "判断を記録（要求内容の妥当性：%(demand)s、手段・態様の相当性：%(means)s）"
        ) % {
            "demand": assessment(changes.get("demand_reasonableness")),
            "means": assessment(changes.get("means_acceptability")),
        }
    if action == "consultation.dispatch_need":
        return gettext("専門家派遣の必要性を「%(value)s」と判断") % {
            "value": _bool_label(changes.get("to"))
        }
    if action == "consultation.company_message":
        return gettext("事業者からメッセージを受信（添付%(count)s件）") % {
            "count": changes.get("attachments", 0)
        }
    if action.endswith((".export", ".export_csv")):
        return gettext("一覧を書き出し（%(rows)s件・%(format)s）") % {
            "rows": changes.get("rows", "-"),
            "format": str(changes.get("format", "csv")).upper(),
        }
    if action.startswith("organisation."):
        text = _describe_organisation(action, changes, model)
        if text:
            return text
    if action in FIELD_CHANGE_ACTIONS and changes.get("fields") and model is not None:
        return _describe_field_changes(model, changes)
    if action in ("admin.change", "organisation.update"):
        return gettext("%(fields)s を変更") % {
            "fields": _field_labels(model, changes.get("fields"))
        }
    if action == "access_link.revoke_all":
        return gettext("個人用リンクを無効化（%(count)s件）") % {"count": changes.get("count", 0)}
    if action == "dispatch.attestations_check":
        return gettext("確認事項への回答を確認（%(count)s件）") % {"count": changes.get("count", 0)}
    if action == "visit.schedule":
        return gettext("第%(number)s回の日程を登録（%(date)s）") % {
            "number": changes.get("number", ""),
            "date": changes.get("date", ""),
        }
    if action == "seminar.cancel":
        return (
            gettext("セミナーを中止（%(count)s名に通知）") % {"count": changes.get("notified", 0)}
            + suffix
        )
    if action == "seminar.finish":
        return gettext("終了処理（欠席%(count)s名）") % {"count": changes.get("no_shows", 0)}
    if action == "seminar_registration.create":
        from seminars.models import Registration

        return gettext("お申込みを受付（%(status)s）") % {
            "status": _status_label(Registration, changes.get("status"))
        }
    if action == "school.application.submit":
        return gettext("スクールのお申込みを受付（参加者%(count)s名）") % {
            "count": changes.get("participants", 0)
        }
    if action == "school.roster.import":
        return gettext("名簿を取込み（%(count)s社）") % {"count": changes.get("companies", 0)}
    if action == "school.attendance.record":
        return gettext("出欠を記録（%(count)s件）") % {"count": changes.get("cells", 0)}
    if action in SIMPLE:
        return str(SIMPLE[action]) + suffix
    return action + suffix


def _organisation_value(model, name, value) -> str:
    if value in ("", None):
        return gettext("（空欄）")
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if name == "capital_yen":
        return gettext("%(amount)s円") % {"amount": f"{int(value):,}"}
    return str(value)


def _describe_field_changes(model, changes: dict) -> str:
    """「業種を「その他の業種」から「小売業」に変更、電話番号を変更」: values where the event kept
    them (non-personal fields), the field's name alone otherwise."""
    parts = []
    values = changes.get("values") or {}
    for name in changes.get("fields") or []:
        label = _field_labels(model, [name])
        if name in values:
            old, new = values[name]
            parts.append(
                gettext("%(field)sを「%(old)s」から「%(new)s」に変更")
                % {
                    "field": label,
                    "old": _organisation_value(model, name, old),
                    "new": _organisation_value(model, name, new),
                }
            )
        else:
            parts.append(gettext("%(field)sを変更") % {"field": label})
    return gettext("、").join(parts)


# Staff edits of configuration records, saved through their services.
FIELD_CHANGE_ACTIONS = (
    "program_year.update",
    "expert.update",
    "school.cohort.update",
    "seminar.update",
)


def _describe_organisation(action: str, changes: dict, model) -> str | None:
    """The registry's events: what a merge kept from which record, a staff edit's values,
    blanks a form filled in, a possible duplicate flagged or dismissed."""
    if model is None:
        return None
    if action == "organisation.merge" and "kept" in changes:
        moved = sum(int(n) for n in (changes.get("moved") or {}).values())
        parts = []
        values = changes.get("values") or {}
        for name, side in (changes.get("kept") or {}).items():
            label = _field_labels(model, [name])
            if name in values:
                kept, other = values[name] if side == "keep" else reversed(values[name])
                parts.append(
                    gettext("%(field)s「%(kept)s」を採用（他方は「%(other)s」）")
                    % {
                        "field": label,
                        "kept": _organisation_value(model, name, kept),
                        "other": _organisation_value(model, name, other),
                    }
                )
            else:
                parts.append(
                    gettext("%(field)sは%(side)sの値を採用")
                    % {
                        "field": label,
                        "side": gettext("この記録") if side == "keep" else gettext("統合元"),
                    }
                )
        text = gettext("%(removed)sを統合（関連する記録%(count)s件を移動）") % {
            "removed": changes.get("removed", ""),
            "count": moved,
        }
        return text + (gettext("：") + gettext("、").join(parts) if parts else "")
    if action == "organisation.update" and (changes.get("values") or "confirmed" in changes):
        parts = [_describe_field_changes(model, changes)] if changes.get("fields") else []
        if changes.get("confirmed") is True:
            parts.append(gettext("登記情報を確認済みにした"))
        elif changes.get("confirmed") is False:
            parts.append(gettext("登記情報の確認を取り消した"))
        return gettext("、").join(parts)
    if action == "organisation.fill":
        return gettext("申込の入力で、空欄だった%(fields)sを補完") % {
            "fields": _field_labels(model, changes.get("fields"))
        }
    if action == "organisation.create" and changes.get("possible_duplicate_of"):
        from companies.models import DuplicateBasis

        basis = changes.get("basis")
        return gettext("事業者を登録（事業者ID %(pk)s と同じ事業者の可能性あり：%(basis)s）") % {
            "pk": changes["possible_duplicate_of"],
            "basis": str(DuplicateBasis(basis).label) if basis in DuplicateBasis.values else "",
        }
    if action == "organisation.duplicate_dismiss":
        return gettext("事業者ID %(pk)s とは別の事業者であることを確認") % {
            "pk": changes.get("other", "")
        }
    return None


def actor_display(event: AuditEvent) -> str:
    if event.actor_id and event.actor is not None:
        return person_name(event.actor)
    label = event.actor_label
    if label == "system":
        return gettext("システム")
    if label == ERASED_COMPANY_ACTOR:
        return gettext("事業者（個人情報は消去済み）")
    if label.startswith(COMPANY_ACTOR_PREFIX):
        return gettext("事業者（個人用リンク）")
    if label == "anonymous":
        return gettext("ログインしていない利用者")
    return label


def describe_events(events) -> list[DescribedEvent]:
    """Sentences for ``events`` (officers named with one query)."""
    events = list(events)
    officer_ids = {
        e.changes.get("to")
        for e in events
        if e.action == "consultation.assign" and isinstance(e.changes.get("to"), int)
    }
    users = (
        {u.pk: u for u in get_user_model().objects.filter(pk__in=officer_ids)}
        if officer_ids
        else {}
    )
    return [
        DescribedEvent(
            event=e,
            text=describe(e, users),
            actor=actor_display(e),
            is_access=is_access_action(e.action),
        )
        for e in events
    ]
