from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from .postal import lookup_postal_code, normalize_postal_code


@login_not_required
@require_GET
def postal_code_lookup(request):
    """JSON for the postal-code autofill: ``{"postal_code": ..., "areas": [...]}``, 404 if unknown."""
    code = normalize_postal_code(request.GET.get("code", ""))
    areas = lookup_postal_code(code) if code else []
    status = 200 if areas else (404 if code else 400)
    response = JsonResponse(
        {"postal_code": code, "areas": [area.as_dict() for area in areas]}, status=status
    )
    response["Cache-Control"] = "public, max-age=86400"
    return response
