"""When an order is due for a reminder, an escalation or closing — and which.

The thresholds come from the order's own fields and the city's deadline policy:

- dispatched and not signed: a signing reminder at ``sign_due_at``; back to the
  dispatcher ``unsigned_return_after`` later;
- dispatched or in progress: warning (临期) once ``warning_share`` of the handling
  time has passed (office time for limits in working days, clock time for limits
  in hours); yellow (催办) at ``due_at``; red (督办) ``red_grace`` after it;
- resolved: closed as unrated (未评价) ``auto_close_days`` after ``resolved_at``;
- information only (表扬, the city's ``information_only`` types): no signing or handling limit;
  closed ``information_close_days`` after it reached the unit, if the unit has not signed it.

``due_action`` names the system action to take now — the most advanced of its kind,
so a sweep that was away catches up in one step, not three. ``next_check`` is the
earliest threshold still ahead: the sweep's index is keyed on it, so the sweep
reads only the orders that have something due.
"""
from __future__ import annotations

import datetime as dt

from chalicelib.domain.orders import HANDLING_STATES, LEVEL_RANK, Context, Level, State, WorkOrder

# When several thresholds have passed, the first of these that is due is taken first.
PRECEDENCE = ("return_unsigned", "auto_close", "supervise", "urge", "warn", "remind_signing")


def warning_at(order: WorkOrder, ctx: Context) -> dt.datetime:
    share = ctx.city.deadlines.warning_share
    if ctx.city.time_limit(order.type, order.category).hours is not None:
        return order.due_from + (order.due_at - order.due_from) * share
    span = ctx.calendar.working_time_between(order.due_from, order.due_at)
    return ctx.calendar.add_working_time(order.due_from, span * share)


def red_at(order: WorkOrder, ctx: Context) -> dt.datetime:
    return ctx.calendar.due(order.due_at, ctx.city.deadlines.red_grace)


def unsigned_return_at(order: WorkOrder, ctx: Context) -> dt.datetime:
    return ctx.calendar.due(order.sign_due_at, ctx.city.deadlines.unsigned_return_after)


def _pending(order: WorkOrder, ctx: Context) -> list[tuple[dt.datetime, str]]:
    """Each threshold not yet acted on, with the action that acts on it."""
    pending = []
    if order.state is State.DISPATCHED and order.sign_due_at:
        pending.append((unsigned_return_at(order, ctx), "return_unsigned"))
        if not order.sign_reminded:
            pending.append((order.sign_due_at, "remind_signing"))
    if order.state in HANDLING_STATES and order.due_at and order.due_from:
        rank = LEVEL_RANK[order.level]
        if rank < LEVEL_RANK[Level.RED]:
            pending.append((red_at(order, ctx), "supervise"))
        if rank < LEVEL_RANK[Level.YELLOW]:
            pending.append((order.due_at, "urge"))
        if rank < LEVEL_RANK[Level.WARNING]:
            pending.append((warning_at(order, ctx), "warn"))
    if order.state is State.RESOLVED and order.resolved_at:
        pending.append((order.resolved_at + dt.timedelta(days=ctx.city.auto_close_days), "auto_close"))
    if order.state is State.DISPATCHED and order.dispatched_at and information_only(order, ctx):
        pending.append((order.dispatched_at + dt.timedelta(days=ctx.city.information_close_days), "auto_close"))
    return pending


def information_only(order: WorkOrder, ctx: Context) -> bool:
    """Information for the unit (表扬), not work: no deadline, no escalation (city: information_only)."""
    kind = ctx.city.type_by_code.get(order.type)
    return bool(kind and kind.information_only)


def due_action(order: WorkOrder, ctx: Context) -> str | None:
    """The system action that is due at ``ctx.now``, if any."""
    due = {action for moment, action in _pending(order, ctx) if moment <= ctx.now}
    return next((action for action in PRECEDENCE if action in due), None)


def next_check(order: WorkOrder, ctx: Context) -> dt.datetime | None:
    moments = [moment for moment, _ in _pending(order, ctx)]
    return min(moments) if moments else None


_YEAR_ONE = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
_NEWEST_WIDTH = 18  # microseconds from year 1 to year 9999 take 18 digits


def _instant(moment: dt.datetime) -> str:
    utc = moment.astimezone(dt.timezone.utc)
    # The year padded by hand: strftime writes year 999 as "999", which sorts after "2026".
    return f"{utc.year:04d}{utc:%m%dT%H%M%S.%fZ}"


_COUNT_DOWN = str.maketrans("0123456789", "9876543210")
_NO_DUE_TEXT = "9" * len(_instant(_YEAR_ONE))  # after every instant: no due time sorts last


def urgency_key(order: WorkOrder) -> str:
    """The command centre's working order — level (red, yellow, warning, normal), then 重点办 first,
    then the nearest due time (none: last), then the newest — as one string that sorts ascending in it:
    the queue's index key.

    "<level><priority>#<due>#<newest>#<number>": the level as 0 (red) to 3 (normal), 重点办
    as 0, the due time in UTC (nines when there is none), the creation time counted down from
    year 9999 (so the newest is smallest), and the tracking number with its digits counted down
    too (the later of two made in one instant first), which makes the key unique. Every write
    of an order stores it anew, so a level raised by the sweep, a priority set by an action or a
    due time moved by an extension moves the order in the queue at once.
    """
    level = len(LEVEL_RANK) - 1 - LEVEL_RANK[order.level]
    since = (order.created_at - _YEAR_ONE) // dt.timedelta(microseconds=1)
    newest = 10**_NEWEST_WIDTH - 1 - since
    due = _instant(order.due_at) if order.due_at else _NO_DUE_TEXT
    number = order.tracking_no.translate(_COUNT_DOWN)
    return f"{level}{0 if order.priority else 1}#{due}#{newest:0{_NEWEST_WIDTH}d}#{number}"


def urgency_prefix(level: Level, priority: bool | None = None) -> str:
    """The start every ``urgency_key`` of that level (and priority, if given) shares."""
    head = str(len(LEVEL_RANK) - 1 - LEVEL_RANK[level])
    return head if priority is None else f"{head}{0 if priority else 1}"


def time_left(order: WorkOrder, ctx: Context) -> dt.timedelta | None:
    """Handling time left before ``due_at`` (negative once overdue), in the limit's own clock."""
    if order.state not in HANDLING_STATES or order.due_at is None:
        return None
    if ctx.city.time_limit(order.type, order.category).hours is not None:
        return order.due_at - ctx.now
    return ctx.calendar.working_time_between(ctx.now, order.due_at)
