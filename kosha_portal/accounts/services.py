"""Personal access links for company contacts, and the session grants they give."""

import secrets
from datetime import UTC, datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from kosha_portal import clock
from kosha_portal.audit.services import audit_record
from kosha_portal.errors import DomainError

from .models import (
    AccessLink,
    AccountProfile,
    Invitation,
    LoginSession,
    RecoveryCodeDevice,
    recovery_code_hash,
    token_hash,
)
from .roles import ADMINISTRATORS, DESK_STAFF, EXPERTS, ROLE_LABELS

SESSION_KEY = "portal_grants"


def access_link_issue(
    *, email: str, organisation=None, target=None, lifetime_days: int | None = None
) -> tuple[AccessLink, str]:
    """Create a link and return it with its raw token (shown once, in the email that carries it)."""
    link, token = access_link_build(
        email=email, organisation=organisation, target=target, lifetime_days=lifetime_days
    )
    link.save(force_insert=True)
    return link, token


def access_link_build(
    *, email: str, organisation=None, target=None, lifetime_days: int | None = None
) -> tuple[AccessLink, str]:
    """The link ``access_link_issue`` would create, unsaved, with its raw token: for a write that
    saves it together with other rows (``kosha_portal.database.insert_together``)."""
    token = secrets.token_urlsafe(32)
    days = lifetime_days or settings.ACCESS_LINK_LIFETIME_DAYS
    link = AccessLink(
        token_hash=token_hash(token),
        email=email.lower(),
        organisation=organisation,
        content_type=ContentType.objects.get_for_model(target) if target is not None else None,
        object_id=str(target.pk) if target is not None else "",
        expires_at=clock.now() + timedelta(days=days),
    )
    return link, token


def access_link_url(token: str) -> str:
    return settings.SITE_URL + reverse("accounts:access_link", args=[token])


def access_link_resolve(token: str) -> AccessLink | None:
    if not token or len(token) > 100:
        return None
    link = AccessLink.objects.filter(token_hash=token_hash(token)).first()
    if link is None or not link.is_active:
        return None
    AccessLink.objects.filter(pk=link.pk).update(last_used_at=clock.now())
    return link


def access_link_revoke(*, link: AccessLink, actor) -> None:
    with transaction.atomic():
        AccessLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=clock.now()
        )
        audit_record(actor=actor, action="access_link.revoke", obj=link)


def access_links_revoke_for(*, target, actor) -> int:
    """Revoke every link to ``target`` (e.g. when a consultation is closed for good)."""
    links = AccessLink.objects.filter(
        content_type=ContentType.objects.get_for_model(target),
        object_id=str(target.pk),
        revoked_at__isnull=True,
    )
    count = links.update(revoked_at=clock.now())
    if count:
        audit_record(
            actor=actor, action="access_link.revoke_all", obj=target, changes={"count": count}
        )
    return count


# --- session grants ------------------------------------------------------------------------------
#
# A link grants access to its target object only (and to what derives from it, which the caller
# passes as ``via``), never to a whole organisation: anyone can type a company's 法人番号 into a
# public form and receive a link, so an organisation-wide grant would open the company's records
# to strangers. ``AccessLink.organisation`` records whose link it is and grants nothing.

GRANTS_CACHE_ATTR = "_portal_grants"


def _target_key(obj) -> str:
    return f"{ContentType.objects.get_for_model(obj).pk}:{obj.pk}"


def portal_grant(request, link: AccessLink) -> None:
    grants = [g for g in request.session.get(SESSION_KEY, []) if g["link"] != link.pk]
    grants.append(
        {
            "link": link.pk,
            "target": (
                f"{link.content_type_id}:{link.object_id}" if link.content_type_id else None
            ),
            "email": link.email,
            "expires": link.expires_at.timestamp(),
        }
    )
    if SESSION_KEY not in request.session:
        request.session.cycle_key()
    request.session[SESSION_KEY] = grants[-20:]
    _limit_session_to_grants(request, grants[-20:])
    request.__dict__.pop(GRANTS_CACHE_ATTR, None)


def _limit_session_to_grants(request, grants: list[dict]) -> None:
    """A visitor who only holds personal links keeps the session no longer than the latest of
    them is valid (and never longer than SESSION_COOKIE_AGE). A logged-in user's session follows
    the staff rules instead (accounts.middleware)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return
    if not grants:
        return
    now = clock.now()
    latest = datetime.fromtimestamp(max(g["expires"] for g in grants), tz=UTC)
    request.session.set_expiry(min(latest, now + timedelta(seconds=settings.SESSION_COOKIE_AGE)))


def _active_grants(request) -> list[dict]:
    """The visitor's live grants, loaded once per request (one query) and then checked in Python."""
    cached = getattr(request, GRANTS_CACHE_ATTR, None)
    if cached is not None:
        return cached
    now = clock.now()
    stored = request.session.get(SESSION_KEY, [])
    grants = [g for g in stored if g["expires"] > now.timestamp() and g.get("target")]
    if grants:
        # A link revoked, or made to expire, after it was opened stops working at once.
        live = set(
            AccessLink.objects.filter(
                pk__in=[g["link"] for g in grants], revoked_at__isnull=True, expires_at__gt=now
            ).values_list("pk", flat=True)
        )
        grants = [g for g in grants if g["link"] in live]
    if stored and len(grants) != len(stored):
        _grants_prune(request, grants)
    setattr(request, GRANTS_CACHE_ATTR, grants)
    return grants


def _grants_prune(request, grants: list[dict]) -> None:
    """Forget dead grants; when none is left, a visitor's personal-link session ends."""
    if grants:
        request.session[SESSION_KEY] = grants
        _limit_session_to_grants(request, grants)
        return
    request.session.pop(SESSION_KEY, None)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        request.session.flush()


def portal_emails(request) -> set[str]:
    return {g["email"] for g in _active_grants(request)}


def portal_target_ids(request, model) -> set[str]:
    """Primary keys (as stored, i.e. strings) of the ``model`` objects the visitor's links target."""
    prefix = f"{ContentType.objects.get_for_model(model).pk}:"
    return {
        g["target"].removeprefix(prefix)
        for g in _active_grants(request)
        if g["target"].startswith(prefix)
    }


def portal_can_access(request, obj, *, via=()) -> bool:
    """True when a live link of the visitor targets ``obj`` or one of the objects in ``via``
    (those ``obj`` derives from, e.g. the consultation a dispatch came from)."""
    grants = _active_grants(request)
    if not grants:
        return False
    keys = {_target_key(o) for o in (obj, *via) if o is not None}
    return any(g["target"] in keys for g in grants)


def portal_has_any(request) -> bool:
    return bool(_active_grants(request))


def portal_leave(request) -> None:
    request.session.pop(SESSION_KEY, None)
    request.__dict__.pop(GRANTS_CACHE_ATTR, None)


def access_links_resend(*, email: str) -> int:
    """Issue fresh links for everything the address ever had a link to, in one email.

    Returns the number of links (0 for an unknown address); callers must not reveal it."""
    from kosha_portal.mail.services import current_language, email_enqueue

    email = email.strip().lower()
    # Revoked links stay revoked: their targets get no new link. Links without a target grant
    # nothing, so they are not renewed either.
    targets = {}
    for link in AccessLink.objects.filter(
        email=email, revoked_at__isnull=True, content_type__isnull=False
    ).select_related("content_type"):
        targets.setdefault((link.content_type_id, link.object_id), link)
    if not targets:
        return 0
    entries = []
    with transaction.atomic():
        for old in targets.values():
            target = old.target
            if target is None:
                continue
            link, token = access_link_issue(
                email=email, organisation=old.organisation, target=target
            )
            entries.append({"label": str(target), "url": access_link_url(token)})
        if entries:
            email_enqueue(
                to=email,
                template="accounts/emails/links_resend",
                context={"entries": entries},
                language=current_language(),
            )
    return len(entries)


# --- staff and expert accounts -------------------------------------------------------------------
#
# Password accounts (desk staff, administrators, experts) are created without a password and get
# an invitation; they pass a second factor at every login. Every login opens a LoginSession row
# naming its session, so that deactivating an account, removing a role or resetting its second
# factor deletes exactly that account's sessions at once (docs/architecture.md, "Accounts").

LOGIN_SESSION_KEY = "_kosha_login_session"
REAUTH_AT_KEY = "_kosha_reauth_at"
PENDING_TOTP_KEY = "_kosha_pending_totp"
FRESH_CODES_KEY = "_kosha_fresh_recovery_codes"

ROLE_CHOICES = (
    (DESK_STAFF, ROLE_LABELS[DESK_STAFF]),
    (EXPERTS, ROLE_LABELS[EXPERTS]),
    (ADMINISTRATORS, ROLE_LABELS[ADMINISTRATORS]),
)


def _display_name(user) -> str:
    name = f"{user.last_name} {user.first_name}".strip()
    return name or user.get_username()


def account_notice_send(*, user, event: str, at=None, ip: str = "", extra: dict | None = None):
    """Tell the account holder, by email, that something changed in their account's security
    (the outbox sends it once the surrounding transaction commits)."""
    from kosha_portal.mail.services import email_enqueue

    if not user.email:
        return None
    at = timezone.localtime(at or clock.now())
    return email_enqueue(
        to=user.email,
        template="accounts/emails/security_notice",
        context={
            "event": event,
            "name": _display_name(user),
            "username": user.get_username(),
            "at": at,
            "ip": ip,
            **(extra or {}),
        },
        language=settings.LANGUAGE_CODE,
        related=user,
    )


# --- invitations ---------------------------------------------------------------------------------


def invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("accounts:invitation", args=[token])


def invitation_send(*, user, actor) -> Invitation:
    """Issue a new invitation for ``user`` and email it; every open invitation of the user stops
    working (a resent invitation replaces the earlier one)."""
    from kosha_portal.mail.services import email_enqueue

    if not user.is_active:
        raise DomainError(
            gettext("利用停止中のアカウントには招待を送れません。先に利用を再開してください。"),
            code="inactive",
        )
    if not user.email:
        raise DomainError(
            gettext("メールアドレスが登録されていないため、招待を送れません。"),
            code="no_email",
            field="email",
        )
    now = clock.now()
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        revoked = Invitation.objects.filter(
            user=user, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        token = secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            user=user,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + timedelta(hours=settings.ACCOUNT_INVITATION_LIFETIME_HOURS),
            invited_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        email_enqueue(
            to=user.email,
            template="accounts/emails/invitation",
            context={
                "name": _display_name(user),
                "username": user.get_username(),
                "roles": [str(ROLE_LABELS[r]) for r in user_roles(user)],
                "url": invitation_url(token),
                "expires_at": timezone.localtime(invitation.expires_at),
            },
            language=settings.LANGUAGE_CODE,
            related=user,
        )
        audit_record(
            actor=actor,
            action="account.invitation_send",
            obj=user,
            changes={"invitation": invitation.pk, "replaced": revoked},
        )
    return invitation


def invitation_resolve(token: str) -> Invitation | None:
    """The usable invitation the token belongs to, or None (unknown, used, replaced, expired)."""
    if not token or len(token) > 100 or token.startswith("sealed-"):
        return None
    invitation = (
        Invitation.objects.select_related("user").filter(token_hash=token_hash(token)).first()
    )
    if invitation is None or not invitation.is_usable or not invitation.user.is_active:
        return None
    return invitation


def invitation_accept(*, invitation: Invitation, password: str):
    """Set the invitee's first password; the invitation cannot be used again."""
    from django.contrib.auth import password_validation

    with transaction.atomic():
        locked = Invitation.objects.select_for_update().select_related("user").get(pk=invitation.pk)
        if not locked.is_usable or not locked.user.is_active:
            raise DomainError(
                gettext("この招待リンクは使用済みか、有効期限が切れています。"), code="used"
            )
        user = locked.user
        password_validation.validate_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
        locked.accepted_at = clock.now()
        locked.save(update_fields=["accepted_at"])
        audit_record(
            actor=user,
            action="account.invitation_accept",
            obj=user,
            changes={"invitation": locked.pk},
        )
    return user


def user_roles(user) -> list[str]:
    names = set(user.groups.values_list("name", flat=True))
    return [role for role, _label in ROLE_CHOICES if role in names]


def user_invite(*, username: str, email: str, last_name: str, first_name: str, role: str, actor):
    """Create a staff, administrator or expert account without a password and send the
    invitation that lets the person set one and enrol a second factor."""
    from django.contrib.auth.models import Group

    User = get_user_model()
    username = username.strip()
    email = email.strip().lower()
    if role not in dict(ROLE_CHOICES):
        raise DomainError(gettext("役割を選択してください。"), code="role", field="role")
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(
            gettext("このユーザー名はすでに使われています。別のユーザー名を入力してください。"),
            code="username_taken",
            field="username",
        )
    if User.objects.filter(email__iexact=email).exists():
        raise DomainError(
            gettext("このメールアドレスのアカウントはすでにあります。"),
            code="email_taken",
            field="email",
        )
    with transaction.atomic():
        user = User(
            username=username,
            email=email,
            last_name=last_name.strip(),
            first_name=first_name.strip(),
            is_staff=role in (DESK_STAFF, ADMINISTRATORS),
            is_superuser=role == ADMINISTRATORS,
        )
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=role))
        AccountProfile.objects.create(user=user)
        audit_record(actor=actor, action="account.create", obj=user, changes={"role": role})
        invitation_send(user=user, actor=actor)
    return user


# --- the login index -----------------------------------------------------------------------------


def _ip_or_none(request) -> str | None:
    import ipaddress

    from kosha_portal.clientip import client_ip

    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def login_session_open(sender, request, user, **kwargs):
    """At every password login (user_logged_in): index the session under the user."""
    from .factors import factor_required

    if request is None or not hasattr(request, "session"):
        return
    if request.session.session_key is None:
        request.session.save()
    row = LoginSession.objects.create(
        user=user,
        session_key=request.session.session_key,
        started_at=clock.now(),
        ip_address=_ip_or_none(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        factor="" if factor_required(user) else LoginSession.Factor.EXEMPT,
    )
    request.session[LOGIN_SESSION_KEY] = row.pk


def login_session_close(sender, request, user, **kwargs):
    """At logout (user_logged_out): the session is over."""
    if request is None or not hasattr(request, "session"):
        return
    pk = request.session.get(LOGIN_SESSION_KEY)
    if pk:
        LoginSession.objects.filter(pk=pk, ended_at__isnull=True).update(
            ended_at=clock.now(), end_reason=LoginSession.EndReason.LOGOUT
        )


def login_session_follow_key(request) -> None:
    """The session's key changed during this request (login, second factor, password change):
    keep the index pointing at it."""
    pk = request.session.get(LOGIN_SESSION_KEY)
    key = request.session.session_key
    if pk and key:
        LoginSession.objects.filter(pk=pk, ended_at__isnull=True).exclude(session_key=key).update(
            session_key=key
        )


def user_sessions_end(*, user, reason: str, keep_login: int | None = None) -> int:
    """Delete every open session of ``user`` from the session store (the next request is
    anonymous and goes to the login page) and close their index rows; ``keep_login`` spares one
    (the request's own, after a password change)."""
    engine = import_module(settings.SESSION_ENGINE)
    rows = LoginSession.objects.filter(user=user, ended_at__isnull=True)
    if keep_login:
        rows = rows.exclude(pk=keep_login)
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        engine.SessionStore(session_key=key).delete()
    rows.update(ended_at=clock.now(), end_reason=reason)
    return len(keys)


# --- the second factor ---------------------------------------------------------------------------


def session_verify(request, device, *, factor: str) -> None:
    """The session passed the second factor with ``device``: remember it (django-otp) under a new
    session key, so that a key seen before the factor is worth nothing after it."""
    import django_otp

    django_otp.login(request, device)
    request.session.cycle_key()
    now = clock.now()
    request.session[REAUTH_AT_KEY] = now.timestamp()
    pk = request.session.get(LOGIN_SESSION_KEY)
    if pk:
        LoginSession.objects.filter(pk=pk).update(
            verified_at=now, factor=factor, session_key=request.session.session_key
        )


def second_factor_check(*, user, code: str):
    """The device that accepts ``code`` (an authenticator code, or a recovery code, which is
    used up), or None. A code already accepted once is refused (django-otp keeps the last time
    step of each device); wrong codes slow the next try down (throttling)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    code = (code or "").strip().replace(" ", "")
    with transaction.atomic():
        if code.isdigit() and len(code) in (6, 8):
            for device in (
                TOTPDevice.objects.select_for_update()
                .filter(user=user, confirmed=True)
                .order_by("pk")
            ):
                if device.verify_token(code):
                    return device
            return None
        device = RecoveryCodeDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.verify_token(code):
            return device
    return None


def second_factor_throttled(user) -> bool:
    """True while every device of the user waits out its throttling delay after wrong codes."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    devices += list(RecoveryCodeDevice.objects.filter(user=user))
    return bool(devices) and all(not d.verify_is_allowed()[0] for d in devices)


def recovery_code_used(*, user, device, request) -> None:
    """Audit and tell the user that a recovery code opened a session."""
    left = device.codes.count()
    with transaction.atomic():
        audit_record(
            actor=user, action="account.recovery_code_use", obj=user, changes={"left": left}
        )
        account_notice_send(
            user=user,
            event="recovery_code_used",
            ip=_ip_or_none(request) or "",
            extra={"left": left},
        )


def totp_device_start(*, user, request):
    """A new, not yet confirmed authenticator device for the enrolment page (its key is shown
    until the user confirms it with a code). The same pending device is kept while the user
    stays on the page, so a reload does not change the QR code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    pending = request.session.get(PENDING_TOTP_KEY)
    device = (
        TOTPDevice.objects.filter(pk=pending, user=user, confirmed=False).first()
        if pending
        else None
    )
    if device is None:
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name="", confirmed=False)
        request.session[PENDING_TOTP_KEY] = device.pk
    return device


def recovery_codes_generate(*, user, actor) -> list[str]:
    """Ten new recovery codes (the earlier ones stop working); returns them to be shown once."""
    from .models import RecoveryCode

    codes = [_new_recovery_code() for _ in range(settings.OTP_RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        device = RecoveryCodeDevice.objects.select_for_update().filter(user=user).first()
        if device is None:
            device = RecoveryCodeDevice.objects.create(
                user=user, name=gettext("リカバリーコード"), confirmed=True
            )
        device.codes.all().delete()
        RecoveryCode.objects.bulk_create(
            [RecoveryCode(device=device, code_hash=recovery_code_hash(code)) for code in codes]
        )
        device.throttle_reset(commit=True)
        audit_record(
            actor=actor,
            action="account.recovery_codes_generate",
            obj=user,
            changes={"count": len(codes)},
        )
    return codes


def _new_recovery_code() -> str:
    # 16 characters of base32 (80 bits), shown as four groups of four.
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    raw = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def totp_device_confirm(*, device, code: str, name: str, request) -> list[str]:
    """Confirm a pending authenticator device with a code from the app: it counts from now on,
    the session is verified with it, the user is told by email, and when the user has no
    recovery codes left (the first device) new ones come with it (returned, to be shown once;
    empty otherwise)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = device.user
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=user).first()
        if locked is None or locked.confirmed:
            raise DomainError(
                gettext("登録の手続きが古くなりました。もう一度最初からお試しください。"),
                code="stale",
            )
        if not locked.verify_token((code or "").strip().replace(" ", "")):
            raise DomainError(
                gettext(
                    "確認コードが正しくありません。認証アプリに表示されている6桁の数字を入力してください。"
                ),
                code="wrong_code",
                field="code",
            )
        locked.confirmed = True
        locked.name = (name or "").strip()[:64] or gettext("認証アプリ")
        locked.save(update_fields=["confirmed", "name"])
        first = not RecoveryCodeDevice.objects.filter(user=user, codes__isnull=False).exists()
        audit_record(
            actor=user, action="account.device_add", obj=user, changes={"device": locked.pk}
        )
        account_notice_send(
            user=user,
            event="device_added",
            ip=_ip_or_none(request) or "",
            extra={"device_name": locked.name},
        )
        codes = recovery_codes_generate(user=user, actor=user) if first else []
    request.session.pop(PENDING_TOTP_KEY, None)
    session_verify(request, locked, factor=LoginSession.Factor.TOTP)
    return codes


def totp_device_remove(*, device, actor, request=None) -> None:
    """Remove one of the user's own authenticator devices (the caller re-authenticated). The
    last one cannot go: the account would have no second factor left."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = device.user
    with transaction.atomic():
        devices = list(
            TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk")
        )
        if device.pk not in {d.pk for d in devices}:
            raise DomainError(gettext("この認証アプリは登録されていません。"), code="missing")
        if len(devices) == 1:
            raise DomainError(
                gettext(
                    "最後の認証アプリは削除できません。先に別の端末を追加してから削除してください。"
                ),
                code="last_device",
            )
        name = device.name
        TOTPDevice.objects.filter(pk=device.pk).delete()
        audit_record(
            actor=actor, action="account.device_remove", obj=user, changes={"device": device.pk}
        )
        account_notice_send(
            user=user,
            event="device_removed",
            ip=_ip_or_none(request) if request is not None else "",
            extra={"device_name": name},
        )


def user_factors_reset(*, user, reason: str, actor) -> None:
    """An administrator removes every second-factor device of another user (lost phone): the
    user's sessions end, they enrol again at their next login, and they are told by email.
    Nobody resets their own this way: that needs a factor (the security page)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    reason = (reason or "").strip()
    if getattr(actor, "pk", None) == user.pk:
        raise DomainError(
            gettext(
                "ご自身の二段階認証はここではリセットできません。「セキュリティ設定」で、"
                "パスワードと確認コードを入力してから変更してください。"
            ),
            code="self",
        )
    if not reason:
        raise DomainError(gettext("理由を入力してください。"), code="reason", field="reason")
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
        removed += RecoveryCodeDevice.objects.filter(user=user).delete()[0]
        ended = user_sessions_end(user=user, reason=LoginSession.EndReason.FACTORS_RESET)
        audit_record(
            actor=actor,
            action="account.factors_reset",
            obj=user,
            changes={"reason": reason, "devices": removed, "sessions_ended": ended},
        )
        account_notice_send(user=user, event="factors_reset")


def user_deactivate(*, user, reason: str, actor) -> None:
    """Stop an account (退職, 契約終了): it cannot log in, its open sessions end at once, its open
    invitations stop working, and the person is told by email."""
    reason = (reason or "").strip()
    if getattr(actor, "pk", None) == user.pk:
        raise DomainError(gettext("ご自身のアカウントは利用停止にできません。"), code="self")
    if not reason:
        raise DomainError(gettext("理由を入力してください。"), code="reason", field="reason")
    with transaction.atomic():
        locked = get_user_model().objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            raise DomainError(gettext("このアカウントはすでに利用停止中です。"), code="inactive")
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        Invitation.objects.filter(
            user=locked, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=clock.now())
        ended = user_sessions_end(user=locked, reason=LoginSession.EndReason.DEACTIVATED)
        audit_record(
            actor=actor,
            action="account.deactivate",
            obj=locked,
            changes={"reason": reason, "sessions_ended": ended},
        )
        account_notice_send(user=locked, event="deactivated")
    user.is_active = False


def user_reactivate(*, user, actor) -> None:
    """Let a stopped account log in again (with its password and second factor)."""
    with transaction.atomic():
        locked = get_user_model().objects.select_for_update().get(pk=user.pk)
        if locked.is_active:
            raise DomainError(gettext("このアカウントは利用中です。"), code="active")
        locked.is_active = True
        locked.save(update_fields=["is_active"])
        audit_record(actor=actor, action="account.reactivate", obj=locked)
        account_notice_send(user=locked, event="reactivated")
    user.is_active = True


def user_access_reduced(*, user, removed_roles: list[str], lost_flags: list[str], reason, actor):
    """The admin took a role (group) or the staff/administrator flag away: the user's sessions
    end at once, so that nothing opened under the old rights stays open."""
    with transaction.atomic():
        ended = user_sessions_end(user=user, reason=LoginSession.EndReason.ROLE_REMOVED)
        audit_record(
            actor=actor,
            action="account.access_reduce",
            obj=user,
            changes={
                "removed_roles": removed_roles,
                "lost_flags": lost_flags,
                "reason": (reason or "").strip(),
                "sessions_ended": ended,
            },
        )
    return ended


def password_changed(*, user, request=None) -> None:
    """After a reset or a change: the user's other sessions end and the user is told."""
    keep = None
    if request is not None and request.user == user:
        login_session_follow_key(request)  # Django gave the session a new key just now
        keep = request.session.get(LOGIN_SESSION_KEY)
    with transaction.atomic():
        ended = user_sessions_end(
            user=user, reason=LoginSession.EndReason.PASSWORD_CHANGED, keep_login=keep
        )
        audit_record(
            actor=user,
            action="account.password_change",
            obj=user,
            changes={"sessions_ended": ended},
        )
        account_notice_send(
            user=user,
            event="password_changed",
            ip=(_ip_or_none(request) or "") if request is not None else "",
        )
