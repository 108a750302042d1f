"""What a resident does with a tracking number and its query code: follow and rate.

A wrong code and an unknown number give the same 404, so numbers cannot be
probed; the code is compared as a keyed hash in constant time. Every try is counted
first (services/limits.py: per number and per address, given back when the code was
right), so guesses end in 429 alike on a known number and an unknown one.
"""
from __future__ import annotations

import hmac

from chalicelib import storage
from chalicelib.answers import PublicDetail, RatingResult
from chalicelib.commands.bodies import RatingRequest
from chalicelib.domain.codes import normalise_query_code, parse_tracking_number
from chalicelib.domain.errors import NotFound
from chalicelib.domain.lifecycle import RESIDENT
from chalicelib.observability import count, logger
from chalicelib.services import changes, limits, runtime, views
from chalicelib.services.intake import query_code_hash

def _order_for_code(tracking_no: str, code: str, ip: str | None):
    canonical = parse_tracking_number(tracking_no)
    tried = limits.take_code_try(canonical, ip)  # before the code is compared: 429 once the tries are used up
    stored = storage.get_order(canonical) if canonical else None
    # Hashed even when there is no order, so an unknown number takes as long as a wrong code.
    offered = query_code_hash(canonical or tracking_no, normalise_query_code(code))
    if stored is None or not hmac.compare_digest(offered, stored.report.query_code_hash):
        raise NotFound("未找到该诉求，请核对受理编号和查询码")
    limits.right_code(tried)
    return stored


def track(tracking_no: str, code: str, ip: str | None) -> PublicDetail:
    """The request's progress; a merged one (并单) also shows the progress of the one it follows."""
    stored = _order_for_code(tracking_no, code, ip)
    order = stored.order
    city = runtime.city()
    main = storage.get_order(order.merged_into) if order.merged_into else None
    followed = views.followed(main.order, storage.trail(main.tracking_no), city) if main else None
    return views.public_detail(stored.report, order, storage.trail(order.tracking_no), city, followed)


def rate(tracking_no: str, request: RatingRequest, ip: str | None) -> RatingResult:
    stored = _order_for_code(tracking_no, request.code, ip)
    ctx = runtime.domain_context()
    params = {"stars": request.stars, "comment": request.comment}
    order = changes.take(stored, "rate", RESIDENT, params, ctx)
    count("RequestRated")
    logger.info("request rated", tracking_no=order.tracking_no, stars=request.stars, state=order.state.value)
    reopened = order.state.value == "in_progress"
    return RatingResult(
        **dict(views.action_result(order, ctx.city)),
        message="已退回承办单位重新办理" if reopened else "感谢您的评价",
    )
