"""The app over HTTP for the bench: ``chalice.test.Client`` inside moto, with the AWS call counter,
staff tokens, and the residents' side of a submission (a phone's code, a photo's upload)."""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import yaml

from bench.awscalls import AwsCallCounter
from bench.bill import CapacityMeter
from chalicelib.city import CITIES_DIR
from infra.testenv import TEST_ENV

RAISED = 1000  # how many times the demo city's rate limits the bench's city allows

# What the seeded orders are: spread over units and states like a real queue.
_MIX = [
    ("complaint", "sanitation", "220402001001"),  # → lsq-cg
    ("help", "municipal", None),  # → cgj
    ("report", "pollution", "220403"),  # → sthj
    ("complaint", "property", "220402001"),  # → lsq-xy
    ("consult", "other", "220421"),  # no rule: stays submitted
    ("help", "utilities", "220422"),  # → heat
]


class Bench:
    """The app inside moto, with the counter and staff tokens."""

    def __init__(self, http, counter: AwsCallCounter, issuer, media_bucket: str, s3):
        self.http = http
        self.counter = counter
        self.issuer = issuer
        self.bucket = media_bucket
        self.s3 = s3
        self._seq = 0
        self._phones = 0
        self.created = 0  # orders stored so far
        self.last_units: Counter = Counter()

    def staff(self, role: str, unit: str | None = None) -> dict[str, str]:
        token = self.issuer.mint(f"bench-{role}-{unit or 0}", role, unit, ttl_seconds=3600)
        return {"Authorization": f"Bearer {token}"}

    def request(self, method: str, path: str, body=None, headers=None, expect: int = 200):
        headers = dict(headers or {})
        raw = b""
        if body is not None:
            raw = json.dumps(body, ensure_ascii=False).encode()
            headers.setdefault("Content-Type", "application/json")
        response = self.http.request(method, path, headers=headers, body=raw)
        answer = json.loads(response.body) if response.body else None
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path}: expected {expect}, got {response.status_code}: {answer}")
        if method == "POST" and path == "/api/v1/requests" and not headers.get("Idempotency-Key"):
            self.created += 1
        return answer

    def counted(self, method: str, path: str, body=None, headers=None, expect: int = 200):
        """The answer and the AWS calls it took; its DynamoDB units are kept in ``last_units``."""
        with CapacityMeter(self.counter) as units, self.counter.window() as calls:
            answer = self.request(method, path, body, headers, expect)
        self.last_units = Counter(units)
        return answer, Counter(calls)

    def next_phone(self) -> str:
        """A phone of its own for each verification: a phone gets one code a minute."""
        self._phones += 1
        return f"139{self._phones:08d}"

    def sent_code(self, phone: str) -> str:
        """The code in the latest SMS, which moto's SNS recorded, sent to ``phone``."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sns import sns_backends

        messages = sns_backends[DEFAULT_ACCOUNT_ID][TEST_ENV["AWS_DEFAULT_REGION"]].sms_messages
        number, text = next(reversed(messages.values()))
        if number != "+86" + phone:
            raise RuntimeError(f"the latest SMS went to {number}, not {phone}")
        return re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", text).group()

    def otp(self, phone: str) -> str:
        """What a resident does before a named submission: ask for a code, read it from the SMS."""
        self.request("POST", "/api/v1/otp", {"phone": phone})
        return self.sent_code(phone)

    def submission(self, media: list[str] | None = None, mix: int = 0) -> dict:
        """A named request with its phone's code (asked for now, outside any count or timing)."""
        self._seq += 1
        kind, category, area = _MIX[mix % len(_MIX)]
        phone = self.next_phone()
        body = {
            "type": kind,
            "category": category,
            "description": f"基准测试第 {self._seq} 号：小区门口垃圾桶满了没人清运",
            # Spread over 龙山区 (about 330 m apart): one place for all would be one hotspot of duplicates.
            "location": {
                "lat": 42.86 + (self._seq % 20) * 0.004,
                "lng": 125.145 + (self._seq // 20 % 12) * 0.004,
                "coord_system": "wgs84",
                "address": "龙山区向阳街道",
            },
            "media": media or [],
            "anonymous": False,
            "contact": {"name": "张三", "phone": phone, "otp": self.otp(phone)},
        }
        if area:
            body["area"] = area
        return body

    def uploaded_photo(self) -> str:
        """What the browser does before submitting: ask for an upload, then POST the file to S3."""
        upload = self.request(
            "POST", "/api/v1/uploads", {"filename": "photo.jpg", "content_type": "image/jpeg", "size": 2048}, expect=201
        )
        self.s3.put_object(
            Bucket=self.bucket, Key=upload["fields"]["key"], Body=b"\xff\xd8\xff" + b"x" * 2045, ContentType="image/jpeg"
        )
        return upload["upload_id"]


def uncapped_city(directory: Path) -> Path:
    """The demo city, its rate limits' caps ``RAISED`` times higher, written in ``directory``.

    The bench sends hundreds of codes and submissions a minute from one address, a flood the
    demo city answers with 429; each request still takes the same windows (and makes the same
    AWS calls) as under the real caps.
    """
    city = yaml.safe_load((CITIES_DIR / "liaoyuan.yaml").read_text(encoding="utf-8"))
    for limits in city["limits"].values():
        for caps in limits.values():
            caps.update({span: cap * RAISED for span, cap in caps.items()})
    path = directory / "liaoyuan-bench.yaml"
    path.write_text(yaml.safe_dump(city, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
