"""Files' first bytes against their declared types (domain/media_types.py)."""
from __future__ import annotations

import pytest

from chalicelib.domain.media_types import HEAD_BYTES, SIGNATURES, matches
from tests.media_samples import HTML, SAMPLES


# Other ways a genuine file of a type may begin.
VARIANTS = [
    ("image/heic", b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heic"),
    ("video/mp4", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"),
    ("video/mp4", b"\x00\x00\x00\x18ftyp3gp4\x00\x00\x00\x00isom3gp4"),
    ("video/quicktime", b"\x00\x00\x00\x08wide\x00\x1d\x8a\x1cmdat"),
    ("video/quicktime", b"\x00\x00\x6e\x8fmoov\x00\x00\x00\x6cmvhd"),
    ("audio/x-m4a", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00isommp42"),  # Android's recorder
    ("audio/mpeg", b"\xff\xfb\x90\x64\x00\x00\x00\x00"),  # MPEG-1 layer III, no tag
    ("audio/mpeg", b"\xff\xf3\x40\xc4\x00\x00\x00\x00"),  # MPEG-2 layer III
    ("audio/mpeg", b"\xff\xe3\x18\xc4\x00\x00\x00\x00"),  # MPEG-2.5 layer III
    ("audio/aac", b"\xff\xf9\x50\x80\x02\x1f\xfc"),  # MPEG-2 AAC
    ("audio/amr", b"#!AMR-WB\n\x04\x10\x20"),
]


def test_every_type_has_a_sample_here():
    assert set(SAMPLES) == set(SIGNATURES)


@pytest.mark.parametrize("content_type", sorted(SAMPLES))
def test_a_genuine_file_of_each_type_matches_it(content_type):
    assert matches(content_type, SAMPLES[content_type][:HEAD_BYTES])


@pytest.mark.parametrize("content_type, head", VARIANTS)
def test_other_genuine_beginnings_match(content_type, head):
    assert matches(content_type, head)


@pytest.mark.parametrize("content_type", sorted(SAMPLES))
def test_html_matches_no_type(content_type):
    assert not matches(content_type, HTML)


@pytest.mark.parametrize("content_type", sorted(SAMPLES))
@pytest.mark.parametrize("head", [b"", b"\xff", b"\x00" * HEAD_BYTES], ids=["empty", "one-byte", "zeros"])
def test_too_little_or_nothing_matches_no_type(content_type, head):
    assert not matches(content_type, head)


# One format under two names; and an MP4 of a generic brand (isom, mp42) passes as a recording,
# which phones write with those brands too: it is one container either way.
SAME_FORMAT = {("audio/mp4", "audio/x-m4a"), ("audio/x-m4a", "audio/mp4"), ("audio/mp4", "video/mp4"),
               ("audio/x-m4a", "video/mp4")}
MISMATCHES = [
    (declared, actual)
    for declared in sorted(SAMPLES)
    for actual in sorted(SAMPLES)
    if declared != actual and (declared, actual) not in SAME_FORMAT
]


@pytest.mark.parametrize("declared, actual", MISMATCHES)
def test_a_file_of_another_type_does_not_match(declared, actual):
    assert not matches(declared, SAMPLES[actual])


def test_an_unknown_type_matches_nothing():
    assert not matches("image/gif", b"GIF89a\x01\x00\x01\x00")
