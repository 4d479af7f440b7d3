"""The password backend: Django's ModelBackend, plus the expert registry's active flag.

An expert whose registry entry is marked inactive cannot log in, and a session already open
stops working at the next request: ``get_user`` (called by AuthenticationMiddleware on every
request) loads the registry entry in the same query and refuses the user, so the request is
anonymous and the login page follows. Deactivating the Django account works the same way
(ModelBackend refuses inactive users); ``services.user_deactivate`` also deletes the sessions."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import FieldDoesNotExist


def _expert_relation() -> str | None:
    """The reverse one-to-one from a user to the expert registry (dispatch.Expert), if any."""
    try:
        get_user_model()._meta.get_field("expert")
    except FieldDoesNotExist:
        return None
    return "expert"


def expert_is_inactive(user) -> bool:
    relation = _expert_relation()
    if relation is None:
        return False
    expert = getattr(user, relation, None) if _has_related(user, relation) else None
    return expert is not None and not expert.active


def _has_related(user, relation: str) -> bool:
    try:
        getattr(user, relation)
    except get_user_model()._meta.get_field(relation).related_model.DoesNotExist:
        return False
    return True


class AccountBackend(ModelBackend):
    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and not expert_is_inactive(user)

    def get_user(self, user_id):
        manager = get_user_model()._default_manager
        relation = _expert_relation()
        queryset = manager.select_related(relation) if relation else manager.all()
        user = queryset.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
