"""SMS through the outbox, the stream, the queue and the sender: the whole loop under moto.

The drivers of the local stack (infra/drivers.py) play Lambda: the stream
driver relays the outbox's stream, the queue driver delivers the notify queue
(receiving with visibility timeout 0, so a failed message is back at once).
moto's SNS keeps every SMS it was asked to send.
"""
from __future__ import annotations

import json
import re
import sys

import boto3
import botocore.client
import pytest
from botocore.exceptions import ClientError

from app import app
from chalicelib import storage
from chalicelib.domain.changes import Change
from chalicelib.storage.orders import OUTBOX_TTL
from chalicelib.storage.tables import OutboxModel
from chalicelib.adapters import queue
from chalicelib.domain.errors import Conflict
from chalicelib.domain.lifecycle import apply
from chalicelib.domain.notices import Notice
from chalicelib.domain.orders import Actor, Role
from chalicelib.observability import logger
from chalicelib.services import notify, runtime
from chalicelib.settings import get_settings
from infra.drivers import ScheduleDriver
from chalicelib.city import City
from tests.api.resident_helpers import NAME, PHONE, act, rate, submit
from tests.aws_faults import refuse
from tests.sms_loop import Loop, outbox, sms, texts_to

RESIDENT = "+86" + PHONE
LSQ_CG, LSQ, LEADER = "+8613700000016", "+8613700000012", "+8613700009999"  # 龙山区城市管理局, 龙山区, 值班市领导
HEAT = "+8613700000011"  # 辽源市供热公司
SIGN = "【辽源民生诉求】"
NO = "LY202611200001"  # the first request of Friday 2026-11-20
DISPATCHED = f"{SIGN}您的诉求(编号{NO})已由龙山区城市管理局受理,预计11月27日前办结。"
NEW_ORDER = f"{SIGN}新工单{NO}（环境卫生，龙山区，投诉），请于11月23日10:00前签收。"


# ---- the loop ------------------------------------------------------------------

@pytest.fixture
def loop(api):
    return Loop()


def stream_records() -> list[dict]:
    """The outbox stream's records so far (one shard under moto), as the relay is handed them."""
    arn = boto3.client("dynamodb").describe_table(TableName=OutboxModel.Meta.table_name)["Table"][
        "LatestStreamArn"
    ]
    streams = boto3.client("dynamodbstreams")
    [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
    return streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]


def dead_letters() -> list[dict]:
    """What the dead-letter queue holds (the relay's on-failure records, as JSON)."""
    return [json.loads(body) for body in queued(queue.dead_letter_queue_name(get_settings().notify_queue))]


def queued(queue_name: str | None = None) -> list[str]:
    """The bodies visible on a queue now (read without consuming: made visible again at once)."""
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name or get_settings().notify_queue)["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    return [m["Body"] for m in messages]


# ---- the outbox is written with the change ----------------------------------------

def test_a_named_submission_stores_its_messages_with_the_order(api, clock):
    named = submit(api)

    items = outbox()
    assert sorted((i["template"], i["audience"], i["urgent"]) for i in items) == [
        ("dispatched", "resident", False),
        ("received", "resident", False),
        ("staff_new_order", "unit:lsq-cg", False),
    ]
    assert {i["tracking_no"] for i in items} == {named["tracking_no"]}
    received = next(i for i in items if i["template"] == "received")
    assert named["query_code"] not in json.dumps(items)  # sealed in the payload
    assert set(json.loads(received["payload"])) == {"sealed"}


def test_an_anonymous_submission_tells_only_the_unit(api, clock):
    submit(api, anonymous=True, contact=None)

    assert [(i["template"], i["audience"]) for i in outbox()] == [("staff_new_order", "unit:lsq-cg")]


def test_a_change_that_loses_its_race_stores_no_message(api, staff, clock):
    submit(api)
    stale = storage.get_order(NO)
    act(api, staff, NO, "sign")  # another writer moves the order on
    before = len(outbox())
    handler = Actor(Role.HANDLER, "test", "lsq-cg")
    order, event = apply(stale.order, "sign", handler, {}, runtime.domain_context())

    with pytest.raises(Conflict):
        storage.record_changes([Change(stale, order, event, [Notice("staff_warning", "unit:lsq-cg")])])

    assert len(outbox()) == before


# ---- delivery ------------------------------------------------------------------------

def test_the_resident_and_the_unit_hear_of_a_new_request(api, loop, clock):
    named = submit(api)

    loop.run()

    received = f"{SIGN}您的诉求(编号{NO})已收到，查询码{named['query_code']}，请妥善保存，凭编号和查询码查询办理进度。"
    assert sorted(texts_to(RESIDENT)) == sorted([received, DISPATCHED])
    assert texts_to(LSQ_CG) == [NEW_ORDER]
    assert queued() == []


def test_the_query_code_and_the_number_are_never_logged(api, loop, clock, capsys, monkeypatch):
    # Powertools' handler kept the stdout of import time; point it at the one capsys captures.
    monkeypatch.setattr(logger.registered_handler, "stream", sys.stdout)
    named = submit(api)
    loop.run()

    assert len(texts_to(RESIDENT)) == 2
    logs = capsys.readouterr().out
    assert logs.count('"outcome":"sent"') == 3  # the capture works: each send was logged
    for secret in (named["query_code"], PHONE, NAME, "垃圾"):  # the text's own words neither
        assert secret not in logs


def test_a_failed_send_is_retried_until_it_goes_out_once(api, loop, clock, monkeypatch):
    submit(api, anonymous=True, contact=None)
    loop.stream.drain()
    refuse(monkeypatch, "Publish", "InternalError")  # SNS fails the first text

    loop.queue.poll()
    assert sms() == [] and len(queued()) == 1  # reported as failed: still on the queue

    loop.run()
    assert sms() == [(LSQ_CG, NEW_ORDER)]


def test_a_text_the_provider_keeps_refusing_ends_in_the_dead_letter_queue(api, loop, clock, monkeypatch):
    submit(api, anonymous=True, contact=None)
    loop.stream.drain()
    # SNS quotes the number it refuses: the message must not reach the logs (see tests/conftest.py).
    refusal = refuse(monkeypatch, "Publish", "InvalidParameter", times=None, message=f"Invalid parameter: {LSQ_CG}")

    for _ in range(queue.MAX_RECEIVES):
        assert loop.queue.poll() == 1
    assert loop.queue.poll() == 0

    assert refusal.refused == queue.MAX_RECEIVES and sms() == []
    [parked] = queued(queue.dead_letter_queue_name(get_settings().notify_queue))
    assert json.loads(parked)["template"] == "staff_new_order"  # kept, to be redriven once SNS is back




def test_a_unit_without_a_duty_phone_is_skipped(api, loop, clock, monkeypatch):
    data = runtime.city().model_dump()
    data["units"] = [{**u, "phone": None} if u["code"] == "lsq-cg" else u for u in data["units"]]
    monkeypatch.setattr(runtime, "city", lambda: City.model_validate(data))
    submit(api, anonymous=True, contact=None)

    loop.run()

    assert sms() == [] and queued() == []  # done with, not retried


def test_a_relay_that_cannot_reach_the_queue_loses_nothing(api, loop, clock, monkeypatch):
    submit(api)
    tries = refuse(monkeypatch, "SendMessageBatch", "RequestThrottled", times=2)

    loop.run()  # the records come again, as Lambda retries them, until the queue takes them

    assert tries.refused == 2 and dead_letters() == []
    assert len(texts_to(RESIDENT)) == 2 and texts_to(LSQ_CG) == [NEW_ORDER]


def test_a_batch_the_queue_takes_in_part_is_relayed_again_from_what_it_refused(api, loop, clock, monkeypatch):
    submit(api)  # three messages: received and dispatched for the resident, the new order for the unit
    passing, dropped = botocore.client.BaseClient._make_api_call, []

    def taking_all_but_the_last(client, operation, params):
        if operation != "SendMessageBatch" or dropped:
            return passing(client, operation, params)
        *taken, last = params["Entries"]
        dropped.append(last)
        answer = passing(client, operation, {**params, "Entries": taken})
        failure = {"Id": last["Id"], "SenderFault": False, "Code": "InternalError", "Message": "try again"}
        return {**answer, "Failed": [failure]}

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", taking_all_but_the_last)

    loop.stream.drain()
    # Only the refused record came again: nothing is on the queue twice.
    assert len(dropped) == 1 and len(queued()) == 3 == len(set(queued()))
    loop.run()
    assert sorted(to for to, _ in sms()) == sorted([RESIDENT, RESIDENT, LSQ_CG])


def test_the_relay_answers_the_records_it_could_not_queue(api, clock, monkeypatch):
    submit(api)
    records = stream_records()
    refuse(monkeypatch, "SendMessageBatch", "RequestThrottled", times=1)

    answer = notify.relay(records)

    assert answer == {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in records]}
    assert notify.relay(records) == {"batchItemFailures": []} and len(queued()) == 3


def test_a_record_the_relay_cannot_read_holds_back_no_other_text(api, loop, clock):
    boto3.client("dynamodb").put_item(  # an outbox item no change of ours could make: no template, no order
        TableName=OutboxModel.Meta.table_name, Item={"id": {"S": "broken"}, "audience": {"N": "1"}}
    )
    submit(api)
    [poison, *_] = stream_records()

    loop.run()

    # The records after it were queued on the first try, though the stream hands them again with it.
    assert len(texts_to(RESIDENT)) == 2 and texts_to(LSQ_CG) == [NEW_ORDER]
    [dead] = dead_letters()  # after its retries, where it is in the stream goes to the operators' queue
    assert dead["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert dead["DDBStreamBatchInfo"]["startSequenceNumber"] == poison["dynamodb"]["SequenceNumber"]
    assert "broken" not in json.dumps(dead)  # a pointer, not the record


def test_a_message_of_no_stored_order_is_skipped_and_the_rest_sent(api, loop, clock, caplog):
    OutboxModel(
        "never-stored", tracking_no="LY202611209999", template="dispatched", audience="resident", urgent=False,
        created_at=runtime.now(), payload={}, expires_at=runtime.now() + OUTBOX_TTL,
    ).save()
    submit(api)

    loop.run()

    assert len(texts_to(RESIDENT)) == 2 and texts_to(LSQ_CG) == [NEW_ORDER]
    assert dead_letters() == [] and all("LY202611209999" not in body for body in queued())


def test_a_cancelled_transaction_holds_back_no_later_text(api, staff, loop, clock):
    """moto lets a cancelled transaction's writes through to the stream, then puts back the table as it
    was before, stream and all: later records must still be relayed, and the cancelled ones not sent."""
    submit(api)
    loop.run()
    stale = storage.get_order(NO)
    act(api, staff, NO, "sign")  # another writer moves the order on
    handler = Actor(Role.HANDLER, "test", "lsq-cg")
    order, event = apply(stale.order, "sign", handler, {}, runtime.domain_context())
    with pytest.raises(Conflict):
        storage.record_changes([Change(stale, order, event, [Notice("staff_warning", "unit:lsq-cg")])])
    before = len(sms())

    later = submit(api, anonymous=True, contact=None)
    loop.run()

    [text] = [text for _, text in sms()[before:]]
    assert later["tracking_no"] in text and "临期" not in text  # the later order's; none of the cancelled one


def test_a_message_delivered_twice_is_sent_once(api, loop, clock):
    submit(api, anonymous=True, contact=None)
    loop.stream.drain()
    [message] = queued()
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=queue.queue_url(), MessageBody=message)  # SQS's at-least-once, made certain

    loop.run()

    assert sms() == [(LSQ_CG, NEW_ORDER)]


def test_quiet_hours_hold_a_message_until_the_morning(api, loop, clock):
    clock.move_to("2026-11-20T23:00:00+08:00")
    submit(api, anonymous=True, contact=None)
    loop.stream.drain()

    loop.queue.poll()
    assert sms() == []
    assert queued() == []  # out of sight until 07:30, though received with visibility timeout 0

    clock.move_to("2026-11-21T07:29:00+08:00")
    assert queued() == []
    clock.move_to("2026-11-21T07:31:00+08:00")
    loop.run()
    assert texts_to(LSQ_CG) == [NEW_ORDER.replace("10:00前", "17:30前")]


def test_a_round_the_clock_order_reaches_its_unit_at_night_and_the_resident_in_the_morning(api, loop, clock):
    clock.move_to("2026-11-20T23:00:00+08:00")
    submit(api, type="help", category="utilities", description="暖气管道爆裂，屋里在漏水")  # 24 h → heat

    loop.run()

    assert len(texts_to(HEAT)) == 1
    assert texts_to(RESIDENT) == []
    clock.move_to("2026-11-21T07:31:00+08:00")
    loop.run()
    assert len(texts_to(RESIDENT)) == 2


def test_a_phone_gets_at_most_the_daily_cap(api, loop, clock, caplog):
    for _ in range(6):  # two texts each for the resident: 12 > 10
        submit(api)
    loop.run()

    assert len(texts_to(RESIDENT)) == 10
    assert len(texts_to(LSQ_CG)) == 5  # duty phones are not capped (the sixth new order waits for a digest)
    capped = [r for r in caplog.records if getattr(r, "outcome", None) == "capped"]
    assert len(capped) == 2

    clock.move_to("2026-11-21T10:00:00+08:00")  # a new day in Liaoyuan
    submit(api)
    loop.run()
    assert len(texts_to(RESIDENT)) == 12


def test_a_poison_message_does_not_hold_back_its_batch_and_ends_in_the_dead_letter_queue(api, loop, clock):
    unknown = {"id": "x", "tracking_no": NO, "template": "no_such_template", "audience": "resident"}
    poisons = ["not json", json.dumps(unknown)]
    submit(api, anonymous=True, contact=None)
    for poison in poisons:
        boto3.client("sqs").send_message(QueueUrl=queue.queue_url(), MessageBody=poison)
    loop.stream.drain()

    loop.queue.poll()
    assert sms() == [(LSQ_CG, NEW_ORDER)]

    for _ in range(queue.MAX_RECEIVES - 1):
        assert loop.queue.poll() == 2
    assert loop.queue.poll() == 0
    dead = queued(queue.dead_letter_queue_name(get_settings().notify_queue))
    assert sorted(dead) == sorted(poisons)
    assert len(sms()) == 1


# ---- staff: escalation by the sweep ---------------------------------------------------

def test_the_sweep_tells_the_unit_its_parent_and_the_leader(api, staff, loop, clock):
    submit(api, anonymous=True, contact=None)  # lsq-cg, due Friday 2026-11-27 10:00
    act(api, staff, NO, "sign")
    loop.run()

    schedule, texts = ScheduleDriver(app, "escalate"), {}
    for moment in ("2026-11-26T12:00:00+08:00", "2026-11-27T12:00:00+08:00", "2026-12-01T12:00:00+08:00"):
        clock.move_to(moment)
        schedule.poll()  # the escalate schedule, as EventBridge fires it
        before = len(sms())
        loop.run()
        texts[moment[:10]] = sorted(sms()[before:])

    assert texts == {
        "2026-11-26": [(LSQ_CG, f"{SIGN}【临期】工单{NO}（龙山区城市管理局）将于11月27日到期，请抓紧办理。")],
        "2026-11-27": sorted(
            (unit, f"{SIGN}【催办】工单{NO}（龙山区城市管理局）已超过办理时限（11月27日），请立即办理。")
            for unit in (LSQ_CG, LSQ)
        ),
        "2026-12-01": [
            (LEADER, f"{SIGN}【督办】工单{NO}（环境卫生，龙山区城市管理局）超期未办结（时限11月27日），已列入督办。")
        ],
    }


def test_the_resident_hears_of_the_outcome_and_of_a_reopening(api, staff, loop, clock):
    named = submit(api)
    act(api, staff, NO, "sign")
    act(api, staff, NO, "resolve", reply="已清运完毕")
    loop.run()
    assert texts_to(RESIDENT)[-1] == f"{SIGN}您的诉求(编号{NO})已由龙山区城市管理局办结，请凭查询码查看答复并评价。"

    assert rate(api, NO, named["query_code"], 1).status == 200
    loop.run()

    assert texts_to(RESIDENT)[-1] == (
        f"{SIGN}您对诉求(编号{NO})的办理不满意，已退回龙山区城市管理局重新办理，预计11月27日前办结。"
    )
    assert texts_to(LSQ_CG)[-1] == f"{SIGN}工单{NO}群众评价不满意，已退回重新办理，请于11月27日前办结。"


# ---- staff: a flood of new orders -------------------------------------------------------

# An attacker's words: characters that are in no template, no unit's and no category's name.
FLOOD = "蟑螂蚂蚁鼠患猖獗骚扰QXZ"


# The flood's digest window is 10:00–10:10; its digest is delayed by whole seconds, rounded up.
AFTER_THE_WINDOW = "2026-11-20T10:10:01+08:00"


def number(n: int) -> str:
    return f"LY20261120{n:04d}"


def flood(api, clock, orders: int = 30, seconds: float = 5, **fields) -> list[str]:
    """``orders`` anonymous submissions within ``seconds``, all for lsq-cg unless told; their numbers."""
    numbers = []
    for _ in range(orders):
        numbers.append(submit(api, anonymous=True, contact=None, description=FLOOD, **fields)["tracking_no"])
        clock.tick(seconds / orders)
    return numbers


def digest(count: int, numbers: list[str]) -> str:
    listed = "、".join(numbers) + ("等" if count - 5 > len(numbers) else "")
    return f"{SIGN}10分钟内新增{count}件工单（编号{listed}），请登录系统查看。"


def test_a_flood_of_new_orders_reaches_the_duty_phone_as_five_texts_and_one_digest(api, loop, clock):
    numbers = flood(api, clock)  # 10:00:00–10:00:05: sms.staff_digest is 5 within 10 minutes

    loop.run()
    singles = texts_to(LSQ_CG)
    assert len(singles) == 5
    texted = [re.search(r"新工单(LY\d{12})", text).group(1) for text in singles]
    assert queued() == []  # the digest waits for the window's end

    clock.move_to(AFTER_THE_WINDOW)
    loop.run()

    *_, last = texts_to(LSQ_CG)
    assert len(texts_to(LSQ_CG)) == 6
    listed = re.findall(r"LY\d{12}", last)
    assert last == digest(30, listed)
    assert len(listed) == 3 and set(listed) <= set(numbers) - set(texted)  # the ones not texted singly
    assert sorted(storage.get_order(n).order.unit for n in numbers) == ["lsq-cg"] * 30  # each still in the queue


def test_no_staff_text_quotes_the_residents_words(api, loop, clock):
    flood(api, clock, orders=8)
    loop.run()
    clock.move_to(AFTER_THE_WINDOW)
    loop.run()

    for _, text in sms():
        assert set(FLOOD) & set(text) == set(), text
    assert len(sms()) == 6 and all(to != RESIDENT for to, _ in sms())  # five new orders and a digest, all staff


def test_a_new_order_text_names_the_category_area_and_type_and_no_words_of_the_resident(api, loop, clock):
    submit(api, anonymous=True, contact=None)

    loop.run()

    assert texts_to(LSQ_CG) == [NEW_ORDER]
    assert "垃圾" not in NEW_ORDER


def test_a_digest_delivered_twice_is_sent_once(api, loop, clock):
    flood(api, clock, orders=7)
    loop.run()
    clock.move_to(AFTER_THE_WINDOW)
    [message] = queued()
    assert json.loads(message)["template"] == "staff_digest"
    boto3.client("sqs").send_message(QueueUrl=queue.queue_url(), MessageBody=message)

    loop.run()

    assert texts_to(LSQ_CG)[5:] == [digest(7, [number(6), number(7)])]


def test_the_next_window_starts_afresh(api, loop, clock):
    flood(api, clock, orders=6)
    loop.run()
    clock.move_to(AFTER_THE_WINDOW)
    flood(api, clock, orders=2)
    loop.run()

    later = texts_to(LSQ_CG)[5:]
    assert later[0] == digest(6, [number(6)])
    assert [text.startswith(f"{SIGN}新工单{number(n)}（") for text, n in zip(later[1:], (7, 8))] == [True, True]


def test_a_digest_of_orders_that_can_wait_waits_for_the_morning(api, loop, clock):
    clock.move_to("2026-11-20T21:55:00+08:00")  # the window ends at 22:00, in the quiet hours
    flood(api, clock, orders=6)
    loop.run()
    assert len(texts_to(LSQ_CG)) == 5

    clock.move_to("2026-11-20T22:00:01+08:00")
    loop.run()
    assert len(texts_to(LSQ_CG)) == 5
    clock.move_to("2026-11-21T07:31:00+08:00")
    loop.run()
    assert texts_to(LSQ_CG)[5:] == [digest(6, [number(6)])]


def test_a_digest_of_round_the_clock_orders_goes_out_at_night(api, loop, clock):
    clock.move_to("2026-11-20T23:00:00+08:00")
    flood(api, clock, orders=6, type="help", category="utilities")  # 24 h → heat, urgent

    loop.run()
    clock.move_to("2026-11-20T23:10:01+08:00")
    loop.run()

    assert len(texts_to(HEAT)) == 6
    assert texts_to(HEAT)[-1] == digest(6, [number(6)])


def test_a_digest_the_queue_refuses_is_queued_again_and_counts_its_order_once(api, loop, clock, monkeypatch):
    flood(api, clock, orders=7)
    loop.stream.drain()
    # The digest's own SendMessageBatch, from the delivery of the sixth order: refused once.
    refusal = refuse(monkeypatch, "SendMessageBatch", "InternalError")

    loop.run()
    assert refusal.refused == 1
    clock.move_to(AFTER_THE_WINDOW)
    loop.run()

    assert texts_to(LSQ_CG)[5:] == [digest(7, [number(6), number(7)])]
