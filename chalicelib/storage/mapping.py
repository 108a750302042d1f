"""Between the stored items and the domain's WorkOrder and Event; the sort keys they are filed under."""
from __future__ import annotations

import dataclasses
import datetime as dt

from chalicelib.domain.orders import Actor, Event, Level, Role, State, WorkOrder
from chalicelib.storage.models import CASE_PARTITION, CHECK_PARTITION, EventModel, OrderModel

_LIFECYCLE_FIELDS = tuple(f.name for f in dataclasses.fields(WorkOrder))
# DynamoDB gives lists and Decimals back: what the domain holds as tuples and ints.
_TUPLE_FIELDS = tuple(f.name for f in dataclasses.fields(WorkOrder) if "tuple" in str(f.type))
_INT_FIELDS = tuple(f.name for f in dataclasses.fields(WorkOrder) if "int" in str(f.type))


def to_domain(item: OrderModel) -> WorkOrder:
    values = {name: getattr(item, name) for name in _LIFECYCLE_FIELDS}
    values["state"] = State(values["state"])
    values["level"] = Level(values["level"])
    for name in _TUPLE_FIELDS:
        values[name] = tuple(values[name] or ())
    for name in _INT_FIELDS:
        if values[name] is not None:
            values[name] = int(values[name])
    return WorkOrder(**values)


def copy_lifecycle(order: WorkOrder, item: OrderModel) -> None:
    for name in _LIFECYCLE_FIELDS:
        value = getattr(order, name)
        setattr(item, name, list(value) if isinstance(value, tuple) else value)
    item.state = order.state.value
    item.level = order.level.value
    item.check_partition = CHECK_PARTITION if order.next_check_at else None
    item.case_partition = CASE_PARTITION if order.published_at else None
    item.created_key = created_key(order.created_at, order.tracking_no)


def created_key(created_at: dt.datetime, tracking_no: str) -> str:
    """Sorts by time across days, whatever the width of the daily sequence."""
    moment = created_at.astimezone(dt.timezone.utc)
    # The year padded by hand: strftime writes year 999 as "999", which sorts after "2026".
    return f"{moment.year:04d}{moment:%m%dT%H%M%S.%fZ}#{tracking_no}"


def event_item(tracking_no: str, event: Event) -> EventModel:
    return EventModel(
        tracking_no,
        event.seq,
        at=event.at,
        action=event.action,
        actor_role=event.actor.role.value,
        actor_id=event.actor.id,
        actor_unit=event.actor.unit,
        from_state=event.from_state.value if event.from_state else None,
        to_state=event.to_state.value,
        note=event.note,
        changes=dict(event.changes),
        public=event.public,
        feed_day=feed_day(event.at) if event.public else None,
    )


def feed_day(at: dt.datetime) -> str:
    """The feed index's partition of an instant: its UTC date."""
    return at.astimezone(dt.timezone.utc).date().isoformat()


def to_event(item: EventModel) -> Event:
    return Event(
        seq=int(item.seq),
        at=item.at,
        action=item.action,
        actor=Actor(Role(item.actor_role), item.actor_id, item.actor_unit),
        from_state=State(item.from_state) if item.from_state else None,
        to_state=State(item.to_state),
        note=item.note,
        changes=item.changes,
        public=item.public,
    )
