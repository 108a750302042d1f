"""The web pages and their assets, as the app serves them (the browser tests drive them: tests/web)."""
from __future__ import annotations

import re

import pytest

from chalicelib.api import pages

PAGES = ["/", "/staff", "/dashboard", "/cases"]


@pytest.mark.parametrize("path", PAGES)
def test_a_page_is_html_in_chinese_revalidated_on_every_visit(api, path):
    answer = api.get(path)
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.headers["Cache-Control"] == "no-cache"
    assert '<html lang="zh-CN">' in answer.text and '<meta name="viewport"' in answer.text


@pytest.mark.parametrize("path", PAGES)
def test_a_page_runs_only_its_own_scripts_and_sends_no_referer(api, path):
    headers = api.get(path).headers
    policy = dict(part.split(" ", 1) for part in headers["Content-Security-Policy"].split("; "))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert headers["Referrer-Policy"] == "no-referrer" and headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", PAGES)
def test_a_page_names_its_assets_relatively_with_their_content_hash(api, path):
    text = api.get(path).text
    links = re.findall(r'(?:src|href)="([^"]+)"', text)
    assets = [link for link in links if link.startswith("assets/")]
    assert assets and all(re.fullmatch(r"assets/[\w.-]+\?v=[0-9a-f]{16}", link) for link in assets)
    assert not [link for link in links if link.startswith(("/", "http"))], "an absolute link breaks under the stage path"
    assert "{{" not in text and "<script>" not in text and " style=" not in text  # nothing inline: the CSP forbids it
    for link in assets:
        assert api.get("/" + link).status == 200, link


def test_an_asset_asked_for_by_its_current_hash_is_kept_a_year(api):
    link = re.search(r'src="(assets/console\.js\?v=\w+)"', api.get("/staff").text)[1]
    answer = api.get("/" + link)
    assert answer.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert answer.text.startswith("/* The staff console")


def test_an_asset_asked_for_by_an_old_hash_or_none_is_revalidated(api):
    assert api.get("/assets/console.js?v=0000000000000000").headers["Cache-Control"] == "no-cache"
    assert api.get("/assets/suqiu.css").headers["Content-Type"] == "text/css; charset=utf-8"


def test_an_unchanged_page_or_asset_costs_a_304(api):
    first = api.get("/dashboard")
    again = api.get("/dashboard", {"If-None-Match": first.headers["ETag"]})
    assert again.status == 304 and again.text == ""
    asset = api.get("/assets/map.js")
    assert api.get("/assets/map.js", {"If-None-Match": asset.headers["ETag"]}).status == 304
    assert api.get("/assets/map.js", {"If-None-Match": '"stale"'}).status == 200


@pytest.mark.parametrize("name", ["nothing.js", "..%2Fstaff.html", ".hidden.js", "suqiu.py"])
def test_anything_else_under_assets_is_not_found(api, name):
    answer = api.get(f"/assets/{name}")
    assert answer.status == 404 and answer.json["error"]["code"] == "not_found"


def test_every_asset_is_used_by_a_page_and_every_page_names_only_assets_that_exist():
    named = set()
    for route in pages.PAGES:
        named |= set(re.findall(r"assets/([\w.-]+)\?v=", pages.page(route).body))
    assert named == {path.name for path in (pages.WEB / "assets").iterdir()}


def test_the_assets_stay_small():
    """They deploy in the Lambda zip, whose budget is nearly spent (see the README's figures)."""
    total = sum(path.stat().st_size for path in pages.WEB.rglob("*") if path.is_file())
    assert total < 120_000, total
