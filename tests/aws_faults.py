"""AWS refusing a call, as a client sees AWS refuse one: for the fault tests.

``refuse(monkeypatch, "TransactWriteItems", "ProvisionedThroughputExceededException")``
makes the next such call fail as DynamoDB fails it once the SDK's own retries are
spent: the client raises the exception class botocore models for the code, carrying
the response AWS sends (HTTP status, code and message, and a cancelled transaction's
reasons, one per item). The call never reaches moto, so it changes nothing. After
``times`` refusals the operation works again; ``times=None`` refuses it for good.
``where`` narrows the refusal to the calls whose parameters it accepts (one table's, say).

``cut_off`` makes an operation fail as when AWS cannot be reached at all: botocore's own
connection or timeout error, raised where the SDK raises it.

Every client is covered (boto3's, pynamodb's, Powertools'): the fault sits where each of
them makes its calls, ``BaseClient._make_api_call``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import botocore.client

# The HTTP status AWS answers each error code with.
_STATUS = {
    "ProvisionedThroughputExceededException": 400,
    "ThrottlingException": 400,
    "TransactionCanceledException": 400,
    "Throttling": 400,
    "RequestThrottled": 400,
    "SlowDown": 503,
    "ServiceUnavailable": 503,
    "InternalServerError": 500,
    "InternalError": 500,
    "InvalidParameter": 400,
    "ValidationException": 400,
}


@dataclass
class Refusal:
    operation: str
    code: str
    reasons: tuple[str, ...] | None
    times: int | None
    message: str
    where: Callable[[dict], bool]
    refused: int = 0  # how many calls were refused so far

    def applies(self, operation: str, params: dict) -> bool:
        due = self.times is None or self.refused < self.times
        return operation == self.operation and due and self.where(params)

    def response(self) -> dict:
        response = {
            "Error": {"Code": self.code, "Message": self.message},
            "ResponseMetadata": {"HTTPStatusCode": _STATUS[self.code], "HTTPHeaders": {}},
        }
        if self.reasons is not None:
            response["CancellationReasons"] = [{"Code": code} for code in self.reasons]
        return response


def writing(table: str) -> Callable[[dict], bool]:
    """A ``where`` for TransactWriteItems: a transaction with an item in ``table`` (its name's last part).

    A submission sends two: the rate limits' (services/limits.py, the counters), then the order's.
    """
    def touches(params: dict) -> bool:
        names = [next(iter(item.values()))["TableName"] for item in params.get("TransactItems", ())]
        return any(name.endswith(f"-{table}") for name in names)

    return touches


def refuse(
    monkeypatch,
    operation: str,
    code: str,
    *,
    reasons: tuple[str, ...] | None = None,
    times: int | None = 1,
    message: str = "refused by the test",
    where: Callable[[dict], bool] = lambda params: True,
) -> Refusal:
    """Refuse ``operation`` with ``code`` (and, for a cancelled transaction, its ``reasons``)."""
    refusal = Refusal(operation, code, reasons, times, message, where)
    passing = botocore.client.BaseClient._make_api_call

    def refusing(client, operation_name: str, params: dict):
        if not refusal.applies(operation_name, params):
            return passing(client, operation_name, params)
        refusal.refused += 1
        raise client.exceptions.from_code(code)(refusal.response(), operation_name)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", refusing)
    return refusal


def cut_off(monkeypatch, operation: str, error: Exception) -> None:
    """Every ``operation`` fails with ``error`` (a botocore ConnectionError or HTTPClientError)."""
    passing = botocore.client.BaseClient._make_api_call

    def unreachable(client, operation_name: str, params: dict):
        if operation_name == operation:
            raise error
        return passing(client, operation_name, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", unreachable)
