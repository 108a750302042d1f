"""Storage: the DynamoDB tables (pynamodb models) and every query, in one place.

Tables: orders and events (models.py); counters, outbox, idempotency, otp, hotspots,
claims, api-keys and stats (tables.py); imports (imports.py). Each module's docstring says what its tables
hold and why they are keyed and indexed as they are.

Modules
- models.py, tables.py: the pynamodb models, MODELS, the shared connection (storage's own: no
  module outside this package names a model, an index or an item; tests/test_imports.py holds it)
- mapping.py: the one typed codec between the stored items and the domain's records
  (domain/reports.py: StoredOrder, the lists' records; domain/orders.py: Event); the sort keys
- orders.py: the writes of orders, one TransactWriteItems each (optimistic locking), the outbox
- reads.py: an order, several, the lists (a queue, a phone's own), the sweep's due orders
- events.py: an order's trail, the public feed; cases.py: the case library
- nearby.py: the duplicate lookup and the hotspot alerts; stats.py: the dashboard's counters
- workload.py: the open orders of units, for the workload per person
- imports.py: a batch import and its rows' results, each counted once
- co_handling.py: the co-units' queue items (协办), written with the changes that add or drop them
- claims.py, api_keys.py, otp.py, quotas.py; pages.py (a page and its cursor); setup.py
- sealed.py: every sealed value, read by a Scan and replaced conditionally: for the key rotation,
  offline, so it is imported as ``chalicelib.storage.sealed`` and kept off the functions' cold start

Callers use ``from chalicelib import storage`` and ``storage.<name>``: the functions below and the
records they take and give (frozen dataclasses), nothing of pynamodb.
"""
from chalicelib.storage.api_keys import ApiKey, api_keys_of, get_api_key, put_api_key, revoke_api_key
from chalicelib.storage.cases import cases_of_category, published_cases
from chalicelib.storage.claims import (
    Claim,
    Claimed,
    ClaimTaken,
    external_claim,
    get_claim,
    idempotency_claim,
    taken_claims,
    token_claim,
    upload_claim,
)
from chalicelib.storage.events import feed, trail
from chalicelib.storage.imports import create_import, get_import, record_row, results, rows_done
from chalicelib.storage.nearby import Hotspot, geo_cell, hotspots, raise_hotspot, recent_in_cells, recent_of_phone
from chalicelib.storage.orders import create_order, next_sequence, order_image, outbox_message, record_changes
from chalicelib.storage.otp import OtpRecord, OtpRejected, OtpUse, get_otp, put_otp, restore_otp, try_otp, use_otp
from chalicelib.storage.imports import create_import, get_import, record_row, results, rows_done
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
from chalicelib.storage.tables import table_name
from chalicelib.storage.workload import OpenOrder, open_orders_of_units

__all__ = [
    # orders: writes and reads
    "create_order", "next_sequence", "order_image", "outbox_message", "record_changes",
    "ListFilter", "Page", "due_for_check", "get_order", "list_orders", "orders_by_number", "orders_of_phone",
    "stored_numbers", "feed", "trail", "cases_of_category", "published_cases",
    "geo_cell", "recent_in_cells", "recent_of_phone", "Hotspot", "hotspots", "raise_hotspot", "tallies",
    "OpenOrder", "open_orders_of_units",
    # claims, API keys, codes, quotas
    "Claim", "Claimed", "ClaimTaken", "external_claim", "get_claim", "idempotency_claim", "taken_claims",
    "token_claim", "upload_claim",
    "ApiKey", "api_keys_of", "get_api_key", "put_api_key", "revoke_api_key",
    "OtpRecord", "OtpRejected", "OtpUse", "get_otp", "put_otp", "restore_otp", "try_otp", "use_otp",
    "Quota", "count_in_window", "give_back_quota", "give_back_quotas", "hold_in_window", "read_window",
    "take_quota", "take_quotas",
    # batch imports
    "create_import", "get_import", "record_row", "results", "rows_done",
    # set-up, and the tables' names for tools
    "create_tables", "table_name",
]
