"""An HTTP proxy on 127.0.0.1 in front of the test S3 server that fails chosen requests.

moto has no fault injection, so a test points the client at this proxy and says which requests go
wrong: an S3-style 5xx error, or a connection dropped without an answer. Everything else is forwarded
unchanged, and every request is logged so a test can see the client's retries.
"""

import http.client
import threading
from collections import namedtuple
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Request = namedtuple("Request", "method path query outcome headers")

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te", "trailer"}


class _Rule:
    def __init__(self, method, path_part, query_part, status, drop, times):
        self.method = method
        self.path_part = path_part
        self.query_part = query_part
        self.status = status
        self.drop = drop
        self.remaining = times  # None: every matching request

    def matches(self, method, path, query):
        return (
            (self.remaining is None or self.remaining > 0)
            and (self.method is None or method == self.method)
            and self.path_part in path
            and self.query_part in query
        )


class FaultProxy:
    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.requests = []  # Request tuples; outcome is "forwarded", "failed <status>" or "dropped"
        self._rules = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail(self, method=None, path_part="", query_part="", status=503, times=None):
        """Answer matching requests with an S3 error status (times=None: always)."""
        with self._lock:
            self._rules.append(_Rule(method, path_part, query_part, status, False, times))

    def drop(self, method=None, path_part="", query_part="", times=1):
        """Read matching requests, then close the connection without answering."""
        with self._lock:
            self._rules.append(_Rule(method, path_part, query_part, None, True, times))

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

    def _decide(self, method, path, query):
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path, query):
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
                rule = proxy._decide(self.command, path, query)
                headers = {k.lower(): v for k, v in self.headers.items()}

                def log(outcome):
                    proxy.requests.append(Request(self.command, path, query, outcome, headers))

                if rule is not None and rule.drop:
                    log("dropped")
                    self.close_connection = True
                    return
                if rule is not None:
                    log(f"failed {rule.status}")
                    self._send(rule.status, [("Content-Type", "application/xml")], _error_xml(rule.status))
                    return
                log("forwarded")
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                try:
                    forwarded = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                    upstream.request(self.command, self.path, body=body, headers=forwarded)
                    response = upstream.getresponse()
                    data = response.read()
                    kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP | {"content-length"}]
                    self._send(response.status, kept, data, head=self.command == "HEAD",
                               length=response.getheader("Content-Length"))
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
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        f"<Message>injected by the test proxy</Message></Error>"
    ).encode()
