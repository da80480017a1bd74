"""Trino's HTTP client protocol (POST /v1/statement, then follow nextUri), in the standard library.

Enough for the tests and the benchmark: a statement's column names and types, its rows as JSON
values, its error as TrinoError, and cancelling one in flight. (The `trino` package would do the
same; this keeps the test dependencies to what docs/development.md lists.)
"""

import json
import time
import urllib.error
import urllib.request


class TrinoError(Exception):
    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


class Statement:
    """One statement on its way: advance() follows nextUri once; done when there is none left."""

    def __init__(self, client: "TrinoClient", sql: str):
        self.client = client
        self.columns = None  # [{"name": ..., "type": ..., "typeSignature": ...}]
        self.rows = []
        self.error = None
        self.state = "QUEUED"
        self._answer(client._request("POST", client.url + "/v1/statement", sql.encode()))

    @property
    def done(self) -> bool:
        return self.next_uri is None

    def advance(self) -> None:
        if not self.done:
            self._answer(self.client._request("GET", self.next_uri))

    def wait(self) -> "Statement":
        while not self.done:
            self.advance()
        if self.error:
            raise self.error
        return self

    def cancel(self) -> None:
        if not self.done:
            self.client._request("DELETE", self.next_uri)
            self.next_uri = None
            self.state = "CANCELLED"

    def _answer(self, answer: dict) -> None:
        self.next_uri = answer.get("nextUri")
        if answer.get("columns") and self.columns is None:
            self.columns = answer["columns"]
        self.rows.extend(answer.get("data") or [])
        self.state = answer.get("stats", {}).get("state", self.state)
        if answer.get("error"):
            error = answer["error"]
            self.error = TrinoError(error.get("errorName", "ERROR"), error.get("message", "no message"))
            self.state = "FAILED"


class TrinoClient:
    def __init__(self, url: str, catalog: str = "hive", schema: str = None, user: str = "venvbuild-tests"):
        self.url = url
        self.headers = {"X-Trino-User": user, "X-Trino-Catalog": catalog}
        if schema:
            self.headers["X-Trino-Schema"] = schema

    def start(self, sql: str) -> Statement:
        return Statement(self, sql)

    def execute(self, sql: str):
        """Run sql to the end: ([column names], rows); a failure raises TrinoError."""
        statement = self.start(sql).wait()
        return [c["name"] for c in statement.columns or []], statement.rows

    def _request(self, method: str, url: str, body: bytes = None) -> dict:
        for attempt in range(20):
            request = urllib.request.Request(url, data=body, method=method, headers=self.headers)
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    data = response.read()
                    return json.loads(data) if data else {}
            except urllib.error.HTTPError as exc:
                if exc.code not in (502, 503, 504):  # the protocol says: retry those
                    raise TrinoError("HTTP_" + str(exc.code), exc.read().decode(errors="replace")[:300]) from None
            time.sleep(0.05 * (attempt + 1))
        raise TrinoError("HTTP_503", f"{url} kept answering 503")
