"""The media bucket: presigned uploads, checks after upload (type, size, first bytes), attaching,
short-lived links.

Uploads land under ``uploads/`` (a lifecycle rule deletes what is never
attached); a submitted request copies its files to ``media/<tracking_no>/``.
A batch import's file is kept under ``imports/<import_id>.csv`` while its rows are
worked through (a lifecycle rule deletes it with the import's record).
The bucket is private: residents and staff see media only through presigned
GETs that expire within minutes.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache

from botocore.config import Config
from botocore.exceptions import ClientError

from chalicelib.adapters.aws import boto3_client, refusals_as_unavailable
from chalicelib.settings import get_settings

UPLOAD_PREFIX = "uploads/"
IMPORT_PREFIX = "imports/"
# How S3 says an object is not there (a HEAD, having no body, says only "404"); and that a range
# starts past its end: only an empty object, which the POST policy's minimum of one byte forbids.
_MISSING = ("404", "NoSuchKey", "NotFound")
_EMPTY = ("InvalidRange", "416")


@dataclass(frozen=True)
class StoredObject:
    key: str
    content_type: str
    size: int
    head: bytes  # its first bytes, as many as were asked for (fewer if it is shorter)


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

    @refusals_as_unavailable()  # S3 throttling (SlowDown) or out of reach: a 503, not a 500
    def inspect(self, key: str, head_bytes: int) -> StoredObject | None:
        """What was really stored, with its first ``head_bytes``, or None (nothing, or nothing but
        an empty object, the policy's minimum being one byte).

        One ranged GET: its answer has the type, the whole size (Content-Range) and the first
        bytes, and never more of a file that may be 100 MB.
        """
        try:
            got = self._s3.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{head_bytes - 1}")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in (*_MISSING, *_EMPTY):
                return None
            raise
        with got["Body"] as body:
            head = body.read(head_bytes)
        # "bytes 0-31/2048"; an object shorter than the range comes whole, maybe without it.
        whole = got.get("ContentRange", "").rpartition("/")[2]
        size = int(whole) if whole.isdigit() else got["ContentLength"]
        return StoredObject(key, got.get("ContentType", ""), size, head)

    @refusals_as_unavailable()
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

    @refusals_as_unavailable()
    def put_import(self, import_id: str, text: str) -> None:
        """Keep a batch import's file (as UTF-8, whatever it came in) for the queue's workers."""
        self._s3.put_object(
            Bucket=self.bucket, Key=f"{IMPORT_PREFIX}{import_id}.csv", Body=text.encode("utf-8"),
            ContentType="text/csv; charset=utf-8",
        )

    @refusals_as_unavailable()
    def read_import(self, import_id: str) -> str:
        got = self._s3.get_object(Bucket=self.bucket, Key=f"{IMPORT_PREFIX}{import_id}.csv")
        with got["Body"] as body:
            return body.read().decode("utf-8")

    @refusals_as_unavailable()
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
