from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from kosha_portal.audit.services import audit_record

from .models import GeneratedDocument


def document_response(document: GeneratedDocument, *, actor) -> FileResponse:
    """Serve a ready document as an attachment. Callers check permission first."""
    if document.status != GeneratedDocument.Status.READY or not document.file:
        raise Http404
    audit_record(actor=actor, action="document.download", obj=document)
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.filename,
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


def staff_document_download(request, uuid):
    """Staff whose role may view generated documents (desk staff, administrators) download any."""
    if not (request.user.is_staff and request.user.has_perm("documents.view_generateddocument")):
        raise Http404
    document = get_object_or_404(GeneratedDocument, uuid=uuid)
    return document_response(document, actor=request.user)
