"""协办 and 承办人 in a real browser: a co-unit finds its share of an order and replies, and the main
unit reads the reply; a unit head gives an order to a person of the unit and sees it in the workload."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.web.pages import DESKTOP, complaint, shot, sign_in

CO_REPLY = "向阳街道已安排保洁员每日巡查该点位，垃圾已清运"
CG_PERSON = "演示承办人（lsq-cg）"
LAPTOP = {"width": 1280, "height": 800}


def filters_on_their_old_lines(page) -> None:
    """协办 and 我承办的 sit beside 排序 and 实名 (one line each), the buttons on one line: no taller a bar."""
    top = lambda selector: page.locator(selector).evaluate("node => Math.round(node.getBoundingClientRect().top)")
    assert top("#f-involvement") == top("#f-sort")
    assert top("#f-mine") == top("#f-verified")
    lines = page.locator("#filters .check.shrink").evaluate_all(
        "nodes => nodes.map((n) => Math.round(n.getBoundingClientRect().height / parseFloat(getComputedStyle(n).lineHeight)))")
    assert lines == [1, 1]
    assert len({top(f"#filters .actions button >> nth={n}") for n in range(4)}) == 1


def open_order(page, no: str) -> None:
    page.locator(f"#queue button[data-no='{no}']").click()
    expect(page.locator("#detail h2")).to_contain_text(no)


def test_a_co_unit_finds_the_order_under_co_handling_and_replies_and_the_main_unit_sees_it(open_page, stack):
    no = complaint(stack)  # dispatched to 龙山区城市管理局 (lsq-cg)

    dispatcher = open_page(DESKTOP)
    sign_in(dispatcher, stack, "dispatcher")
    open_order(dispatcher, no)
    co_handle = dispatcher.locator("#detail details[data-action='co_handle']")
    co_handle.locator("summary").click()
    co_handle.get_by_label("向阳街道办事处").check()
    co_handle.get_by_role("button", name="确认设置协办").click()
    co = dispatcher.locator("#co-replies")
    expect(co.locator("dd[data-unit='lsq-xy']")).to_have_text("待回复")
    shot(dispatcher, "co-1-co-unit-added")

    street = open_page(DESKTOP)
    sign_in(street, stack, "handler:lsq-xy")
    expect(street.locator(f"#queue button[data-no='{no}']")).to_have_count(0)  # not its own order
    street.get_by_label("主办/协办").select_option("co")
    street.get_by_role("button", name="查询", exact=True).click()
    open_order(street, no)
    # A co-unit takes its part of the answer and progress notes, nothing that moves the order.
    offered = street.locator("#detail details[data-action]")
    expect(offered).not_to_have_count(0)
    assert set(offered.evaluate_all("nodes => nodes.map((n) => n.dataset.action)")) <= {"progress", "co_reply"}
    reply = street.locator("#detail details[data-action='co_reply']")
    reply.locator("summary").click()
    reply.locator("textarea").fill(CO_REPLY)
    reply.get_by_role("button", name="确认协办答复").click()
    expect(street.locator("#co-replies dd[data-unit='lsq-xy']")).to_have_text(CO_REPLY)
    shot(street, "co-2-co-unit-replied")

    main = open_page(DESKTOP)
    sign_in(main, stack, "handler:lsq-cg")
    open_order(main, no)
    expect(main.locator("#co-replies dd[data-unit='lsq-xy']")).to_have_text(CO_REPLY)
    expect(main.locator("#detail .timeline")).to_contain_text("协办答复")
    shot(main, "co-3-main-unit-reads-the-reply")


def test_a_unit_head_assigns_an_order_to_a_person_of_the_unit_and_sees_the_workload_count_it(open_page, stack):
    no = complaint(stack)
    headers = {"Authorization": f"Bearer {stack.tokens['handler:lsq']}"}

    def held() -> int:
        load = requests.get(f"{stack.api}/staff/workload", params={"unit": "lsq"}, headers=headers, timeout=10)
        assert load.status_code == 200, load.text
        return next(p["open"] for p in load.json()["people"] if p["name"] == CG_PERSON)

    before = held()
    head = open_page(LAPTOP)
    sign_in(head, stack, "handler:lsq")  # 龙山区: the unit above 龙山区城市管理局
    filters_on_their_old_lines(head)
    open_order(head, no)
    expect(head.locator("#detail dl.facts")).to_contain_text("未指定")
    assign = head.locator("#detail details[data-action='assign']")
    assign.locator("summary").click()
    chooser = assign.get_by_label("承办人", exact=True)
    expect(chooser).to_be_visible()
    assert chooser.evaluate("node => node.tagName") == "SELECT"
    chooser.select_option(label=CG_PERSON)
    shot(head, "assign-1-choosing-the-person")
    assign.get_by_role("button", name="确认指定承办人").click()
    expect(head.locator("#detail dl.facts")).to_contain_text(CG_PERSON)
    expect(head.locator("#detail .timeline")).to_contain_text(f"交由{CG_PERSON}承办")

    head.get_by_role("button", name="工作量").click()
    table = head.locator("#workload table")
    expect(table).to_be_visible()
    row = table.locator("tbody tr", has=head.locator("th", has_text=CG_PERSON))
    expect(row.locator("td").first).to_have_text(str(before + 1))
    expect(table.locator("tbody tr").last).to_contain_text("未分配")
    assert held() == before + 1
    shot(head, "assign-2-workload")
