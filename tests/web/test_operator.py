"""受理登记 in a real browser: an operator takes a call, finds the caller's earlier request, dispatches."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.web.pages import DESKTOP, shot, sign_in

CALLER = "13904375678"


def test_an_operator_takes_a_call_finds_the_callers_earlier_request_and_dispatches(open_page, stack):
    # The caller rang last week too: the hotline's operator took that one down.
    earlier = requests.post(f"{stack.api}/staff/requests", timeout=10, headers={
        "Authorization": f"Bearer {stack.tokens['operator']}"}, json={
        "type": "complaint", "category": "sanitation", "description": "龙山社区门口垃圾堆了三天没人清运",
        "location": {"lat": 42.905, "lng": 125.145}, "area": "220402001001", "channel": "phone",
        "caller": {"name": "赵桂芝", "phone": CALLER},
    })
    assert earlier.status_code == 201, earlier.text
    earlier_no = earlier.json()["tracking_no"]

    page = open_page(DESKTOP)
    sign_in(page, stack, "operator")
    form = page.locator("#intake-form")
    expect(form).to_be_visible()
    form.get_by_label("受理渠道").select_option("phone")
    form.get_by_label("来电人电话（选填）").fill(CALLER)
    history = page.locator("#i-history")
    expect(history.locator(f"button[data-no='{earlier_no}']")).to_be_visible()
    history.locator(f"button[data-no='{earlier_no}']").click()
    expect(page.locator("#detail h2")).to_contain_text(earlier_no)  # a repeat call about another matter, it turns out
    shot(page, "operator-1-earlier-request")

    form.get_by_label("来电人姓名（选填）").fill("赵桂芝")
    form.get_by_label("诉求类型").select_option("complaint")
    form.get_by_label("诉求内容").fill("向阳街道路灯坏了一个星期，晚上很黑，老人出门不方便")
    expect(page.locator("#i-suggestion")).to_contain_text("智能推荐分类")
    form.get_by_label("问题分类").select_option("municipal")
    form.get_by_label("区域").select_option("220402001")
    form.get_by_label("直接派单").check()
    form.get_by_label("承办单位").select_option("lsq-xy")
    shot(page, "operator-2-taking-the-call")
    form.get_by_role("button", name="登记受理").click()

    expect(page.locator("#i-done")).to_contain_text("查询码")
    no = page.locator("#i-done").inner_text().split("编号 ")[1].split("，")[0]
    expect(page.locator("#detail h2")).to_contain_text(no)
    expect(page.locator("#detail h2")).to_contain_text("待签收")
    expect(page.locator("#detail .timeline")).to_contain_text("话务员受理（电话）")
    shot(page, "operator-3-dispatched")

    headers = {"Authorization": f"Bearer {stack.tokens['dispatcher']}"}
    detail = requests.get(f"{stack.api}/staff/requests/{no}", headers=headers, timeout=10).json()
    assert (detail["unit"]["code"], detail["channel"], detail["verified"]) == ("lsq-xy", "phone", True)
    assert [e["action"] for e in detail["trail"]] == ["submit", "dispatch"]
    assert detail["trail"][1]["actor"]["role"] == "operator"
