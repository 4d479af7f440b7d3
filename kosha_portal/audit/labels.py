"""How the audit trail names an object: by type and id plus a label that holds no personal data
(相談番号 2026-0001, 申込番号 D2026-0001, セミナー申込 #12), never ``str(obj)``, whose text for
some models contains a person's or a company's name.

A model names itself with an ``audit_label()`` method; models whose ``__str__`` is known to hold
no personal data (a seminar's title, a cohort, a program year) are listed in ``STR_IS_SAFE``;
everything else gets the generic 「<種類> #<id>」."""

from django.utils import translation
from django.utils.functional import LazyObject, empty

# ``app_label.model_name`` of models whose ``__str__`` never contains personal data.
STR_IS_SAFE = {
    "seminars.seminar",
    "school.cohort",
    "school.infosession",
    "school.curriculumsession",
    "dispatch.programyear",
    "dispatch.eligibilityitem",
    "dispatch.visit",
    "japan.closureday",
}


def generic_label(model, pk) -> str:
    """「<verbose name> #<id>」 in Japanese."""
    with translation.override("ja"):
        return f"{model._meta.verbose_name} #{pk}"


def audit_label(obj) -> str:
    """The non-personal label of ``obj`` as the audit trail stores it (Japanese, ≤ 200 chars)."""
    while isinstance(obj, LazyObject):  # request.user (django-otp wraps it once more)
        if obj._wrapped is empty:
            obj._setup()
        obj = obj._wrapped
    if obj is None:
        return ""
    with translation.override("ja"):
        method = getattr(obj, "audit_label", None)
        if callable(method):
            label = method()
        elif obj._meta.label_lower in STR_IS_SAFE:
            label = str(obj)
        else:
            label = generic_label(type(obj), obj.pk)
    return str(label)[:200]
