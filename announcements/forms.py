import logging

from django import forms
from django.conf import settings
from django.urls import reverse_lazy
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from companies.sme import Industry
from kosha_portal.japan.forms import NormalizedEmailField
from kosha_portal.reports.municipalities import OUTSIDE_TOKYO, TOKYO_MUNICIPALITIES

from .models import Announcement

logger = logging.getLogger(__name__)

OPT_IN_FIELD = "announcement_opt_in"
OPT_IN_LABEL = _("公社からのセミナー・支援事業のお知らせをメールで受け取る")


def _opt_in_help():
    return format_html(
        '{} <a href="{}#notice" target="_blank" rel="noopener">{}</a>',
        _("任意です。配信はいつでも、メール末尾のリンクから停止できます。"),
        reverse_lazy("announcements:subscribe"),
        _("お知らせメールについて（新しいタブで開きます）"),
    )


def municipality_choices():
    return [(name, name) for _code, name, _posuto in TOKYO_MUNICIPALITIES] + [
        (OUTSIDE_TOKYO, _("東京都外"))
    ]


class AnnouncementOptInMixin(forms.Form):
    """The unticked opt-in of every public form. Put it first among the bases, place the field
    (``announcement_opt_in``) after the privacy consent, and call ``announcement_opt_in_record``
    in the view once the form's own service has saved the submission."""

    announcement_opt_in = forms.BooleanField(
        label=OPT_IN_LABEL, required=False, initial=False, help_text=lazy(_opt_in_help, str)()
    )

    def announcement_opt_in_record(self, request, *, source: str, email: str, organisation=None):
        """Record the opt-in if it was ticked. An opt-in that cannot be recorded is logged and
        not retried: the submission itself is saved, and without a record nothing is sent."""
        if not self.cleaned_data.get(OPT_IN_FIELD):
            return None
        from kosha_portal.clientip import client_ip
        from kosha_portal.mail.failures import exception_reason
        from kosha_portal.mail.services import current_language

        from .services import subscription_opt_in

        try:
            return subscription_opt_in(
                email=email,
                source=source,
                client_ip=client_ip(request),
                language=current_language(),
                organisation=organisation,
            )
        except Exception as exc:  # noqa: BLE001 - the form's own submission is already saved
            logger.error("announcement opt-in not recorded: %s", exception_reason(exc))
            return None


class SubscribeForm(forms.Form):
    email = NormalizedEmailField(
        label=_("メールアドレス"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"required": _("メールアドレスを入力してください。")},
    )
    industry = forms.ChoiceField(
        label=_("業種（任意）"),
        required=False,
        choices=[("", _("選択しない"))] + list(Industry.CHOICES),
        help_text=_("業種に合わせたお知らせをお送りするために使います。"),
    )
    municipality = forms.ChoiceField(
        label=_("事業所の所在地（区市町村・任意）"),
        required=False,
        choices=lazy(lambda: [("", _("選択しない"))] + municipality_choices(), list)(),
    )
    # A field people never see; bots that fill every input give themselves away.
    website = forms.CharField(
        label=_("この欄は空欄のままにしてください"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )


class AnnouncementAdminForm(forms.ModelForm):
    industries = forms.MultipleChoiceField(
        label=_("業種"),
        choices=Industry.CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("選んだ業種のいずれかに当てはまる登録者に送ります。"),
    )
    municipalities = forms.MultipleChoiceField(
        label=_("区市町村"),
        choices=lazy(municipality_choices, list)(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("選んだ区市町村のいずれかの登録者に送ります（Ctrl キーで複数選べます）。"),
    )

    class Meta:
        model = Announcement
        fields = [
            "subject",
            "body_text",
            "body_html",
            "audience_all",
            "industries",
            "municipalities",
            "seminar_participants",
            "school_alumni",
        ]
        widgets = {
            "body_text": forms.Textarea(attrs={"rows": 16, "cols": 90}),
            "body_html": forms.Textarea(attrs={"rows": 8, "cols": 90}),
        }

    def clean(self):
        cleaned = super().clean()
        has_filter = any(
            cleaned.get(name)
            for name in ("industries", "municipalities", "seminar_participants", "school_alumni")
        )
        if not cleaned.get("audience_all") and not has_filter:
            self.add_error(
                "audience_all",
                _("配信先の条件を1つ以上選ぶか、「すべての登録者に送る」を選んでください。"),
            )
        return cleaned


class ScheduleForm(forms.Form):
    when = forms.ChoiceField(
        label=_("送信のタイミング"),
        choices=[("now", _("今すぐ送信する")), ("later", _("日時を指定して予約する"))],
        initial="now",
        widget=forms.RadioSelect,
    )
    send_at = forms.DateTimeField(
        label=_("送信日時"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("日本時間で指定してください。"),
    )
    expected = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    confirm = forms.BooleanField(
        label=_("送信したメールは取り消せないことを確認しました"),
        error_messages={"required": _("送信前の確認にチェックを入れてください。")},
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("when") == "later" and not cleaned.get("send_at"):
            self.add_error("send_at", _("予約する日時を入力してください。"))
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        error_messages={"required": _("理由を入力してください。")},
    )


def notice_version() -> str:
    return settings.ANNOUNCEMENT_NOTICE_VERSION
