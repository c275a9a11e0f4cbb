"""The agency officer's pages (口岸单位工作人员): the work queue with the riskiest dossiers first,
one dossier with everything needed to decide on it, and the joint inspection with its scan image.

Every page reads and writes through the API's own queries and handlers with the signed-in
officer's principal, so an officer sees only what the API would show them: a dossier not routed to
their agency is not found.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import officer_dossier, officer_inspection, officer_queue

__all__ = ["router"]

router = APIRouter()
for part in (officer_queue.router, officer_dossier.router, officer_inspection.router):
    router.include_router(part)
