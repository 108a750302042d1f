"""Privacy: what anyone may read shows no phone number, name or ID number of a named request.

Two named requests go the whole way: a resident's own (with an SMS code), whose description,
address and rating comment hold an ID number and mobiles typed in, resolved with a reply that
quotes a mobile, closed and published in the case library; and one posted by a partner
through Open311 with its caller's name and phone. Then every answer a member of the public, a
partner or the resident can get is read, in JSON and in XML: none may hold a mobile number
(spaced or with +86), an ID number, or a contact's name. The masked forms must show, so the
text was there to be masked. (The logs are checked for the whole run: tests/conftest.py.)

Then every way a number was seen typed (tests/personal.py TYPED: full-width, mixed widths,
0086, dots, zero-width characters inside, a 15-digit ID number...) goes into descriptions,
addresses and replies, and each public surface is read for it, as a reader would see it.
"""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest

from tests.api.resident_helpers import FRIDAY_DAY, REQUESTS, act, body, forget_otp, rate, request_otp, verified
from tests.open311.helpers import FORMATS, issue_key
from tests.personal import TYPED, found_in

NAME, PHONE = "欧阳秀兰", "13904376655"
CONTACT = {"name": NAME, "phone": PHONE}
CALLER, CALLER_PHONE = ("欧阳", "娜娜"), "13704371122"
ID_NUMBER, CALLERS_ID = "220402198001011234", "22040219900215402X"
DESCRIPTION = f"垃圾已经三天没有清运了。我的身份证号{ID_NUMBER}，有事请打138 1234 5678或+86 {PHONE}"
ADDRESS = "龙山区向阳街道人民大街8号（电话15912345678）"
REPLY = "已安排清运，垃圾已清理完毕。如仍有问题请联系社区网格员13512340000"
COMMENT = f"很满意，谢谢！我的电话{PHONE}"

WINDOW = urlencode({"start_date": "2026-11-19T00:00:00+08:00", "end_date": "2026-11-21T00:00:00+08:00"})
# What must show instead (the walk read the text it was meant to).
MASKED = ["138****5678", "220402********1234", "159****5678", "135****0000", "220402********402X"]


def named_requests(api, staff) -> dict:
    """The two requests, taken where the walk needs them; what a resident and a partner were told."""
    location = {**body()["location"], "address": ADDRESS}
    web = api.post(REQUESTS, verified(api, body(description=DESCRIPTION, location=location, contact=CONTACT)))
    assert web.status == 201, web
    no, code = web.json["tracking_no"], web.json["query_code"]
    act(api, staff, no, "sign")
    act(api, staff, no, "resolve", reply=REPLY)
    assert rate(api, no, code, 5, comment=COMMENT).status == 200
    version = api.get(f"/api/v1/staff/requests/{no}", staff("dispatcher")).json["version"]
    published = {"action": "publish", "version": version, "title": "垃圾清运不及时"}
    assert api.post(f"/api/v1/staff/requests/{no}/actions", published, staff("dispatcher")).status == 200

    form = {
        "api_key": issue_key(api, staff)["api_key"], "service_code": "sanitation", "lat": "42.902", "long": "125.145",
        "address_string": ADDRESS, "last_name": CALLER[0], "first_name": CALLER[1], "phone": CALLER_PHONE,
        "description": f"垃圾堆在楼道里一个星期了，来电人身份证{CALLERS_ID}，回电{CALLER_PHONE}",
    }
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    posted = api.post("/open311/v2/requests.json", urlencode(form), form_type)
    assert posted.status == 201, posted
    [receipt] = posted.json
    return {"web": web, "no": no, "code": code, "posted": posted, "partner_no": receipt["service_request_id"],
            "partner_code": re.search(r"查询码([A-Z0-9]+)", receipt["service_notice"]).group(1),
            "token": receipt["token"]}


def walk(api, made: dict) -> dict[str, str]:
    """Every public answer about them, by what was asked: its body as sent."""
    forget_otp(PHONE)  # the submission's code was a minute ago: a new visit
    resident = api.post("/api/v1/otp/verify", {"phone": PHONE, "code": request_otp(api, PHONE)}).json["token"]
    asked = {
        "POST /requests": made["web"],
        "POST /open311/v2/requests.json": made["posted"],
        "GET /catalog": api.get("/api/v1/catalog"),
        "POST /suggest": api.post("/api/v1/suggest", {"description": "小区门口的垃圾没有清运"}),
        "GET /requests/{no}": api.get(f"{REQUESTS}/{made['no']}?code={made['code']}"),
        "GET /requests/{partner's}": api.get(f"{REQUESTS}/{made['partner_no']}?code={made['partner_code']}"),
        "GET /cases": api.get("/api/v1/cases"),
        "GET /cases?q=": api.get("/api/v1/cases?q=%E5%9E%83%E5%9C%BE"),  # 垃圾
        "GET /me/requests": api.get("/api/v1/me/requests", {"Authorization": f"Bearer {resident}"}),
    }
    for fmt in FORMATS:
        for path in (
            f"discovery.{fmt}", f"services.{fmt}", f"services/sanitation.{fmt}", f"requests.{fmt}?{WINDOW}",
            f"requests/{made['no']}.{fmt}", f"requests/{made['partner_no']}.{fmt}", f"tokens/{made['token']}.{fmt}",
            f"servicerequestupdates.{fmt}?{WINDOW}",
        ):
            asked[f"GET /open311/v2/{path}"] = api.get(f"/open311/v2/{path}")
    for what, answer in asked.items():
        assert answer.status in (200, 201), (what, answer)
    return {what: answer.text for what, answer in asked.items()}


def test_no_public_answer_shows_a_phone_a_name_or_an_id_number(api, staff, clock):
    made = named_requests(api, staff)

    answers = walk(api, made)

    leaks = {
        what: sorted({*found_in(text), *(name for name in (NAME, "".join(CALLER)) if name in text)})
        for what, text in answers.items()
    }
    assert {what: found for what, found in leaks.items() if found} == {}
    everything = "\n".join(answers.values())
    assert [masked for masked in MASKED if masked not in everything] == []
    for listed in ("GET /cases", "GET /me/requests", *(f"GET /open311/v2/requests.{fmt}?{WINDOW}" for fmt in FORMATS)):
        assert made["no"] in answers[listed], listed  # the lists did hold the requests
    for partners in (f"GET /open311/v2/requests.{fmt}?{WINDOW}" for fmt in FORMATS):
        assert made["partner_no"] in answers[partners], partners


# ---- every way of typing a number ---------------------------------------------------

# Three ways to a request: the first 60 characters of its description (the own list's
# summary) hold them all.
TYPED_IN = [TYPED[i::6] for i in range(6)]


def typed_requests(api, staff) -> list[tuple[str, str, list[str]]]:
    """The resident's requests with the numbers in description, address and reply, resolved, rated
    and published: each one's tracking number, query code and the masked forms that must show."""
    made = []
    for ways in TYPED_IN:
        numbers = "、".join(typed for typed, _ in ways)
        location = {**body()["location"], "address": f"龙山区向阳街道人民大街8号，电话{numbers}"}
        asked = body(description=f"电话{numbers}，楼道里的垃圾没人清运", location=location, contact=CONTACT)
        web = api.post(REQUESTS, verified(api, asked))
        assert web.status == 201, web
        no, code = web.json["tracking_no"], web.json["query_code"]
        act(api, staff, no, "sign")
        act(api, staff, no, "resolve", reply=f"已安排清运。如仍有问题请联系{numbers}")
        assert rate(api, no, code, 5).status == 200
        version = api.get(f"/api/v1/staff/requests/{no}", staff("dispatcher")).json["version"]
        published = {"action": "publish", "version": version, "title": "楼道垃圾清运"}
        assert api.post(f"/api/v1/staff/requests/{no}/actions", published, staff("dispatcher")).status == 200
        made.append((no, code, [masked for _, masked in ways]))
    return made


def surfaces(api, made) -> dict[str, list]:
    """Each public surface's answers about them, each with the masked forms it must show."""
    everyone = [masked for _, _, shown in made for masked in shown]
    forget_otp(PHONE)  # the last submission's code was a minute ago: a new visit
    resident = api.post("/api/v1/otp/verify", {"phone": PHONE, "code": request_otp(api, PHONE)}).json["token"]
    read = {
        "GET /requests/{no}": [(api.get(f"{REQUESTS}/{no}?code={code}"), shown) for no, code, shown in made],
        "GET /me/requests": [(api.get("/api/v1/me/requests", {"Authorization": f"Bearer {resident}"}), everyone)],
        "GET /cases": [(api.get("/api/v1/cases"), everyone)],
    }
    for fmt in FORMATS:
        read[f"GET /open311/v2/requests.{fmt}"] = [(api.get(f"/open311/v2/requests.{fmt}?{WINDOW}"), everyone)]
        read[f"GET /open311/v2/requests/{{no}}.{fmt}"] = [
            (api.get(f"/open311/v2/requests/{no}.{fmt}"), shown) for no, _, shown in made
        ]
        feed = api.get(f"/open311/v2/servicerequestupdates.{fmt}?{WINDOW}")
        read[f"GET /open311/v2/servicerequestupdates.{fmt}"] = [(feed, everyone)]  # the replies
    return read


def test_no_way_of_typing_a_number_shows_it_in_clear_on_any_public_surface(api, staff, clock):
    made = typed_requests(api, staff)

    answers = surfaces(api, made)

    for surface, read in answers.items():
        assert [answer.status for answer, _ in read] == [200] * len(read), surface
    leaks = {surface: [found for a, _ in read for found in found_in(a.text)] for surface, read in answers.items()}
    assert {surface: found for surface, found in leaks.items() if found} == {}
    missing = {surface: [m for a, shown in read for m in shown if m not in a.text] for surface, read in answers.items()}
    assert {surface: masked for surface, masked in missing.items() if masked} == {}  # the text was there


@pytest.mark.parametrize(("typed", "masked"), TYPED)
def test_the_watch_sees_every_way_of_typing_a_number_however_it_is_written_out(typed, masked):
    """What reads answers here and the logs of the run (tests/conftest.py) reads as a person would."""
    written = {
        "as typed": f"电话{typed}。",
        "in JSON": json.dumps({"note": f"电话{typed}"}, ensure_ascii=False),
        "in JSON, escaped": json.dumps({"note": f"电话{typed}"}),
        "in XML, as references": f"<note>{typed}</note>".encode("ascii", "xmlcharrefreplace").decode(),
    }

    assert [how for how, text in written.items() if not found_in(text)] == []
    assert found_in(f"电话{masked}。") == []
