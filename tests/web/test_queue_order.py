"""The console's queue in the working order (level, 重点办, due time, newest), and 最新优先 by choice."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.web.pages import DESKTOP, complaint, shot, sign_in


def test_the_console_lists_the_urgent_first_and_the_newest_by_choice(open_page, stack):
    older, newer = complaint(stack), complaint(stack)
    headers = {"Authorization": f"Bearer {stack.tokens['dispatcher']}"}
    version = requests.get(f"{stack.api}/staff/requests/{older}", headers=headers, timeout=10).json()["version"]
    made = requests.post(f"{stack.api}/staff/requests/{older}/actions", headers=headers, timeout=10,
                         json={"action": "priority", "on": True, "version": version})
    assert made.status_code == 200, made.text

    page = open_page(DESKTOP)
    sign_in(page, stack, "dispatcher")
    rows = page.locator("#queue button[data-no]")
    expect(rows).to_have_count(2)
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.no)") == [older, newer]  # 重点办 first
    shot(page, "console-queue-urgent-first")

    page.get_by_label("排序").select_option(label="最新优先")  # reloads at once: no stale cursor
    expect(rows.first).to_have_attribute("data-no", newer)
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.no)") == [newer, older]
