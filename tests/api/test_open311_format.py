"""Open311 on the wire (api/open311_format.py): the POST form, the error answer, the XML."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from chalicelib.api import open311_format as open311
from chalicelib.domain.errors import InvalidInput

# ---- POST forms ---------------------------------------------------------------------

def test_a_form_drops_empty_values():
    form = open311.parse_form("api_key=k&phone=&description=%E5%9E%83%E5%9C%BE&lat=+&a=1&a=2".encode())
    assert form == {"api_key": ["k"], "description": ["垃圾"], "a": ["1", "2"]}


def test_a_form_that_is_not_utf8_is_refused():
    with pytest.raises(InvalidInput):
        open311.parse_form(b"description=%FF%FE&x=\xff")



# ---- errors -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("ours", "theirs"),
    [("location.lat", "lat"), ("location.lng", "long"), ("answers.spot", "attribute[spot]"),
     ("type", "attribute[request_type]"), ("contact.phone", "phone"), ("description", "description")],
)
def test_errors_name_open311s_parameters(ours, theirs):
    assert open311.field_name(ours) == theirs
    assert open311.errors(400, "输入有误", {ours: "必填"}) == [{"code": 400, "description": f"{theirs}: 必填"}]


def test_an_error_without_fields_is_its_message():
    assert open311.errors(403, "接口密钥无效", {}) == [{"code": 403, "description": "接口密钥无效"}]


# ---- XML --------------------------------------------------------------------------------

def test_xml_wraps_lists_item_by_item_and_writes_empty_values_as_empty_elements():
    text = open311.to_xml("services", [{"service_code": "a", "metadata": True, "group": None, "n": 1.5}])
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n')
    root = ET.fromstring(text.encode())
    [service] = root
    assert (root.tag, service.tag) == ("services", "service")
    assert [(c.tag, c.text) for c in service] == [("service_code", "a"), ("metadata", "true"), ("group", None),
                                                   ("n", "1.5")]


def test_xml_nests_known_lists_and_escapes_text():
    body = {"attributes": [{"values": [{"key": "<&>", "name": "\"名\""}]}]}
    root = ET.fromstring(open311.to_xml("service_definition", body).encode())
    value = root.find("attributes/attribute/values/value")
    assert (value.find("key").text, value.find("name").text) == ("<&>", '"名"')


def test_xml_leaves_out_characters_xml_cannot_carry():
    root = ET.fromstring(open311.to_xml("errors", [{"description": "坏\x00了\x1b\ufffe！\t"}]).encode())
    assert root.find("error/description").text == "坏了！\t"
