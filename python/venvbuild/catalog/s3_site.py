"""The catalog written to S3 (an S3 static website, or any bucket behind a web server).

S3 has no rename, so the swap is an order instead: changed pages, pictures and assets first, then
data/index.js and index.html, then the marker; files the new catalog no longer has are deleted last. A
visitor never gets an index that links to a page not yet uploaded, and a failure part way leaves the
previous index in place. As in a folder, a prefix holding objects but no marker is refused.

Each object gets its exact Content-Type, from a short list of the site's own kinds (HTML, JavaScript,
CSS, JSON); anything else is application/octet-stream, which a browser downloads rather than renders, and
the site has no SVG or other file taken from a build. S3 cannot send other response headers: serve the
site through CloudFront with a response-headers policy that adds the pages' Content-Security-Policy (see
catalog.pages.CSP, plus frame-ancestors 'none') and X-Content-Type-Options: nosniff.
"""

import hashlib

from venvbuild.catalog import pages
from venvbuild.catalog.site import MARKER, Previous, Writer, marker, parse_marker
from venvbuild.errors import UsageError

_TYPES = {
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "json": "application/json",
}
OTHER_TYPE = "application/octet-stream"
_LAST = (pages.DATA, pages.INDEX)


class S3Site:
    def __init__(self, store):
        self.store = store  # an S3Store: its bucket, prefix, client and error handling
        self.where = store.url(store.prefix + "/")

    def key(self, relative: str) -> str:
        return f"{self.store.prefix}/{relative}"

    def previous(self) -> Previous:
        data = self.store.read(self.key(MARKER))
        if data is None:
            if self.store.any_under(self.store.prefix + "/"):
                raise UsageError(
                    f"--out {self.where}: the prefix holds objects but was not written by venvbuild "
                    f"catalog (no {MARKER}); give an empty or new prefix"
                )
            return Previous()
        return parse_marker(data, self.where)

    def writer(self, previous: Previous) -> "_S3Writer":
        return _S3Writer(self, previous)

    def read(self, relative: str):
        return self.store.read(self.key(relative))

    def put(self, relative: str, data: bytes) -> None:
        key = self.key(relative)
        extra = {"ServerSideEncryption": self.store.sse} if self.store.sse else {}
        if self.store.kms_key_id:
            extra["SSEKMSKeyId"] = self.store.kms_key_id
        content_type = _TYPES.get(relative.rsplit(".", 1)[-1], OTHER_TYPE)
        with self.store._errors(key):
            self.store.client.put_object(Bucket=self.store.bucket, Key=key, Body=data, ContentType=content_type, **extra)

    def delete(self, relative: str) -> None:
        key = self.key(relative)
        with self.store._errors(key):
            self.store.client.delete_object(Bucket=self.store.bucket, Key=key)


class _S3Writer(Writer):
    def __init__(self, site: S3Site, previous: Previous):
        super().__init__(previous)
        self.site = site
        self.last: dict = {}

    def add(self, relative: str, data: bytes, inputs: str | None = None) -> None:
        digest = hashlib.sha256(data).hexdigest()
        self._note(relative, digest, inputs)
        if self.previous.files.get(relative) == digest:
            self.counts["kept"] += 1
        elif relative in _LAST:
            self.last[relative] = data
        else:
            self.site.put(relative, data)
            self.counts["written"] += 1

    def keep(self, relative: str, inputs: str | None = None) -> bool:
        return self._kept(relative, inputs)

    def commit(self) -> dict:
        for relative in _LAST:
            if relative in self.last:
                self.site.put(relative, self.last[relative])
                self.counts["written"] += 1
        self.site.put(MARKER, marker(self.digests, self.inputs))
        removed = sorted(set(self.previous.files) - set(self.digests))
        for relative in removed:
            self.site.delete(relative)
        self.counts["removed"] = len(removed)
        return self.counts

    def abort(self) -> None:
        pass  # nothing uploaded so far is linked from the current index
