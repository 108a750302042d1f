"""The bench's printed tables, from what bench/measure.py and the other parts measured."""
from __future__ import annotations

from collections import Counter

from bench import actions, duplicates, sweep
from bench.measure import LATENCY_RUNS
from bench.targets import CALL_TARGETS, CLASSIFIER_TARGET, IMPORT_RATIO_TARGET, LOOKUP


def breakdown(calls: Counter) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(calls.items(), key=lambda kv: (-kv[1], kv[0]))) or "-"


def render(
    calls: dict[str, Counter], first: dict[str, Counter], stored: int, lat: dict, imp: dict, cold: dict, sweeps: dict,
    dup: dict,
) -> str:
    width = max(len(op) for op in [*calls, *lat]) + 2
    lines = [f"AWS calls per operation (botocore before-call events; {stored} orders stored)"]
    lines.append(f"{'operation':<{width}}{'calls':>5}  breakdown")
    lines.append(f"{'-' * (width - 2):<{width}}{'-----':>5}  {'-' * 60}")
    for op, counter in calls.items():
        extra = ""
        lookup = counter[LOOKUP] if op.startswith("submit") else 0
        if lookup:
            extra = f"   [{lookup} of them the duplicate lookup's]"
        if op in CALL_TARGETS:
            limit, rest = CALL_TARGETS[op], sum(counter.values()) - lookup
            extra += f"   [target <= {limit} besides the lookup: {rest}, {'met' if rest <= limit else 'NOT MET'}]"
        lines.append(f"{op:<{width}}{sum(counter.values()):>5}  {breakdown(counter)}{extra}")
    differing = [op for op in calls if first.get(op) != calls[op]]
    lines.append("Scan calls: 0 (checked)")
    if differing:
        lines.append("First use in the process differed for: " + "; ".join(
            f"{op}: {sum(first[op].values())} ({breakdown(first[op])})" for op in differing
        ))
    else:
        lines.append("First use in the process (empty tables): same counts.")

    lines += ["", f"In-process latency (chalice.test.Client + moto mock_aws, n={LATENCY_RUNS}, or 50 for the last three)"]
    lines.append(f"{'operation':<{width}}{'p50 ms':>8}{'p95 ms':>9}")
    lines.append(f"{'-' * (width - 2):<{width}}{'------':>8}{'------':>9}")
    for op, r in lat.items():
        lines.append(f"{op:<{width}}{r['p50_ms']:>8.2f}{r['p95_ms']:>9.2f}")
    lines.append("(moto-bound: its TransactWriteItems deep-copies each table it touches and its Query reads")
    lines.append(" the whole index, so submit and list slow down as orders accumulate; see samples_ms in the json)")

    lines += ["", f"Import time, fresh interpreter (median of {imp['runs']}, same interpreter, .pyc cached)"]
    lines.append(f"{'app.py (suqiu)':<{width}}{imp['app_median_s'] * 1000:>8.1f} ms")
    lines.append(f"{'bare Chalice app + boto3':<{width}}{imp['bare_median_s'] * 1000:>8.1f} ms")
    verdict = "met" if imp["ratio"] <= IMPORT_RATIO_TARGET else "NOT MET"
    lines.append(f"{'ratio app / bare':<{width}}{imp['ratio']:>8.2f}    [target <= {IMPORT_RATIO_TARGET}: {verdict}]")
    lines.append("(app.py loads its route handlers on first use, so part of its cost moves to the first request:")
    lines.append(" the cold start to the first answer below is the fair comparison)")

    lines += ["", f"Cold start to the first answer, fresh interpreter, AWS = moto server (median of {cold['runs']})"]
    lines.append(f"{'route':<{width}}{'import':>8}{'first req':>11}{'total ms':>10}{'vs bare':>9}")
    for name, r in cold["subjects"].items():
        lines.append(
            f"{name:<{width}}{r['import_ms']:>8.1f}{r['first_request_ms']:>11.1f}{r['total_ms']:>10.1f}"
            f"{r['total_vs_bare']:>9.2f}"
        )

    lines += ["", f"Escalation sweep, {sweep.DUE} orders due (every stored order is open and in the sweep's index)"]
    lines.append(f"{'stored orders':<{width}}{'requests':>9}{'reads':>7}{'items read':>12}{'wall s':>8}")
    for n, r in sweeps.items():
        lines.append(f"{n:<{width},}{r['requests']:>9}{r['read_requests']:>7}{r['items_read']:>12}{r['wall_s']:>8.2f}")
    lines.append("(requests: 1 Query of the due index range + per due order 1 GetItem and 1 TransactWriteItems;")
    lines.append(" wall time is moto's, which walks its whole table for a GSI query; its per-transaction table")
    lines.append(" snapshot is switched off for this part)")

    quality = dup["quality"]
    lines += ["", f"Duplicate detection (并单), {duplicates.PAIRS.name}, min_similarity {quality['min_similarity']}"]
    lines.append(f"{'pairs':<{width}}{'n':>5}{'precision':>11}{'recall':>8}{'tp':>5}{'fp':>5}{'fn':>5}")
    for half, label in (("test", "test half (odd lines: quote this)"), ("dev", "dev half (threshold chosen on it)")):
        r = quality[half]
        lines.append(
            f"{label:<{width}}{r['pairs']:>5}{r['precision']:>11.3f}{r['recall']:>8.3f}{r['tp']:>5}{r['fp']:>5}{r['fn']:>5}"
        )
    lines.append(f"Lookup for one new request ({duplicates.NEARBY} requests of its category nearby, the rest elsewhere)")
    lines.append(f"{'requests in the city':<{width}}{'kind':>16}{'requests':>9}{'items read':>12}")
    for stored, kinds in dup["cost"].items():
        for kind, r in kinds.items():
            lines.append(f"{stored:<{width},}{kind:>16}{r['requests']:>9}{r['items_read']:>12}")
    return "\n".join(lines)


def render_actions(calls: dict[str, Counter], lat: dict[str, dict]) -> str:
    width = max(len(a) for a in calls) + 4
    lines = [f"Every action (staff, and the resident's rating): AWS calls, and latency over {actions.ROUNDS} rounds"]
    lines.append(f"{'action':<{width}}{'calls':>5}{'p50 ms':>9}{'p95 ms':>9}  breakdown")
    for action, counter in calls.items():
        r = lat[action]
        lines.append(f"{action:<{width}}{sum(counter.values()):>5}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}  {breakdown(counter)}")
    lines.append("(merge writes two orders in one transaction; approve and send_back need a city that reviews replies)")
    return "\n".join(lines)


def render_bill(costs: dict) -> str:
    usage, usd = costs["usage"], costs["usd"]
    lines = [f"Estimated AWS bill per {costs['requests']:,} residents' requests (us-east-1 on-demand; see bench/bill.py)"]
    for service, amount in usd.items():
        lines.append(f"  {service:<14}${amount:>9.4f}")
    lines.append(f"  {'total':<14}${costs['usd_total']:>9.2f}")
    lines.append(
        f"  usage: {usage['api_requests']:,.0f} API requests, {usage['lambda_invocations']:,.0f} Lambda invocations "
        f"({usage['lambda_gb_seconds']:,.0f} GB-s), {usage['write_units']:,.0f} write and {usage['read_units']:,.0f} "
        f"read units, {usage['s3_put']:,.0f} S3 PUT/COPY, {usage['sqs_requests']:,.0f} SQS requests"
    )
    lines.append(f"  not priced: {costs['sms_not_priced']:,} SMS (the city's SMS provider bills them)")
    prices = ", ".join(f"{k} ${v}" for k, v in costs["prices_usd"].items())
    lines.append(f"  prices used: {prices}")
    return "\n".join(lines)


def render_summary(calls, imp, cold, sweeps, dup, classifier, package, costs) -> str:
    photo = calls["submit: 1 photo + Idempotency-Key"]
    lookup = photo[LOOKUP]
    rows = [
        ("submit (1 photo + key): AWS calls", f"{sum(photo.values())} ({lookup} lookup)", "<= 6 besides the lookup",
         sum(photo.values()) - lookup <= 6),
        ("Scan calls anywhere", "0", "0", True),
        ("import time vs bare Chalice app", f"{imp['ratio']:.2f}x", f"<= {IMPORT_RATIO_TARGET}x", imp["ratio"] <= IMPORT_RATIO_TARGET),
        ("cold start to first answer: POST /requests", f"{cold['subjects']['suqiu: POST /requests']['total_vs_bare']:.2f}x",
         "-", None),
        ("sweep requests at 100 / 10,000 / 100,000 stored",
         " / ".join(str(r["requests"]) for r in sweeps.values()), "flat",
         len({r["requests"] for r in sweeps.values()}) == 1),
        ("deployment package (zipped)", f"{package['mb']:.2f} MB", "< 10 MB", package["mb"] < 10),
        ("category suggestion, held-out top-1", f"{classifier['top1_accuracy']:.1%}", f">= {CLASSIFIER_TARGET:.0%}",
         classifier["top1_accuracy"] >= CLASSIFIER_TARGET),
        ("duplicates, test half: precision / recall",
         f"{dup['quality']['test']['precision']:.3f} / {dup['quality']['test']['recall']:.3f}", "-", None),
        ("duplicate lookup requests at 100 / 10,000 in the city",
         " / ".join(str(k["anonymous"]["requests"]) for k in dup["cost"].values()), "flat",
         len({k["anonymous"]["requests"] for k in dup["cost"].values()}) == 1),
        (f"AWS bill per {costs['requests']:,} requests (SMS not included)", f"${costs['usd_total']:.2f}", "-", None),
    ]
    width = max(len(r[0]) for r in rows) + 2
    lines = ["Summary"]
    lines.append(f"{'figure':<{width}}{'measured':>22}  {'target':<24}")
    for name, value, target, met in rows:
        verdict = "" if met is None else ("met" if met else "NOT MET")
        lines.append(f"{name:<{width}}{value:>22}  {target:<24}{verdict}")
    return "\n".join(lines)
