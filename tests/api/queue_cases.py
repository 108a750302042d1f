"""The staff queue's cases, shared by its tests in either order (test_staff_queue.py newest first,
test_queue_order.py in the working order): the `queue` fixture's orders (tests/api/conftest.py),
the filters and what each must list, the accounts and what each may see, the days and the date filters."""
from __future__ import annotations

import datetime as dt

from tests.api.staff_helpers import ADMIN, HANDLER_CG, HANDLER_LSQ, HANDLER_XAQ_CG, HANDLER_XY, LEADER

# The orders of the `queue` fixture, oldest first: label → (category, area, type, unit it lands in).
QUEUE = {
    "lsq_cg": ("sanitation", "220402001001", "complaint", "lsq-cg"),
    "lsq_xy": ("property", "220402001", "help", "lsq-xy"),
    "lsq": ("property", "220402002", "suggestion", "lsq"),
    "xaq_cg": ("sanitation", "220403001", "complaint", "xaq-cg"),
    "cgj": ("municipal", None, "report", "cgj"),
    "community": ("other", "220402001002", "consult", "lsq-xy-ls"),  # dispatched by hand
    "waiting": ("other", "220421", "consult", None),  # no routing rule: stays submitted
}
ALL = set(QUEUE)


FILTERS = [  # (query, labels of the orders it must list)
    ({"state": "submitted"}, {"waiting"}),
    ({"state": "dispatched"}, ALL - {"waiting"}),
    ({"state": "closed"}, set()),
    ({"unit": "lsq"}, {"lsq_cg", "lsq_xy", "lsq", "community"}),
    ({"unit": "lsq-xy"}, {"lsq_xy", "community"}),
    ({"unit": "xaq-cg"}, {"xaq_cg"}),
    ({"category": "sanitation"}, {"lsq_cg", "xaq_cg"}),
    ({"area": "220402"}, {"lsq_cg", "lsq_xy", "lsq", "community"}),
    ({"area": "220402001"}, {"lsq_cg", "lsq_xy", "community"}),
    ({"area": "220402001001"}, {"lsq_cg"}),
    ({"type": "complaint"}, {"lsq_cg", "xaq_cg"}),
    ({"unit": "lsq", "category": "property"}, {"lsq_xy", "lsq"}),
    ({"area": "220402", "type": "help"}, {"lsq_xy"}),
    ({"state": "dispatched", "area": "220402001"}, {"lsq_cg", "lsq_xy", "community"}),
    # An empty parameter is no filter at all.
    ({"state": "", "unit": "lsq-cg", "category": "", "area": "", "type": "", "from": "", "to": ""}, {"lsq_cg"}),
]


def query_id(params: dict) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items())


SCOPES = [  # (account, query, labels of the orders it must list)
    (HANDLER_CG, {}, {"lsq_cg"}),
    (HANDLER_XY, {}, {"lsq_xy", "community"}),
    (HANDLER_LSQ, {}, {"lsq_cg", "lsq_xy", "lsq", "community"}),
    (HANDLER_LSQ, {"unit": "lsq-xy"}, {"lsq_xy", "community"}),
    (HANDLER_XY, {"unit": "lsq"}, {"lsq_xy", "community"}),
    (HANDLER_CG, {"unit": "xaq-cg"}, set()),
    (HANDLER_CG, {"state": "submitted"}, set()),
    (HANDLER_XAQ_CG, {"category": "sanitation"}, {"xaq_cg"}),
    (LEADER, {}, ALL),
    (ADMIN, {}, ALL),
]


LOCAL = dt.timezone(dt.timedelta(hours=8))


DAYS = {  # label → the local moment it was submitted
    "monday": dt.datetime(2025, 3, 3, 10, 0, tzinfo=LOCAL),
    "tuesday_night": dt.datetime(2025, 3, 4, 23, 59, 59, tzinfo=LOCAL),
    "wednesday_midnight": dt.datetime(2025, 3, 5, 0, 0, tzinfo=LOCAL),
    "thursday": dt.datetime(2025, 3, 6, 9, 0, tzinfo=LOCAL),
}


DATE_FILTERS = [  # (query, labels of the orders it must list)
    ({"from": "2025-03-04", "to": "2025-03-04"}, {"tuesday_night"}),
    ({"to": "2025-03-04"}, {"monday", "tuesday_night"}),
    ({"from": "2025-03-05"}, {"wednesday_midnight", "thursday"}),
    ({"from": "2025-03-05", "to": "2025-03-05"}, {"wednesday_midnight"}),
    ({"from": "2025-03-03", "to": "2025-03-06"}, set(DAYS)),
    ({"from": "2025-03-07"}, set()),
    # The ends of the calendar (found by the fuzzing: they were a 500): no bound, or nothing.
    ({"from": "0001-01-01"}, set(DAYS)),
    ({"to": "9999-12-31"}, set(DAYS)),
    ({"from": "0001-01-01", "to": "9999-12-31"}, set(DAYS)),
    ({"to": "0999-12-31"}, set()),
    ({"from": "9999-12-31"}, set()),
]
