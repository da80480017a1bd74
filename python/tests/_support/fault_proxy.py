"""An HTTP proxy on 127.0.0.1 in front of the test moto server that fails or rewrites chosen requests.

moto has no fault injection, so a test points the client at this proxy and says which requests go
wrong: an S3-style 5xx error, or a connection dropped without an answer. For Athena a test can also
rewrite moto's answer to chosen operations (named by their X-Amz-Target), to play states and result
pages moto does not produce. moto answers Athena only in the `json` protocol, so an Athena call in
`rest-json` (botocore 1.44.14 and later) is forwarded in its json form and its error answer named in
`x-amzn-ErrorType` (athena_protocol.py); rules and the log see every Athena call in the json form.
Everything else is forwarded unchanged, and every request is logged so a test can see the client's retries.
"""

import http.client
import json
import threading
from collections import namedtuple
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from tests._support.athena_protocol import TARGET_PREFIX, ProtocolError, is_rest_json, json_form, rest_error_headers

# body: a JSON-protocol request's bytes (b"" for S3's); outcome: "forwarded", "rewritten" (taken by a
# rewrite rule: forwarded, and moto's answer edited if it was a success), "failed <status>" or "dropped".
Request = namedtuple("Request", "method path query outcome headers body", defaults=(b"",))

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te", "trailer"}


class _Rule:
    def __init__(self, method, path_part, query_part, status, drop, times, target=None, edit=None, body=None):
        self.method = method
        self.path_part = path_part
        self.query_part = query_part
        self.status = status
        self.drop = drop
        self.remaining = times  # None: every matching request
        self.target = target  # the X-Amz-Target header a rewrite rule answers, e.g. "AmazonAthena.GetQueryResults"
        self.edit = edit  # edit(request JSON, moto's answer JSON) -> the answer the client gets
        self.body = body  # answer with this body instead of an S3 error document

    def matches(self, method, path, query, target=None):
        return (
            (self.remaining is None or self.remaining > 0)
            and (self.method is None or method == self.method)
            and self.path_part in path
            and self.query_part in query
            and (self.target is None or target == self.target)
        )


class FaultProxy:
    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.requests = []  # Request tuples, in the order they arrived
        self._rules = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval: stop() waits for it.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail(self, method=None, path_part="", query_part="", status=503, times=None):
        """Answer matching requests with an S3 error status (times=None: always)."""
        with self._lock:
            self._rules.append(_Rule(method, path_part, query_part, status, False, times))

    def answer(self, method=None, path_part="", query_part="", status=200, body=b"", times=None):
        """Answer matching requests with status and body without asking moto: a web server, a captive
        portal or a mock that says 200 to everything."""
        with self._lock:
            self._rules.append(_Rule(method, path_part, query_part, status, False, times, body=body))

    def drop(self, method=None, path_part="", query_part="", times=1):
        """Read matching requests, then close the connection without answering."""
        with self._lock:
            self._rules.append(_Rule(method, path_part, query_part, None, True, times))

    def rewrite(self, target: str, edit, times=None):
        """Forward JSON-protocol requests for the operation `target` (the X-Amz-Target header), then
        answer with edit(request, answer) instead of moto's answer; both are parsed JSON, and edit may
        change the answer in place and return it. Only successful (2xx) answers are rewritten."""
        with self._lock:
            self._rules.append(_Rule("POST", "", "", None, False, times, target, edit))

    def calls(self, target: str, outcome=None) -> list:
        """The parsed JSON bodies of the logged requests for the operation `target`, in order."""
        return [
            json.loads(r.body or b"{}")
            for r in self.requests
            if r.headers.get("x-amz-target") == target and (outcome is None or r.outcome.startswith(outcome))
        ]

    def clear(self):
        with self._lock:
            self._rules.clear()

    def matching(self, method, path_part="", query_part="", outcome=None) -> list:
        return [
            r
            for r in self.requests
            if r.method == method
            and path_part in r.path
            and query_part in r.query
            and (outcome is None or r.outcome.startswith(outcome))
        ]

    def count(self, method, path_part="", query_part="", outcome=None) -> int:
        return len(self.matching(method, path_part, query_part, outcome))

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def _decide(self, method, path, query, target=None):
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path, query, target):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return rule
        return None

    def _handler_class(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                headers = {k.lower(): v for k, v in self.headers.items()}
                forward = (self.command, self.path, {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP})
                athena_rest = "/athena/aws4_request" in headers.get("authorization", "") and is_rest_json(headers)
                if athena_rest:
                    try:
                        operation, members = json_form(self.command, self.path, headers, body)
                    except ProtocolError as exc:
                        data = json.dumps({"__type": exc.kind, "Message": exc.message}).encode()
                        self._send(400, [("Content-Type", "application/json"), *rest_error_headers(exc.kind)], data)
                        return
                    body = json.dumps(members).encode()
                    headers["x-amz-target"] = TARGET_PREFIX + operation
                    kept = {k: v for k, v in forward[2].items() if k.lower() not in ("content-type", "content-length")}
                    forward = (
                        "POST",
                        "/",
                        {
                            **kept,
                            "Content-Type": "application/x-amz-json-1.1",
                            "X-Amz-Target": headers["x-amz-target"],
                            "Content-Length": str(len(body)),
                        },
                    )
                rule = proxy._decide(forward[0], path, query, headers.get("x-amz-target"))

                def log(outcome):
                    kept_body = body if "x-amz-target" in headers else b""  # JSON calls only, not S3 payloads
                    proxy.requests.append(Request(self.command, path, query, outcome, headers, kept_body))

                if rule is not None and rule.drop:
                    log("dropped")
                    self.close_connection = True
                    return
                if rule is not None and rule.edit is None:
                    log(f"failed {rule.status}" if rule.body is None else f"answered {rule.status}")
                    data = _error_xml(rule.status) if rule.body is None else rule.body
                    # A HEAD answer has no body: one here would be read as the start of the next answer.
                    self._send(rule.status, [("Content-Type", "application/xml")], data, head=self.command == "HEAD")
                    return
                log("forwarded" if rule is None else "rewritten")
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                try:
                    method, target_path, forwarded = forward
                    upstream.request(method, target_path, body=body, headers=forwarded)
                    response = upstream.getresponse()
                    data = response.read()
                    kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP | {"content-length"}]
                    if athena_rest and response.status >= 400:
                        kept += rest_error_headers(str(json.loads(data or b"{}").get("__type", "")).rpartition("#")[2])
                    if rule is not None and 200 <= response.status < 300:
                        answer = rule.edit(json.loads(body or b"{}"), json.loads(data or b"{}"))
                        data = json.dumps(answer).encode()
                        kept = [(k, v) for k, v in kept if k.lower() != "x-amz-crc32"]
                    self._send(
                        response.status, kept, data, head=self.command == "HEAD", length=response.getheader("Content-Length")
                    )
                finally:
                    upstream.close()

            def _send(self, status, headers, data, head=False, length=None):
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", length if head and length is not None else str(len(data)))
                self.end_headers()
                if not head:
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

        return Handler


def _error_xml(status: int) -> bytes:
    code = {500: "InternalError", 503: "SlowDown"}.get(status, "ServiceUnavailable")
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>injected by the test proxy</Message></Error>'
    ).encode()
