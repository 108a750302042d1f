"""Between the stored items and the domain's records (StoredOrder, Event, the lists' records); the sort keys.

One typed codec: how a field is stored follows from its type in the domain's dataclass
(``field_types``), read once per class and used both ways. DynamoDB gives lists, Decimals and
maps back: the domain holds tuples, ints, enums and its own dataclasses.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import typing
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, TypeVar

from pynamodb.attributes import Attribute, MapAttribute
from pynamodb.models import Model

from chalicelib.domain.deadlines import urgency_key
from chalicelib.domain.orders import RESIDENTS_WORDS, Actor, Event, Role, State, WorkOrder, field_types
from chalicelib.domain.reports import Report, StoredOrder
from chalicelib.storage.models import CASE_PARTITION, CHECK_PARTITION, EventModel, OrderModel

T = TypeVar("T")
M = TypeVar("M", bound=Model)


@dataclasses.dataclass(frozen=True)
class _Codec:
    decode: Callable[[Any], Any]  # stored → domain
    encode: Callable[[Any], Any]  # domain → what the pynamodb attribute takes


def _same(value: Any) -> Any:
    return value


def _codec(hint: Any, attribute: Attribute) -> _Codec:
    kind = typing.get_origin(hint) or hint
    if kind is tuple:
        (element, *_) = typing.get_args(hint)
        inner = _codec(element, attribute.element_type()) if dataclasses.is_dataclass(element) else _Codec(_same, _same)
        return _Codec(
            lambda v: tuple(inner.decode(e) for e in v or ()), lambda v: [inner.encode(e) for e in v]
        )
    if dataclasses.is_dataclass(kind):
        fields = _codecs(kind, type(attribute))
        return _Codec(
            lambda v: None if v is None else kind(**{n: c.decode(getattr(v, n)) for n, c in fields.items()}),
            lambda v: None if v is None else type(attribute)(**{n: c.encode(getattr(v, n)) for n, c in fields.items()}),
        )
    if isinstance(kind, type) and issubclass(kind, Enum):
        return _Codec(lambda v: None if v is None else kind(v), lambda v: None if v is None else v.value)
    if kind is int:
        return _Codec(lambda v: None if v is None else int(v), _same)
    if kind is Mapping:  # a JSON map: stored only when it holds something
        return _Codec(_same, lambda v: dict(v) if v else None)
    return _Codec(_same, _same)


@functools.cache
def _codecs(cls: type, stored: type[Model] | type[MapAttribute]) -> dict[str, _Codec]:
    """The codec of each field of ``cls``, from its type and the attribute ``stored`` keeps it in."""
    attributes = stored.get_attributes()
    return {name: _codec(hint, attributes[name]) for name, hint in field_types(cls).items() if name in attributes}


def read(cls: type[T], item: Model) -> T:
    """A domain record of the fields of ``item`` it names (an index's projection, or the whole item)."""
    return cls(**{name: codec.decode(getattr(item, name)) for name, codec in _codecs(cls, type(item)).items()})


def _write(record: Any, item: Model) -> None:
    for name, codec in _codecs(type(record), type(item)).items():
        setattr(item, name, codec.encode(getattr(record, name)))


def item_of(model: type[M], record: Any) -> M:
    """The item ``model`` stores ``record`` as (every field of the record is one of the item's)."""
    return model(**{name: codec.encode(getattr(record, name)) for name, codec in _codecs(type(record), model).items()})


def to_stored(item: OrderModel) -> StoredOrder:
    return StoredOrder(read(WorkOrder, item), read(Report, item), item.updated_at, item.public_note)


def order_item(stored: StoredOrder, events: typing.Sequence[Event] = ()) -> OrderModel:
    """The item of an order, as ``events`` (its latest change, the last of them) leave it."""
    order = stored.order
    item = OrderModel(order.tracking_no)
    _write(stored.report, item)
    _write(order, item)
    item.check_partition = CHECK_PARTITION if order.next_check_at else None
    item.case_partition = CASE_PARTITION if order.published_at else None
    item.created_key = created_key(order.created_at, order.tracking_no)
    item.urgency_key = urgency_key(order)
    told = [e.note for e in events if e.public and e.note and e.action not in RESIDENTS_WORDS]
    item.public_note = told[-1] if told else stored.public_note
    item.updated_at = events[-1].at if events else stored.updated_at
    return item


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
