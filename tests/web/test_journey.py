"""One request's whole journey through the pages, in a real browser, against a local stack.

A resident reports from a phone (360 px) with a photo taken for it, uploaded straight to the
bucket, located by the browser and proven by an SMS code; a dispatcher dispatches it in the
console; the unit's handler meets a conflict (someone changed the order meanwhile), signs and
resolves it with a result photo; the resident follows and rates it; the dispatcher puts it in
the case library, which shows it; the dashboard counts it. Screenshots of each step are
saved under .artifacts/web/.
"""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.web.pages import DESKTOP, LIAOYUAN, PHONE, no_wider_than_the_screen, shot, sign_in

# Nothing routes a consultation about household registration: it waits for the dispatcher.
DESCRIPTION = "想咨询一下办理户口迁移需要带哪些材料，在哪个窗口办理"
PHONE_NUMBER = "13904371234"


def report(page, stack, photo) -> tuple[str, str]:
    page.goto(stack.origin + "/")
    page.get_by_label("诉求类型").select_option(label="咨询")
    page.get_by_label("问题描述").fill(DESCRIPTION)
    page.get_by_label("问题分类").select_option(label="其他")
    page.get_by_label("选择文件").set_input_files(photo)
    expect(page.locator("#media-list li.done")).to_have_count(1)
    page.get_by_role("button", name="使用当前位置").click()
    expect(page.locator("#location-status")).to_contain_text("已定位")
    form = page.locator("#report-form")
    form.get_by_label("姓名").fill("李桂兰")
    form.get_by_label("手机号码").fill(PHONE_NUMBER)
    sent = len(stack.sms_codes(PHONE_NUMBER))
    form.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#send-code")).to_contain_text("秒后可重发")
    form.get_by_label("短信验证码").fill(stack.sms_codes(PHONE_NUMBER)[sent])
    no_wider_than_the_screen(page)
    shot(page, "1-resident-report-filled")
    page.get_by_role("button", name="提交诉求").click()
    expect(page.locator("#submitted")).to_be_visible()
    no_wider_than_the_screen(page)
    shot(page, "2-resident-submitted")
    return page.locator("#done-no").inner_text(), page.locator("#done-code").inner_text()


def test_a_report_goes_from_a_phone_through_the_console_to_the_dashboard(open_page, stack, photo):
    resident = open_page(PHONE, is_mobile=True, has_touch=True, geolocation=LIAOYUAN, permissions=["geolocation"])
    no, code = report(resident, stack, photo)
    assert no.startswith("LY") and len(code) == 8

    # The dispatcher finds it waiting and dispatches it to 向阳街道办事处.
    dispatcher = open_page(DESKTOP)
    sign_in(dispatcher, stack, "dispatcher")
    dispatcher.locator(f"#queue button[data-no='{no}']").click()
    expect(dispatcher.locator("#detail h2")).to_contain_text("待派单")
    expect(dispatcher.locator("#detail .media img")).to_have_count(1)
    expect(dispatcher.locator("#detail .order-map svg .pin")).to_have_count(1)
    dispatcher.locator("details[data-action=dispatch] summary").click()
    dispatcher.locator("#dispatch-unit").select_option("lsq-xy")
    shot(dispatcher, "3-dispatcher-dispatching")
    dispatcher.get_by_role("button", name="确认派单").click()
    expect(dispatcher.locator("#detail h2")).to_contain_text("待签收")

    # The handler opens it; meanwhile the dispatcher marks it a priority (a newer version):
    # signing is refused with 409, explained, and the order reloaded; then it goes through.
    handler = open_page(DESKTOP)
    sign_in(handler, stack, "handler:lsq-xy")
    handler.locator(f"#queue button[data-no='{no}']").click()
    expect(handler.locator("#detail details[data-action=sign]")).to_have_count(1)
    assert [a for a in handler.locator("#detail details").evaluate_all("ds => ds.map(d => d.dataset.action)")] == [
        "sign", "return", "forward", "assign",  # assign: a text field, the person's id
    ]
    headers = {"Authorization": f"Bearer {stack.tokens['dispatcher']}"}
    version = requests.get(f"{stack.api}/staff/requests/{no}", headers=headers, timeout=10).json()["version"]
    changed = requests.post(f"{stack.api}/staff/requests/{no}/actions", headers=headers, timeout=10,
                            json={"action": "priority", "on": True, "version": version})
    assert changed.status_code == 200, changed.text
    handler.locator("details[data-action=sign] summary").click()
    handler.get_by_role("button", name="确认签收").click()
    expect(handler.locator("#toast")).to_contain_text("已重新加载")
    expect(handler.locator("#detail h2")).to_contain_text("重点")
    handler.locator("details[data-action=sign] summary").click()
    handler.get_by_role("button", name="确认签收").click()
    expect(handler.locator("#detail h2")).to_contain_text("办理中")
    # The extension form offers the city's limit (extensions.max_working_days), as the API gives it.
    expect(handler.locator("#request_extension-days")).to_have_attribute("max", "3")
    handler.locator("details[data-action=resolve] summary").click()
    handler.get_by_label("办理结果答复（将告知群众）").fill("已电话告知所需材料：身份证、户口簿、准迁证，在区政务大厅3号窗口办理。")
    handler.get_by_label("办结照片", exact=True).set_input_files(photo)
    expect(handler.locator("form[data-action=resolve] li.done")).to_have_count(1)
    handler.get_by_role("button", name="确认办结").click()
    expect(handler.locator("#detail h2")).to_contain_text("已办结")
    expect(handler.locator("#detail .media img")).to_have_count(2)
    shot(handler, "4-handler-resolved")

    # The resident follows it with the number and code, sees the reply, and rates it.
    resident.get_by_role("link", name="查询进度").click()
    resident.get_by_label("受理编号").fill(no)
    resident.get_by_label("查询码").fill(code)
    resident.get_by_role("button", name="查询").click()
    expect(resident.locator("#track-result h3")).to_contain_text("已办结")
    expect(resident.locator("#track-result")).to_contain_text("区政务大厅3号窗口")
    resident.get_by_label("5星 非常满意").check()
    resident.get_by_label("意见（选填）").fill("答复很清楚，谢谢")
    no_wider_than_the_screen(resident)
    shot(resident, "5-resident-rating")
    resident.get_by_role("button", name="提交评价").click()
    expect(resident.locator("#toast")).to_contain_text("感谢您的评价")
    expect(resident.locator("#track-result dl")).to_contain_text("已关闭")

    # The dispatcher puts it in the case library, where residents find it by a keyword.
    dispatcher.reload()  # the console reopens the order its address names (#LY…)
    expect(dispatcher.locator("#detail h2")).to_contain_text("已关闭")
    dispatcher.locator("details[data-action=publish] summary").click()
    dispatcher.get_by_label("案例标题（选填，默认为分类和区域）").fill("户口迁移需要哪些材料")
    dispatcher.get_by_role("button", name="确认发布到典型案例库").click()
    expect(dispatcher.locator("#detail .timeline")).to_contain_text("列入典型案例库")
    resident.goto(f"{stack.origin}/cases")
    resident.get_by_label("关键词").fill("户口")
    resident.get_by_role("button", name="搜索").click()
    expect(resident.locator("#case-list article h3")).to_have_text(["户口迁移需要哪些材料"])
    no_wider_than_the_screen(resident)
    shot(resident, "6-case-library")

    # The dashboard counts it: received, signed, resolved on time, rated 5 by a satisfied resident.
    dispatcher.goto(f"{stack.origin}/dashboard")
    expect(dispatcher.locator("#kpis")).to_contain_text("受理量")
    kpis = dispatcher.locator("#kpis .kpi")
    expect(kpis.filter(has_text="受理量")).to_contain_text("1件")
    expect(kpis.filter(has_text="签收率")).to_contain_text("100.0%")
    expect(kpis.filter(has_text="按时办结率")).to_contain_text("100.0%")
    expect(kpis.filter(has_text="满意率")).to_contain_text("100.0%")
    expect(dispatcher.locator("#red-board")).to_contain_text("向阳街道办事处")
    expect(dispatcher.locator("#by-state")).to_contain_text("已关闭")
    expect(dispatcher.locator("#map svg .cluster-count")).to_have_text(["1"])
    shot(dispatcher, "7-dashboard")
