"""Where builds are kept: a local directory (the embedded default) or S3.

Both lay builds out as the design's S3 structure, `<prefix>/venv_<version>/<artifact>`, and keep the
search records under `<prefix>-metadata/dt=YYYY-MM-DD/venv_<version>.json`, one JSON object per line.
A backend only moves bytes (see ObjectStore); the publish order and its rules live in venvbuild.build.publish.
"""

import os

from venvbuild.store.base import ObjectExists, ObjectStore

DEFAULT_LOCAL_STORE = "venvbuild-store"


def default_store() -> str:
    """The store used when --store is not given: $VENVBUILD_STORE, else ./venvbuild-store."""
    return os.environ.get("VENVBUILD_STORE") or DEFAULT_LOCAL_STORE


def open_store(spec: str, **s3_options) -> ObjectStore:
    """`s3://BUCKET/PREFIX` opens S3 (options: region, endpoint_url, sse, kms_key_id, ...); anything else is a directory."""
    if spec.startswith("s3://"):
        from venvbuild.store.s3 import S3Store

        return S3Store.from_url(spec, **s3_options)
    unused = {k: v for k, v in s3_options.items() if v}
    if unused:
        from venvbuild.errors import UsageError

        names = ", ".join("--" + k.replace("_", "-") for k in sorted(unused))
        raise UsageError(f"{names} only apply to an s3:// --store, not to the directory {spec!r}")
    from venvbuild.store.local import LocalStore

    return LocalStore(spec)


__all__ = ["DEFAULT_LOCAL_STORE", "ObjectStore", "ObjectExists", "default_store", "open_store"]
