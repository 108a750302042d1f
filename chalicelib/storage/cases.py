"""Reads of the case library (典型案例库)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from chalicelib.domain.reports import PublishedCase
from chalicelib.storage.mapping import read
from chalicelib.storage.models import CASE_PARTITION, CaseIndex, OrderModel
from chalicelib.storage.pages import CASE_KEY, Page, decode_case_cursor, page_of


def published_cases(matches: Callable[[PublishedCase], bool] | None, cursor: str | None, limit: int) -> Page:
    """The case library newest first, by Query on ``by-publication``; never a Scan.

    With ``matches``, only the cases it accepts: it is judged here, on the items read, not by a
    DynamoDB filter, as the text to search is the masked one the library shows (a filter on the
    text as typed would tell a guesser the digits it masks). A filter costs the same reads either
    way: DynamoDB charges for what a Query reads before filtering. The cursor is the last case's
    publication instant.
    """
    after = decode_case_cursor(cursor) if cursor else None
    return page_of(_cases(matches, after, limit + 1), limit, lambda case: CASE_KEY.serialize(case.published_at))


# How many of the newest published cases the suggestion looks through for its category.
SIMILAR_CASES_WINDOW = 100


def cases_of_category(category: str, limit: int) -> list[PublishedCase]:
    """Up to ``limit`` of the newest published cases of one category.

    Exactly one Query on ``by-publication``, filtered on the category: it reads at most the
    newest SIMILAR_CASES_WINDOW cases, however many are published (the residents' page
    asks while they type, so its cost must stay flat).
    """
    results = OrderModel.by_publication.query(
        CASE_PARTITION,
        filter_condition=OrderModel.category == category,
        scan_index_forward=False,
        page_size=SIMILAR_CASES_WINDOW,
    )
    page = next(results.page_iter, None) or {}
    return [read(PublishedCase, OrderModel.from_raw_data(raw)) for raw in (page.get("Items") or [])[:limit]]


def _cases(
    matches: Callable[[PublishedCase], bool] | None, after: dt.datetime | None, limit: int
) -> list[PublishedCase]:
    results = OrderModel.by_publication.query(
        CASE_PARTITION,
        range_key_condition=CaseIndex.published_at < after if after else None,
        scan_index_forward=False,
        # A search may need to look past many cases for a few hits: larger pages.
        page_size=limit if matches is None else max(limit, 100),
    )
    cases = (read(PublishedCase, item) for item in results)
    found = cases if matches is None else (case for case in cases if matches(case))
    return [item for _, item in zip(range(limit), found)]
