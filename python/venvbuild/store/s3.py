"""S3, or an S3-compatible server, as a store: create-only writes (If-None-Match: *), SHA-256 on every object.

Small files are one PutObject; large ones a multipart upload whose parts go up in parallel and whose
CompleteMultipartUpload carries the create-only condition (boto3's upload_file refuses IfNoneMatch).
Each object also records the whole file's sha256 as user metadata (x-amz-meta-sha256), so checksum()
is one HeadObject whatever the upload's composite checksum looks like.
"""

import base64
import functools
import hashlib
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from venvbuild import naming
from venvbuild.errors import StoreError, UsageError
from venvbuild.store import layout
from venvbuild.store.base import ObjectExists, ObjectStore
from venvbuild.store.local import DEFAULT_PREFIX

SSE_CHOICES = ("AES256", "aws:kms")
SHA256_METADATA = "sha256"

MIB = 1024 * 1024
# boto3's TransferConfig defaults, so a large upload behaves like upload_file.
MULTIPART_THRESHOLD = 8 * MIB
PART_SIZE = 8 * MIB
MAX_CONCURRENCY = 10
MIN_PART_SIZE = 5 * MIB  # S3 refuses smaller parts (except the last)
MAX_PARTS = 10000
# Used unless AWS_MAX_ATTEMPTS or a profile's max_attempts says otherwise; botocore's own default is 3.
DEFAULT_MAX_ATTEMPTS = 5

_AUTH_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired"}


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


class S3Store(ObjectStore):
    def __init__(
        self,
        bucket: str,
        prefix: str = DEFAULT_PREFIX,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        sse: str | None = None,
        kms_key_id: str | None = None,
        checksum_when_required: bool = False,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        part_size: int = PART_SIZE,
        max_concurrency: int = MAX_CONCURRENCY,
    ):
        self.bucket = naming.check("bucket", bucket, "--store bucket")
        self.prefix = naming.check("prefix", prefix, "--store prefix")
        if region is not None:
            naming.check("region", region, "--region")
        if endpoint_url is not None:
            naming.check("endpoint_url", endpoint_url, "--endpoint-url")
        if sse is not None:
            naming.check("sse", sse, "--sse")
        if kms_key_id and sse != "aws:kms":
            raise UsageError("--kms-key-id needs --sse aws:kms")
        if part_size < MIN_PART_SIZE:
            raise UsageError(f"part size {part_size} is below S3's minimum of {MIN_PART_SIZE} bytes")
        self.region = region
        self.endpoint_url = endpoint_url
        self.sse = sse
        self.kms_key_id = kms_key_id
        self.checksum_when_required = checksum_when_required
        self.multipart_threshold = max(multipart_threshold, part_size)
        self.part_size = part_size
        self.max_concurrency = max_concurrency

    @classmethod
    def from_url(cls, spec: str, **options) -> "S3Store":
        """`s3://BUCKET` or `s3://BUCKET/PREFIX` (default prefix venv-builds); options as for __init__."""
        rest = spec[len("s3://") :] if spec.startswith("s3://") else None
        if not rest:
            raise UsageError(f"--store {spec!r} is not s3://BUCKET/PREFIX")
        bucket, _, prefix = rest.partition("/")
        prefix = prefix.rstrip("/") or DEFAULT_PREFIX
        return cls(bucket, prefix, **{k: v for k, v in options.items() if v is not None})

    # The client is made on first use: `venvbuild ddl` only needs the layout, not AWS.
    @functools.cached_property
    def client(self):
        import boto3
        import botocore.session
        from botocore.config import Config

        core = botocore.session.get_session()
        attempts = core.get_config_variable("max_attempts") or DEFAULT_MAX_ATTEMPTS
        options = {
            "retries": {"mode": "standard", "total_max_attempts": attempts},
            "max_pool_connections": max(10, self.max_concurrency),
            "connect_timeout": 10,
            "read_timeout": 60,
            # Every body we upload carries an x-amz-checksum-sha256 header, which is signed and which S3
            # checks against the body; SigV4 payload signing would hash the same bytes a second time.
            # botocore already skips it over https; this skips it over http (S3-compatible servers) too.
            "s3": {"payload_signing_enabled": False},
        }
        if self.checksum_when_required:
            # For S3-compatible servers that reject botocore's default (CRC32, aws-chunked) checksums;
            # put_new still sends its SHA-256 as a plain x-amz-checksum-sha256 header.
            options["request_checksum_calculation"] = "when_required"
            options["response_checksum_validation"] = "when_required"
        session = boto3.session.Session(botocore_session=core)
        try:
            return session.client("s3", region_name=self.region, endpoint_url=self.endpoint_url, config=Config(**options))
        except Exception as exc:  # botocore raises plain ValueError etc. for a bad region or endpoint
            raise StoreError(f"--store {self.describe()}: cannot set up the S3 client: {exc}") from exc

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def checksum(self, key: str) -> str | None:
        from botocore.exceptions import ClientError

        with self._errors(key):
            try:
                head = self.client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                    return None
                raise
            self._expect(head, "ETag", "HeadObject", key)
            recorded = head.get("Metadata", {}).get(SHA256_METADATA)
            return recorded if recorded else self._hash_object(key)

    def put_new(self, key: str, path: Path, sha256: str, movable: bool = False) -> None:
        path = Path(path)
        extra = self._extra(sha256)
        with self._errors(key):
            size = path.stat().st_size
            if size < self.multipart_threshold:
                self._put_object(key, path.read_bytes(), sha256, extra)
            else:
                self._put_multipart(key, path, size, extra)

    def put_new_bytes(self, key: str, data: bytes) -> None:
        """One PutObject with If-None-Match whatever the size (S3 takes up to 5 GB in one): the collector's
        IAM policy allows only create-only writes, and CreateMultipartUpload/UploadPart carry no
        If-None-Match, so a large compacted file must never go multipart."""
        sha256 = hashlib.sha256(data).hexdigest()
        with self._errors(key):
            self._put_object(key, data, sha256, self._extra(sha256))

    def _extra(self, sha256: str) -> dict[str, Any]:
        extra: dict[str, Any] = {"Metadata": {SHA256_METADATA: sha256}}
        if self.sse:
            extra["ServerSideEncryption"] = self.sse
        if self.kms_key_id:
            extra["SSEKMSKeyId"] = self.kms_key_id
        return extra

    def _put_object(self, key: str, body: bytes, sha256: str, extra: dict) -> None:
        stored = self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            IfNoneMatch="*",
            ChecksumSHA256=_b64(bytes.fromhex(sha256)),
            **extra,
        )
        self._expect(stored, "ETag", "PutObject", key)

    def read(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        with self._errors(key):
            try:
                return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return None
                raise

    def fetch(self, key: str, scratch: Path) -> Path | None:
        from botocore.exceptions import ClientError

        with self._errors(key):
            try:
                # download_file: ranged GETs in parallel, like the multipart upload.
                self.client.download_file(self.bucket, key, str(scratch))
            except ClientError as exc:
                if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                    return None
                raise
        return scratch

    def versions(self) -> list[str]:
        found = []
        builds = layout.builds_prefix(self)
        with self._errors(self.prefix):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=builds, Delimiter="/")
            for page in pages:
                found += [p["Prefix"][len(builds) :].rstrip("/") for p in page.get("CommonPrefixes", [])]
        return sorted(found)

    def any_under(self, key_prefix: str) -> bool:
        with self._errors(key_prefix):
            listing = self.client.list_objects_v2(Bucket=self.bucket, Prefix=key_prefix, MaxKeys=1)
            self._expect(listing, "KeyCount", "ListObjectsV2", key_prefix)
        return listing.get("KeyCount", 0) > 0

    def keys_under(self, key_prefix: str) -> list:
        with self._errors(key_prefix):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=key_prefix)
            keys = [item["Key"] for page in pages for item in page.get("Contents", ())]
        return keys

    def last_change(self, key_prefix: str) -> float | None:
        with self._errors(key_prefix):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=key_prefix)
            times = [
                item["LastModified"].timestamp()
                for page in pages
                for item in page.get("Contents", ())
                if item["Key"] == key_prefix or item["Key"].startswith(key_prefix.rstrip("/") + "/")
            ]
        return max(times, default=None)

    def delete(self, key: str) -> None:
        # S3 answers a delete of an absent key with success too: a resumed collection just deletes again.
        with self._errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    # Internals.
    def _put_multipart(self, key: str, path: Path, size: int, extra: dict) -> None:
        part_size = max(self.part_size, -(-size // MAX_PARTS))
        created = self.client.create_multipart_upload(Bucket=self.bucket, Key=key, ChecksumAlgorithm="SHA256", **extra)
        upload_id = self._expect(created, "UploadId", "CreateMultipartUpload", key)
        try:
            parts = self._upload_parts(key, upload_id, path, size, part_size)
            completed = self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
                IfNoneMatch="*",
            )
            self._expect(completed, "ETag", "CompleteMultipartUpload", key)
        except BaseException:
            # Uploaded parts are billed until aborted; nothing half-written stays behind.
            self._abort(key, upload_id)
            raise

    def _upload_parts(self, key: str, upload_id: str, path: Path, size: int, part_size: int) -> list:
        def upload(number: int, offset: int) -> dict:
            with open(path, "rb") as fh:
                fh.seek(offset)
                data = fh.read(part_size)
            digest = _b64(hashlib.sha256(data).digest())
            response = self.client.upload_part(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                Body=data,
                ChecksumSHA256=digest,
            )
            etag = self._expect(response, "ETag", "UploadPart", key)
            return {"PartNumber": number, "ETag": etag, "ChecksumSHA256": digest}

        pool = ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="s3-part")
        try:
            futures = [pool.submit(upload, number, offset) for number, offset in enumerate(range(0, size, part_size), start=1)]
            wait(futures, return_when=FIRST_EXCEPTION)
            for future in futures:
                failure = future.exception() if future.done() else None
                if failure is not None:
                    raise failure
            return [future.result() for future in futures]
        finally:
            # On failure or Ctrl-C, parts not yet started are dropped instead of uploaded.
            pool.shutdown(wait=True, cancel_futures=True)

    def _abort(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except Exception:  # best effort: the original failure is the one to report
            pass

    def _hash_object(self, key: str) -> str:
        """For an object stored by another tool, without our sha256 metadata."""
        digest = hashlib.sha256()
        body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        for chunk in iter(lambda: body.read(MIB), b""):
            digest.update(chunk)
        return digest.hexdigest()

    @contextmanager
    def _errors(self, key: str):
        """botocore's exceptions as one-line StoreErrors naming the bucket or parameter; 412 as ObjectExists."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            NoCredentialsError,
            NoRegionError,
            PartialCredentialsError,
        )
        from botocore.exceptions import (
            ConnectionError as BotoConnectionError,
        )

        try:
            yield
        except ClientError as exc:
            raise self._client_error(exc, key) from exc
        except (NoCredentialsError, PartialCredentialsError) as exc:
            raise StoreError(
                f"--store {self.describe()}: no usable AWS credentials ({exc}); set them in the environment,"
                " a profile (AWS_PROFILE) or an instance role"
            ) from exc
        except NoRegionError as exc:
            raise StoreError(f"--store {self.describe()}: no region; pass --region or set AWS_REGION") from exc
        except BotoConnectionError as exc:
            raise StoreError(
                f"--store {self.describe()}: cannot reach the S3 endpoint {self._endpoint()} "
                f"(--endpoint-url, AWS_ENDPOINT_URL_S3): {exc}"
            ) from exc
        except BotoCoreError as exc:
            raise StoreError(f"--store {self.describe()}: {exc}") from exc
        except OSError as exc:  # reading the local file
            raise StoreError(f"cannot read {exc.filename or key}: {exc.strerror or exc}") from exc

    def _client_error(self, exc, key: str) -> Exception:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = error.get("Message", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
        operation = exc.operation_name
        if code == "PreconditionFailed" or status == 412:
            return ObjectExists(key)
        if code == "NoSuchBucket":
            return StoreError(f"--store {self.describe()}: bucket {self.bucket!r} does not exist")
        if code in _AUTH_CODES:
            return StoreError(
                f"--store {self.describe()}: the AWS credentials were refused ({code}: {message}); "
                "check AWS_PROFILE or the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in use"
            )
        if code == "AccessDenied" or status == 403:
            return StoreError(
                f"--store {self.describe()}: access denied to {self.url(key)} ({operation}, HTTP 403); "
                "check the credentials in use and the bucket's policy"
            )
        if code == "ConditionalRequestConflict":
            return StoreError(f"{self.url(key)}: another publish is writing this key right now; retry later")
        if status is not None and status >= 500:
            return StoreError(
                f"--store {self.describe()}: {operation} of {self.url(key)} still failed after {attempts} "
                f"attempts: HTTP {status} {code} {message}"
            )
        return StoreError(f"--store {self.describe()}: {operation} of {self.url(key)} failed: {code} {message}")

    def _expect(self, response: dict, field: str, operation: str, key: str):
        """response[field], which every S3 answer to operation carries. An endpoint that answers 200 without
        it is not S3 (a web server, a proxy's error page, a mock saying yes to everything): trusting it would
        read "already published" or "stored" into an answer that says nothing."""
        value = response.get(field)
        if value is None:
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            raise StoreError(
                f"--store {self.describe()}: the endpoint {self._endpoint()} answered {operation} of {self.url(key)} "
                f"with HTTP {status} but no {field}; that answer makes no sense from S3, so nothing is trusted: "
                "check --endpoint-url (AWS_ENDPOINT_URL_S3)"
            )
        return value

    def _endpoint(self) -> str:
        try:
            return self.client.meta.endpoint_url
        except StoreError:
            return self.endpoint_url or "(default)"
