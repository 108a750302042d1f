"""Every staff action and the resident's rating: the AWS calls each makes and its latency.

Each round walks orders through the whole lifecycle over HTTP, taking every action
once where the state allows it, each by the role that may take it:

  A (filed under "other": waits for the dispatcher)
    priority → dispatch (to 龙山区) → instruction (leader) → forward (to 向阳街道) → sign → progress →
    co_handle → request_extension → approve_extension → request_extension →
    refuse_extension → reassign (leader, back to the 城管局) → sign → resolve → rate 5 →
    publish → unpublish
  B (other): reject                 C (sanitation: auto-dispatched): return
  D, E (the same problem twice, nearby): merge E into D

approve and send_back need a city that reviews replies (the demo city does not).
Each action's calls are the last round's (the same in every round); its latency
is over all rounds. The rounds' orders are spread over 龙山区 like the bench's others.
"""
from __future__ import annotations

import time
from collections import Counter, defaultdict

from bench.measure import summary  # one percentile rule for every latency in the bench

ROUNDS = 20
STAFF = "/api/v1/staff/requests"
HUKOU = "想咨询一下办理户口迁移需要带哪些材料，第{n}次"


def measure(b, rounds: int = ROUNDS) -> tuple[dict[str, Counter], dict[str, list[float]]]:
    """(calls per action, latency samples in ms per action)."""
    calls: dict[str, Counter] = {}
    samples: dict[str, list[float]] = defaultdict(list)
    roles = {
        "dispatcher": b.staff("dispatcher"),
        "leader": b.staff("leader"),
        "lsq": b.staff("handler", "lsq"),
        "lsq-cg": b.staff("handler", "lsq-cg"),
        "lsq-xy": b.staff("handler", "lsq-xy"),
    }

    def act(no: str, who: str, action: str, **params) -> dict:
        version = b.request("GET", f"{STAFF}/{no}", headers=roles[who])["version"]
        started = time.perf_counter()
        answer, counted = b.counted(
            "POST", f"{STAFF}/{no}/actions", {"action": action, "version": version, **params}, roles[who]
        )
        samples[action].append((time.perf_counter() - started) * 1000)
        calls[action] = counted
        return answer

    def submit(category: str, description: str, at: int) -> dict:
        body = {
            "type": "complaint",
            "category": category,
            "description": description,
            "location": {"lat": 42.86 + (at % 20) * 0.004, "lng": 125.147 + (at // 20 % 12) * 0.004},
            "anonymous": True,
        }
        return b.request("POST", "/api/v1/requests", body, expect=201)

    for n in range(rounds):
        a = submit("other", HUKOU.format(n=n), 1000 + 4 * n)["tracking_no"]
        act(a, "dispatcher", "priority", on=True)
        act(a, "dispatcher", "dispatch", unit="lsq")
        act(a, "leader", "instruction", note="请尽快办理并回复群众")
        act(a, "lsq", "forward", unit="lsq-xy")
        act(a, "lsq-xy", "sign")
        act(a, "lsq-xy", "progress", note="已联系派出所户籍室", public=True)
        act(a, "dispatcher", "co_handle", units=["water"])
        act(a, "lsq-xy", "request_extension", days=2, reason="需户籍室出具证明")
        act(a, "dispatcher", "approve_extension")
        act(a, "lsq-xy", "request_extension", days=2, reason="证明尚未开具")
        act(a, "dispatcher", "refuse_extension", note="请按期办结")
        act(a, "leader", "reassign", unit="lsq-cg", reason="职责调整")
        act(a, "lsq-cg", "sign")
        act(a, "lsq-cg", "resolve", reply="已告知所需材料清单，并预约了窗口办理时间。")
        b_no = submit("other", HUKOU.format(n=n + 100), 1001 + 4 * n)["tracking_no"]
        act(b_no, "dispatcher", "reject", reason="请向公积金中心咨询，电话12329")
        c = submit("sanitation", f"第{n}个小区门口的垃圾三天没清运了", 1002 + 4 * n)["tracking_no"]
        act(c, "lsq-cg", "return", reason="该路段属于向阳街道清扫范围")
        d = submit("sanitation", f"第{n}号楼前的井盖丢了，晚上很危险", 1003 + 4 * n)["tracking_no"]
        e = submit("sanitation", f"第{n}号楼前井盖没了，有人差点掉下去", 1003 + 4 * n)["tracking_no"]
        act(e, "dispatcher", "merge", into=d)

    # The rating and the case library, on orders of their own (the resident needs the code).
    for n in range(rounds):
        placed = submit("sanitation", f"第{n}条街的垃圾箱满了没人清", 1400 + n)
        no, code = placed["tracking_no"], placed["query_code"]
        act(no, "lsq-cg", "sign")
        act(no, "lsq-cg", "resolve", reply="已清运。")
        started = time.perf_counter()
        _, counted = b.counted("POST", f"/api/v1/requests/{no}/rating", {"code": code, "stars": 5})
        samples["rate"].append((time.perf_counter() - started) * 1000)
        calls["rate"] = counted
        act(no, "dispatcher", "publish", title=f"垃圾清运及时（第{n}例）")
        act(no, "dispatcher", "unpublish")
    return calls, {action: summary(values) for action, values in samples.items()}
