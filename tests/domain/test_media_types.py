"""Files' first bytes against their declared types (domain/media_types.py)."""
from __future__ import annotations

import pytest

from chalicelib.domain.media_types import HEAD_BYTES, SIGNATURES, matches

# The first bytes of a real file of each type (as phones and recorders write them).
SAMPLES = {
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01",
    "image/png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
    "image/webp": b"RIFF\x24\x6f\x01\x00WEBPVP8 \x18\x6f\x01\x00",
    "image/heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
    "video/mp4": b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41",
    "video/quicktime": b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  \x00\x00\x00\x08wide",
    "audio/mp4": b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A mp42isom",
    "audio/x-m4a": b"\x00\x00\x00\x1cftypM4A \x00\x00\x02\x00M4A isommp42",
    "audio/mpeg": b"ID3\x04\x00\x00\x00\x00\x00\x23TSSE\x00\x00\x00\x0f",
    "audio/aac": b"\xff\xf1\x50\x80\x02\x1f\xfc\x21\x00\x49\x90\x02\x19",
    "audio/amr": b"#!AMR\n\x3c\x48\xf5\x5f\x96\x66\x79\xe1\xe0\x01",
}
HTML = b"<!DOCTYPE html><html><script>alert(document.cookie)</script>"

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
