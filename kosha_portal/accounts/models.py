import hashlib

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin

from kosha_portal import clock


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AccessLink(models.Model):
    """A personal, expiring, revocable link for a company contact (no password needed).

    Only the SHA-256 of the token is stored. A link grants access to its target object only (and
    to what derives from it, e.g. the dispatch of a consultation); ``organisation`` records whose
    link it is and grants nothing."""

    created_at = models.DateTimeField(_("発行日時"), auto_now_add=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    email = models.EmailField(_("メールアドレス"), db_index=True)
    organisation = models.ForeignKey(
        "companies.Organisation",
        verbose_name=_("事業者"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="access_links",
    )
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    expires_at = models.DateTimeField(_("有効期限"))
    revoked_at = models.DateTimeField(_("無効化日時"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最終利用日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("個人用リンク")
        verbose_name_plural = _("個人用リンク")
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        # No address here: the text lands in audit events and admin messages.
        created = timezone.localtime(self.created_at).date().isoformat() if self.created_at else ""
        return gettext("個人用リンク #%(id)s（%(date)s 発行）") % {"id": self.pk, "date": created}

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > clock.now()


# --- staff and expert accounts -------------------------------------------------------------------


class AccountProfile(models.Model):
    """What the portal keeps about a password account beyond Django's user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ユーザー"),
        on_delete=models.CASCADE,
        related_name="account_profile",
    )
    is_demo = models.BooleanField(
        _("デモ用アカウント"),
        default=False,
        help_text=_(
            "manage.py load_demo が作成したアカウントです（パスワードは開発環境でのみ表示されます）。"
        ),
    )

    class Meta:
        verbose_name = _("アカウント情報")
        verbose_name_plural = _("アカウント情報")

    def __str__(self):
        return gettext("アカウント情報 #%(id)s") % {"id": self.pk}


class Invitation(models.Model):
    """A single-use, expiring link that lets a new staff member or expert set a password and
    enrol a second factor. Only the SHA-256 of the token is stored; a new invitation revokes the
    open ones of the same user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ユーザー"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("送信日時"), default=clock.now)
    expires_at = models.DateTimeField(_("有効期限"))
    accepted_at = models.DateTimeField(_("利用日時"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("無効化日時"), null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("送信者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("招待")
        verbose_name_plural = _("招待")

    def __str__(self):
        created = timezone.localtime(self.created_at).date().isoformat() if self.created_at else ""
        return gettext("招待 #%(id)s（%(date)s 送信）") % {"id": self.pk, "date": created}

    @property
    def is_usable(self) -> bool:
        return (
            self.accepted_at is None and self.revoked_at is None and self.expires_at > clock.now()
        )


class LoginSession(models.Model):
    """One password login: the session it opened (so that it can be ended at once when the
    account is deactivated, loses a role or has its second factor reset), and the login history
    the user and the administrators see."""

    class Factor(models.TextChoices):
        NONE = "", _("未確認")
        TOTP = "totp", _("認証アプリ")
        RECOVERY = "recovery", _("リカバリーコード")
        EXEMPT = "exempt", _("不要")

    class EndReason(models.TextChoices):
        LOGOUT = "logout", _("ログアウト")
        DEACTIVATED = "deactivated", _("利用停止")
        ROLE_REMOVED = "role_removed", _("権限の変更")
        FACTORS_RESET = "factors_reset", _("二段階認証のリセット")
        PASSWORD_CHANGED = "password_changed", _("パスワードの変更")
        DEVICE_REMOVED = "device_removed", _("認証アプリの削除")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ユーザー"),
        on_delete=models.CASCADE,
        related_name="login_sessions",
    )
    session_key = models.CharField(max_length=40, db_index=True, editable=False)
    started_at = models.DateTimeField(_("ログイン日時"), default=clock.now)
    ip_address = models.GenericIPAddressField(_("接続元アドレス"), null=True, blank=True)
    user_agent = models.CharField(_("ブラウザ"), max_length=300, blank=True)
    verified_at = models.DateTimeField(_("二段階認証の日時"), null=True, blank=True)
    factor = models.CharField(
        _("二段階認証の方法"), max_length=20, choices=Factor.choices, blank=True, default=""
    )
    ended_at = models.DateTimeField(_("終了日時"), null=True, blank=True)
    end_reason = models.CharField(
        _("終了の理由"), max_length=30, choices=EndReason.choices, blank=True, default=""
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("ログイン履歴")
        verbose_name_plural = _("ログイン履歴")
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self):
        return gettext("ログイン #%(id)s") % {"id": self.pk}


class RecoveryCodeDevice(ThrottlingMixin, Device):
    """Ten single-use recovery codes (リカバリーコード), for when the authenticator app is not at
    hand. django-otp's static device keeps its tokens in clear text; here only the SHA-256 of
    each code is stored (the codes carry 80 random bits, so a hash without salt is enough), and
    they are shown once, when they are made."""

    created_at = models.DateTimeField(_("作成日時"), default=clock.now)

    class Meta(Device.Meta):
        verbose_name = _("リカバリーコード")
        verbose_name_plural = _("リカバリーコード")

    def get_throttle_factor(self):
        return getattr(settings, "OTP_RECOVERY_THROTTLE_FACTOR", 1)

    def verify_token(self, token):
        """Consume one code; the caller holds the device row locked (django-otp's verify)."""
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        code = self.codes.filter(code_hash=recovery_code_hash(token)).first() if token else None
        if code is None:
            self.throttle_increment(commit=True)
            return False
        code.delete()
        self.throttle_reset(commit=True)
        return True


def recovery_code_normalise(code: str) -> str:
    """What the user typed, without spaces, dashes or case: 'abcd-efgh' and 'ABCDEFGH' agree."""
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def recovery_code_hash(code: str) -> str:
    return token_hash(recovery_code_normalise(code))


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64, editable=False)

    class Meta:
        verbose_name = _("リカバリーコード")
        verbose_name_plural = _("リカバリーコード")
        constraints = [
            models.UniqueConstraint(fields=["device", "code_hash"], name="recovery_code_unique")
        ]

    def __str__(self):
        return gettext("リカバリーコード #%(id)s") % {"id": self.pk}
