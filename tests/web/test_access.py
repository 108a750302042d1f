"""The pages at 360 px, with labels, with the keyboard, with errors told where they belong, with a
failed upload retried, and with a tile layer when one is configured."""
from __future__ import annotations

import base64
import json
import re

import pytest
import requests
from playwright.sync_api import expect

from tests.web.pages import DESKTOP, PHONE, complaint, no_wider_than_the_screen, shot, sign_in

# Every form control must have a name a screen reader can say: a <label>, or aria-label(ledby).
UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter((e) => e.type !== 'hidden' && !e.labels.length && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
  .map((e) => e.outerHTML)"""
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@pytest.fixture(scope="module")
def order(stack) -> str:
    """An anonymous sanitation complaint in 龙山区, dispatched to lsq-cg."""
    return complaint(stack)


@pytest.mark.parametrize("path", ["", "cases", "staff", "dashboard"])
def test_every_page_fits_a_phone_and_labels_its_fields(open_page, stack, path):
    page = open_page(PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{stack.origin}/{path}")
    expect(page.locator("main")).not_to_be_empty()
    page.wait_for_load_state("networkidle")
    no_wider_than_the_screen(page)
    assert page.evaluate(UNLABELLED) == []
    shot(page, f"phone-{path or 'residents'}")


def test_the_console_and_the_dashboard_work_at_360px(open_page, stack, order):
    page = open_page(PHONE, is_mobile=True, has_touch=True)
    sign_in(page, stack, "dispatcher")
    page.locator(f"#queue button[data-no='{order}']").click()
    expect(page.locator("#detail h2")).to_contain_text(order)
    for summary in page.locator("#detail details summary").all():
        summary.click()  # every action form open: the widest the detail gets
    no_wider_than_the_screen(page)
    assert page.evaluate(UNLABELLED) == []
    shot(page, "phone-console-detail")
    page.goto(f"{stack.origin}/dashboard")
    expect(page.locator("#kpis .kpi")).to_have_count(6)
    no_wider_than_the_screen(page)
    shot(page, "phone-dashboard")


def test_the_skip_link_and_the_keyboard_reach_the_form_and_errors_are_told_next_to_their_fields(open_page, stack):
    page = open_page(DESKTOP)
    page.goto(stack.origin + "/")
    expect(page.locator("#type option")).not_to_have_count(0)
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()

    page.get_by_label("所在区域").select_option(label="\u3000\u3000龙山社区")  # located by its area: no geolocation
    page.get_by_label("问题描述").fill("垃圾")  # too short
    page.locator("#report-form").get_by_label("手机号码").fill("12345")
    page.get_by_role("button", name="提交诉求").focus()
    page.keyboard.press("Enter")

    expected = {
        "type": "请选择诉求类型", "description": "请至少写5个字，说清时间、地点和问题", "category": "请选择问题分类",
        "contact.name": "请填写姓名，或选择匿名反映", "contact.otp": "请填写短信验证码（先点“获取验证码”）",
    }
    for field, text in expected.items():
        expect(page.locator(f"[data-error-for='{field}']")).to_have_text(text)
    expect(page.locator("#description")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#type")).to_be_focused()  # the first field in error
    shot(page, "residents-field-errors")

    # What only the server can judge comes back next to its field too; fixed fields lose their errors.
    page.get_by_label("诉求类型").select_option(label="投诉")
    page.get_by_label("问题描述").fill("龙山社区门口垃圾堆了三天没人清运")
    page.get_by_label("问题分类").select_option(label="环境卫生")
    page.locator("#report-form").get_by_label("姓名").fill("李桂兰")
    page.locator("#report-form").get_by_label("短信验证码").fill("123456")
    page.get_by_role("button", name="提交诉求").click()
    expect(page.locator("[data-error-for='contact.phone']")).to_have_text("请填写有效的手机号码（可接收短信）")
    expect(page.locator("[data-error-for='description']")).to_be_empty()
    expect(page.locator("#phone")).to_be_focused()


def test_a_category_asks_its_own_questions_and_the_suggestion_preselects_it(open_page, stack):
    page = open_page(PHONE, is_mobile=True, has_touch=True)
    page.goto(stack.origin + "/")
    expect(page.locator("#type option")).not_to_have_count(0)
    page.get_by_label("问题描述").fill("小区门口消防通道被私家车堵死了，天天如此")
    expect(page.locator("#category")).to_have_value("traffic")  # preselected by the suggestion
    spot = page.get_by_label("问题发生在什么地方？")
    expect(spot).to_be_visible()
    assert page.evaluate(UNLABELLED) == []
    page.get_by_label("问题分类").select_option(label="环境卫生")  # the resident's choice stands
    with page.expect_response("**/api/v1/suggest"):  # the suggestion comes, and must not override
        page.get_by_label("问题描述").fill("小区门口消防通道被私家车堵死了，天天如此，请管管")
    expect(page.locator("#suggestion")).to_contain_text("交通秩序")
    expect(page.locator("#category")).to_have_value("sanitation")
    expect(page.get_by_label("问题发生在什么地方？")).to_have_count(0)

    page.get_by_label("问题分类").select_option(label="交通秩序")
    page.get_by_label("所在区域").select_option(label="\u3000\u3000龙山社区")
    page.get_by_role("button", name="提交诉求").click()
    expect(page.locator("[data-error-for='answers.spot']")).to_have_text("请回答此问题")
    page.get_by_label("问题发生在什么地方？").select_option(label="小区内")
    shot(page, "residents-questions")


def test_a_failed_upload_is_retried_alone_and_the_form_keeps_what_was_typed(open_page, stack, photo):
    page = open_page(PHONE, is_mobile=True, has_touch=True)
    posts = []

    def flaky_bucket(route):
        posts.append(route.request.method)
        if len(posts) == 1:
            route.abort("connectionreset")  # the phone lost its connection mid-upload
        else:
            route.continue_()

    page.route(re.compile(r".*/suqiu-local-media/?$"), flaky_bucket)
    page.goto(stack.origin + "/")
    page.get_by_label("问题描述").fill("龙山社区门口垃圾堆了三天没人清运")
    page.get_by_label("选择文件").set_input_files(photo)
    row = page.locator("#media-list li")
    expect(row).to_have_class("failed")
    expect(row).to_contain_text("网络中断")
    shot(page, "upload-failed")
    row.get_by_role("button", name=re.compile("重试")).click()
    expect(row).to_have_class("done")
    assert posts == ["POST", "POST"]
    expect(page.get_by_label("问题描述")).to_have_value("龙山社区门口垃圾堆了三天没人清运")


def test_a_district_on_the_dashboard_map_opens_with_the_keyboard(open_page, stack, order):
    page = open_page(DESKTOP)
    sign_in(page, stack, "leader", "dashboard")
    district = page.locator("#map svg [data-area='220402']")
    expect(district).to_have_attribute("role", "button")
    district.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#map-scope")).to_have_text("龙山区")
    expect(page.locator("#map svg [data-area='220402001']")).to_have_count(1)  # its streets
    expect(page.locator("#map svg image")).to_have_count(0)  # no tile layer unless configured
    page.get_by_role("button", name="返回全市").click()
    expect(page.locator("#map-scope")).to_have_text("全市")


def test_a_configured_tile_layer_lies_under_the_city_shapes(open_page, stack, order):
    page = open_page(DESKTOP)
    tiles = []

    def with_tiles(route):
        config = json.loads(route.fetch().text())
        config["tiles"] = {"url": "http://tiles.test/{z}/{x}/{y}.png", "attribution": "© 测试底图"}
        route.fulfill(json=config)

    def tile(route):
        tiles.append(route.request.url)
        route.fulfill(body=PNG, content_type="image/png")

    page.route("**/api/v1/staff/config", with_tiles)
    page.route("http://tiles.test/**", tile)
    sign_in(page, stack, "dispatcher", "dashboard")
    expect(page.locator("#map svg image").first).to_be_attached()
    expect(page.locator("#map")).to_contain_text("© 测试底图")
    page.wait_for_load_state("networkidle")
    assert tiles and all(re.fullmatch(r"http://tiles\.test/\d+/\d+/\d+\.png", url) for url in tiles)


def test_my_requests_after_an_sms_code_a_wrong_code_told_next_to_it(open_page, stack):
    page = open_page(PHONE, is_mobile=True, has_touch=True)
    phone = "13904379999"
    page.goto(stack.origin + "/#mine")
    form = page.locator("#mine-form")
    form.get_by_label("手机号码").fill(phone)
    form.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#mine-send")).to_contain_text("秒后可重发")
    [code] = stack.sms_codes(phone)
    form.get_by_label("短信验证码").fill("000000" if code != "000000" else "111111")
    form.get_by_role("button", name="查看").click()
    expect(form.locator("[data-error-for='code']")).to_have_text("验证码错误或已失效")
    form.get_by_label("短信验证码").fill(code)
    form.get_by_role("button", name="查看").click()
    expect(page.locator("#mine-result")).to_have_text("没有找到您的诉求。")
    expect(form.locator("[data-error-for='code']")).to_be_empty()


def waiting_order(stack) -> str:
    """A consultation nothing routes: it waits for the dispatcher."""
    answer = requests.post(f"{stack.api}/requests", timeout=10, json={
        "type": "consult", "category": "other", "description": "想咨询一下办理户口迁移需要带哪些材料",
        "location": {"lat": 42.905, "lng": 125.145}, "anonymous": True,
    })
    assert answer.status_code == 201 and answer.json()["state"] == "submitted", answer.text
    return answer.json()["tracking_no"]


def test_suspected_duplicates_are_merged_with_one_click_and_hotspots_open_their_orders(open_page, stack):
    """The same question five times from one spot: the later ones list the first as a suspected
    duplicate, and the cell becomes a hotspot (5 of a category within 72 hours)."""
    main, duplicate = waiting_order(stack), waiting_order(stack)
    others = [waiting_order(stack) for _ in range(3)]
    page = open_page(DESKTOP)
    sign_in(page, stack, "dispatcher")
    alert = page.locator("#hotspot-list li").filter(has_text=others[-1])
    expect(alert).to_contain_text("其他")
    alert.get_by_role("button", name=duplicate).click()
    expect(page.locator("#detail h2")).to_contain_text(duplicate)
    shot(page, "console-duplicates")
    page.get_by_role("button", name=f"并单：并入 {main}").click()
    expect(page.locator("#detail h2")).to_contain_text("已并单")
    expect(page.locator("#detail dl")).to_contain_text(main)
    expect(page.get_by_role("button", name=f"并单：并入 {main}")).to_be_disabled()  # merged: nothing more to merge
