"""The first bytes of a genuine file of each media type, as phones and recorders write them."""
from __future__ import annotations

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


def file_of(content_type: str, size: int) -> bytes:
    """``size`` bytes that begin as a ``content_type`` file does (cut short if ``size`` is smaller)."""
    head = SAMPLES[content_type]
    return (head + b"\x00" * max(size - len(head), 0))[:size]
