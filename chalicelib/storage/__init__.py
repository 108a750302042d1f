"""Storage: the DynamoDB tables (pynamodb models) and every query, in one place.

Tables: orders and events (models.py); counters, outbox, idempotency, otp, hotspots,
claims, api-keys and stats (tables.py); imports (imports.py). Each module's docstring says what its tables
hold and why they are keyed and indexed as they are.

Modules
- models.py, tables.py: the pynamodb models, MODELS, the shared connection
- mapping.py: stored items ↔ the domain's WorkOrder and Event; the sort keys
- orders.py: the writes of orders, one TransactWriteItems each (optimistic locking), the outbox
- reads.py: an order, several, the lists (a queue, a phone's own), the sweep's due orders
- events.py: an order's trail, the public feed; cases.py: the case library
- nearby.py: the duplicate lookup and the hotspot alerts; stats.py: the dashboard's counters
- imports.py: a batch import and its rows' results, each counted once
- claims.py, api_keys.py, otp.py, quotas.py; pages.py (a page and its cursor); setup.py
- sealed.py: every sealed value, read by a Scan and replaced conditionally: for the key rotation,
  offline, so it is imported as ``chalicelib.storage.sealed`` and kept off the functions' cold start

Callers use ``from chalicelib import storage`` and ``storage.<name>``: every public name is here
(but sealed.py's).
"""
from chalicelib.storage.api_keys import api_keys_of, get_api_key, put_api_key, revoke_api_key
from chalicelib.storage.cases import SIMILAR_CASES_WINDOW, cases_of_category, published_cases
from chalicelib.storage.claims import (
    Claim,
    ClaimTaken,
    external_claim,
    get_claim,
    idempotency_claim,
    taken_claims,
    token_claim,
    upload_claim,
)
from chalicelib.storage.events import feed, trail
from chalicelib.storage.imports import IMPORT_TTL, ImportModel, create_import, get_import, record_row, results, rows_done
from chalicelib.storage.mapping import created_key, feed_day, to_domain, to_event
from chalicelib.storage.models import (
    CASE_FIELDS,
    CASE_PARTITION,
    CELL_FIELDS,
    CELL_READ_LIMIT,
    CHECK_PARTITION,
    FEED_FIELDS,
    LIST_FIELDS,
    CaseIndex,
    CellIndex,
    CheckIndex,
    EventModel,
    FeedIndex,
    Location,
    MediaItem,
    OrderModel,
    PhoneIndex,
    StateIndex,
    UnitIndex,
)
from chalicelib.storage.nearby import (
    PHONE_READ_LIMIT,
    geo_cell,
    hotspots,
    raise_hotspot,
    recent_in_cells,
    recent_of_phone,
)
from chalicelib.storage.orders import (
    OUTBOX_TTL,
    Change,
    Report,
    create_order,
    next_sequence,
    outbox_message,
    record_changes,
)
from chalicelib.storage.otp import (
    OtpRejected,
    OtpUse,
    get_otp,
    put_otp,
    restore_otp,
    try_otp,
    use_otp,
)
from chalicelib.storage.pages import Page
from chalicelib.storage.quotas import (
    Quota,
    count_in_window,
    give_back_quota,
    give_back_quotas,
    hold_in_window,
    read_window,
    take_quota,
    take_quotas,
)
from chalicelib.storage.reads import (
    ListFilter,
    due_for_check,
    get_order,
    list_orders,
    orders_by_number,
    orders_of_phone,
    stored_numbers,
)
from chalicelib.storage.setup import create_tables
from chalicelib.storage.stats import tallies
from chalicelib.storage.tables import (
    HOTSPOT_FEED,
    IDEMPOTENCY_TABLE,
    MODELS,
    ApiKeyModel,
    ClaimModel,
    CounterModel,
    HotspotModel,
    OtpModel,
    OutboxModel,
    RaisedIndex,
    StatsModel,
)

__all__ = [
    # models and tables
    "CASE_FIELDS", "CASE_PARTITION", "CELL_FIELDS", "CELL_READ_LIMIT", "CHECK_PARTITION", "FEED_FIELDS",
    "HOTSPOT_FEED", "IDEMPOTENCY_TABLE", "LIST_FIELDS", "MODELS",
    "ApiKeyModel", "CaseIndex", "CellIndex", "CheckIndex", "ClaimModel", "CounterModel", "EventModel", "FeedIndex",
    "HotspotModel", "Location", "MediaItem", "OrderModel", "OtpModel", "OutboxModel", "PhoneIndex", "RaisedIndex",
    "StateIndex", "StatsModel", "UnitIndex",
    # mapping
    "created_key", "feed_day", "to_domain", "to_event",
    # writes
    "OUTBOX_TTL", "Change", "Report", "create_order", "next_sequence", "outbox_message", "record_changes",
    # claims, API keys, codes, quotas
    "Claim", "ClaimTaken", "external_claim", "get_claim", "idempotency_claim", "taken_claims", "token_claim",
    "upload_claim",
    "api_keys_of", "get_api_key", "put_api_key", "revoke_api_key",
    # batch imports
    "IMPORT_TTL", "ImportModel", "create_import", "get_import", "record_row", "results", "rows_done",
    "OtpRejected", "OtpUse", "get_otp", "put_otp", "restore_otp", "try_otp", "use_otp",
    "Quota", "count_in_window", "give_back_quota", "give_back_quotas", "hold_in_window", "read_window",
    "take_quota", "take_quotas",
    # reads
    "ListFilter", "Page", "due_for_check", "get_order", "list_orders", "orders_by_number", "orders_of_phone",
    "stored_numbers",
    "feed", "trail", "SIMILAR_CASES_WINDOW", "cases_of_category", "published_cases",
    "PHONE_READ_LIMIT", "geo_cell", "hotspots", "raise_hotspot", "recent_in_cells", "recent_of_phone",
    "tallies",
    # set-up
    "create_tables",
]
