"""What the browser tests share: viewports, the browser's location, screenshots, signing in.

A helper module, not a test module nor a conftest (tests/test_imports.py): the fixtures are in
tests/web/conftest.py, which pytest gives the tests; these are plain names they import.
"""
from __future__ import annotations

import re
from pathlib import Path

import requests
from playwright.sync_api import expect

from tests.local_stack import ROOT

ARTIFACTS = ROOT / ".artifacts" / "web"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
LIAOYUAN = {"latitude": 42.9052, "longitude": 125.1455}  # 龙山区向阳街道, WGS-84


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"


def shot(page, name: str) -> None:
    page.screenshot(path=str(artifact(name)), full_page=True)


def sign_in(page, stack, username: str, path: str = "staff") -> None:
    """Through the identity provider's own sign-in page (the local issuer's), as staff do."""
    page.goto(f"{stack.origin}/{path}")
    page.get_by_role("button", name="登录").click()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("demo")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#who")).to_contain_text("退出")


def no_wider_than_the_screen(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def complaint(stack) -> str:
    """An anonymous sanitation complaint in 龙山区: dispatched to lsq-cg with a due time."""
    answer = requests.post(f"{stack.api}/requests", timeout=10, json={
        "type": "complaint", "category": "sanitation", "description": "龙山社区门口垃圾堆了三天没人清运，气味很大",
        "location": {"lat": 42.905, "lng": 125.145}, "area": "220402001001", "anonymous": True,
    })
    assert answer.status_code == 201, answer.text
    return answer.json()["tracking_no"]
