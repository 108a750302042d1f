"""The public case library (典型案例库): published closed orders, masked for everyone.

A case shows what the resident asked and what the unit answered, never who asked
or where exactly: no contact, no address, no coordinates, no media, no query code.
Mobile and ID numbers typed into the description, the reply or the title are masked too.
"""
from __future__ import annotations

from chalicelib import storage
from chalicelib.answers import Case, CasePage
from chalicelib.commands.queries import CasesQuery
from chalicelib.city import City
from chalicelib.domain.privacy import mask_free_text
from chalicelib.domain.reports import PublishedCase
from chalicelib.services import runtime, views


def case(item: PublishedCase, city: City) -> Case:
    return Case(
        tracking_no=item.tracking_no,
        title=mask_free_text(item.case_title),
        **views.classification(item, city),
        description=mask_free_text(item.description),
        reply=mask_free_text(item.reply),
        rating=int(item.rating) if item.rating is not None else None,
        created_at=views.iso(item.created_at, city),
        resolved_at=views.iso(item.resolved_at, city),
        published_at=views.iso(item.published_at, city),
    )


def list_cases(query: CasesQuery) -> CasePage:
    city = runtime.city()
    page = storage.published_cases(_containing(query.q) if query.q else None, query.cursor, query.limit)
    return CasePage(items=[case(item, city) for item in page.items], cursor=page.cursor)


def _containing(q: str):
    """Whether a case's title, description or reply, as the library shows them (masked), contain ``q``."""

    def matches(item: PublishedCase) -> bool:
        return any(q in (mask_free_text(text) or "") for text in (item.case_title, item.description, item.reply))

    return matches


def similar(category: str, limit: int) -> list[Case]:
    """The newest published cases of ``category`` (for the category suggestion)."""
    city = runtime.city()
    return [case(item, city) for item in storage.cases_of_category(category, limit)]
