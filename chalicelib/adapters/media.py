"""The media bucket: presigned uploads, checks after upload, attaching, short-lived links.

Uploads land under ``uploads/`` (a lifecycle rule deletes what is never
attached); a submitted request copies its files to ``media/<tracking_no>/``.
The bucket is private: residents and staff see media only through presigned
GETs that expire within minutes.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache

from botocore.config import Config
from botocore.exceptions import ClientError

from chalicelib.adapters.aws import boto3_client
from chalicelib.settings import get_settings

UPLOAD_PREFIX = "uploads/"
# How S3 says an object is not there: HEAD has no body, so only its status ("404") comes back.
_MISSING = ("404", "NoSuchKey", "NotFound")


@dataclass(frozen=True)
class StoredObject:
    key: str
    content_type: str
    size: int


class MediaStore:
    def __init__(self, bucket: str, client=None):
        self.bucket = bucket
        # Signature V4: the only one newer regions (the aws-cn ones among them) accept.
        self._s3 = client or boto3_client("s3", config=Config(signature_version="s3v4"))

    def new_upload_key(self) -> str:
        return f"{UPLOAD_PREFIX}{uuid.uuid4().hex}"

    def presign_upload(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> dict:
        """A presigned POST whose policy pins the content type and caps the size."""
        return self._s3.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in,
        )

    def inspect(self, key: str) -> StoredObject | None:
        """What was really stored, or None: S3 enforces the POST policy, emulators do not."""
        try:
            head = self._s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        return StoredObject(key, head.get("ContentType", ""), head["ContentLength"])

    def attach(self, source_key: str, target_key: str) -> bool:
        """Copy ``source_key`` to ``target_key``; False if the source is gone (expired or deleted since its check)."""
        try:
            self._s3.copy_object(
                Bucket=self.bucket, Key=target_key, CopySource={"Bucket": self.bucket, "Key": source_key}
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise
        return True

    def delete(self, keys: list[str]) -> None:
        self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})

    def ensure_bucket(self, browser_origins: tuple[str, ...] = ()) -> None:
        """Create the bucket (local stack and tests; the cloud's comes from infra/resources.yaml).

        ``browser_origins``: the pages that upload straight to it with presigned POSTs (CORS).
        """
        self._s3.create_bucket(Bucket=self.bucket)
        if browser_origins:
            rule = {"AllowedOrigins": list(browser_origins), "AllowedMethods": ["POST", "GET"], "AllowedHeaders": ["*"]}
            self._s3.put_bucket_cors(Bucket=self.bucket, CORSConfiguration={"CORSRules": [rule]})

    def link(self, key: str, expires_in: int) -> str:
        return self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
        )


@lru_cache(maxsize=1)
def get_media_store() -> MediaStore:
    return MediaStore(get_settings().media_bucket)
