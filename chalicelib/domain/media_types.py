"""What a file's first bytes must be for the type it was uploaded as: the one table of signatures.

The presigned POST pins only the Content-Type header and the size; S3 stores whatever
bytes come with them. So a page of HTML sent as ``image/jpeg`` would be kept, and later
served from our bucket's links. After the upload, the first ``HEAD_BYTES`` of the stored
object are compared with its declared type here: a type is accepted when any one of its
signatures matches, a signature being a few (offset, bytes) parts that must all be there.

ISO base media files (MP4, QuickTime, M4A, HEIC) all begin with an ``ftyp`` box whose
brand, at offset 8, says what the file is: the brand sets keep a HEIC photo from passing
as a video and an MP4 from passing as a photo. A type the city lists must have a row here
(city.py checks this at load): a type nobody can check is a type nobody may upload.
"""
from __future__ import annotations

from collections.abc import Iterable

Part = tuple[int, bytes]  # these bytes at this offset
Signature = tuple[Part, ...]  # every part must match

HEAD_BYTES = 32  # enough for every signature below: the longest ends at byte 12


def _ftyp(*brands: str) -> tuple[Signature, ...]:
    """An ISO base media file (ISO/IEC 14496-12) whose major brand is one of ``brands``."""
    return tuple(((4, b"ftyp"), (8, brand.encode("ascii"))) for brand in brands)


def _prefixes(*prefixes: bytes) -> tuple[Signature, ...]:
    return tuple(((0, prefix),) for prefix in prefixes)


# HEIF still images (ISO/IEC 23008-12): HEVC-coded and the generic image brands.
_HEIF_BRANDS = ("heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "mif1", "msf1")
# The MP4 family's generic brands: phones and browsers write these for video and for
# recordings alike (Android's recorder makes .m4a files with isom or mp42).
_MP4_BRANDS = ("isom", "iso2", "iso3", "iso4", "iso5", "iso6", "mp41", "mp42", "mp71", "avc1", "dash", "MSNV", "mmp4")
_VIDEO_BRANDS = (*_MP4_BRANDS, "M4V ", "M4VH", "M4VP", "3gp4", "3gp5", "3gp6", "3g2a", "3g2b", "3g2c", "f4v ")
_M4A_BRANDS = ("M4A ", "M4B ", *_MP4_BRANDS)
# QuickTime files before the ftyp box was defined start straight with one of these atoms.
_QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")

# MPEG audio frame sync: 0xFF, then three more sync bits, the version and a layer that is not 00
# (layer 00 is ADTS AAC's, below). The second byte is one of these.
_MPEG_AUDIO_SECOND = bytes(b for b in range(0xE0, 0x100) if b & 0x06)

SIGNATURES: dict[str, tuple[Signature, ...]] = {
    "image/jpeg": _prefixes(b"\xff\xd8\xff"),
    "image/png": _prefixes(b"\x89PNG\r\n\x1a\n"),
    "image/webp": (((0, b"RIFF"), (8, b"WEBP")),),
    "image/heic": _ftyp(*_HEIF_BRANDS),
    "video/mp4": _ftyp(*_VIDEO_BRANDS),
    "video/quicktime": (*_ftyp("qt  "), *(((4, atom),) for atom in _QUICKTIME_ATOMS)),
    "audio/mp4": _ftyp(*_M4A_BRANDS),
    "audio/x-m4a": _ftyp(*_M4A_BRANDS),
    # An ID3v2 tag first, or a bare first frame.
    "audio/mpeg": (*_prefixes(b"ID3"), *_prefixes(*(bytes([0xFF, b]) for b in _MPEG_AUDIO_SECOND))),
    # ADTS: MPEG-4 or MPEG-2 AAC, with or without a CRC.
    "audio/aac": _prefixes(b"\xff\xf1", b"\xff\xf9", b"\xff\xf0", b"\xff\xf8"),
    "audio/amr": _prefixes(b"#!AMR"),  # narrowband "#!AMR\n" and wideband "#!AMR-WB\n"
}


def unchecked(content_types: Iterable[str]) -> list[str]:
    """Those of ``content_types`` that have no signature here."""
    return [t for t in content_types if t not in SIGNATURES]


def matches(content_type: str, head: bytes) -> bool:
    """Whether ``head``, a file's first bytes, begins the way a ``content_type`` file does."""
    return any(
        all(head[offset:offset + len(expected)] == expected for offset, expected in signature)
        for signature in SIGNATURES.get(content_type, ())
    )
