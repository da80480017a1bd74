"""Athena's two wire protocols, as the tests' stand-ins must answer them.

botocore 1.44.13 and earlier send Athena's `json` protocol: every call a POST to `/` naming its operation
in `X-Amz-Target` (`AmazonAthena.GetQueryResults`), all members in the JSON body. botocore 1.44.14 and
later send `rest-json`: the operation is the method and path (`GET /query-executions/ID/results`), some
members travel in the path and the query string, and an error names its type in `x-amzn-ErrorType`.
Athena's endpoint answers both; moto answers only `json`.

`json_form` turns either into (operation, members): the json form. The rest-json routes are read from
the service model of the botocore installed here, so they are exactly what this botocore's client
sends; with a botocore whose model is still `json`, every request carries `X-Amz-Target` and no route
is needed.
"""

import functools
import json
import re
import urllib.parse

TARGET_PREFIX = "AmazonAthena."


class ProtocolError(Exception):
    """A request this module cannot read as an Athena call: (error type, message) for the answer."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind, self.message = kind, message


def is_rest_json(headers) -> bool:
    """rest-json requests name no X-Amz-Target (headers: any mapping with case-insensitive or lower keys)."""
    return not any(key.lower() == "x-amz-target" for key in headers)


def target_of(headers) -> str:
    return next((value for key, value in headers.items() if key.lower() == "x-amz-target"), "")


def json_form(method: str, path: str, headers, body: bytes):
    """(operation, members) of an Athena request in either protocol."""
    try:
        members = json.loads(body or b"{}")
    except ValueError as exc:
        raise ProtocolError("SerializationException", f"the body is not JSON: {exc}") from None
    if not is_rest_json(headers):
        return target_of(headers).rpartition(".")[2], members
    url = urllib.parse.urlsplit(path)
    for route in _routes():
        found = route.pattern.fullmatch(url.path)
        if route.method == method and found:
            members.update({route.uri_members[k]: urllib.parse.unquote(v) for k, v in found.groupdict().items()})
            for key, value in urllib.parse.parse_qsl(url.query):
                if key in route.query_members:
                    name, kind = route.query_members[key]
                    members[name] = _typed(value, kind, key)
            return route.operation, members
    raise ProtocolError("UnknownOperationException", f"{method} {url.path} is not an Athena operation")


def rest_error_headers(kind: str) -> list:
    """The header a rest-json error answer names its type in (botocore reads the code from it)."""
    return [("x-amzn-ErrorType", kind)]


class _Route:
    def __init__(self, operation: str, method: str, request_uri: str, input_shape: dict):
        self.operation, self.method = operation, method
        path = request_uri.partition("?")[0]
        self.uri_members, self.query_members = {}, {}
        regex, groups = "", 0
        for literal, placeholder in re.findall(r"([^{]*)(?:\{([^}]*)\})?", path):
            regex += re.escape(literal)
            if placeholder:
                greedy = placeholder.endswith("+")
                name = placeholder.rstrip("+")
                group = f"g{groups}"
                groups += 1
                regex += f"(?P<{group}>{'.+' if greedy else '[^/]+'})"
                self.uri_members[group] = next(
                    (m for m, spec in input_shape.items() if spec.get("location") == "uri" and spec.get("locationName") == name),
                    name,
                )
        self.pattern = re.compile(regex)
        self.placeholders = groups
        for member, spec in input_shape.items():
            if spec.get("location") == "querystring":
                self.query_members[spec.get("locationName", member)] = (member, spec.get("_type", "string"))


@functools.cache
def _routes() -> tuple:
    from botocore.loaders import Loader

    model = Loader().load_service_model("athena", "service-2")
    shapes = model["shapes"]
    routes = []
    for name, operation in model["operations"].items():
        http = operation.get("http") or {}
        if "requestUri" not in http or http["requestUri"] == "/":
            continue  # the json protocol's single endpoint
        members = {}
        if "input" in operation:
            for member, spec in shapes[operation["input"]["shape"]]["members"].items():
                members[member] = dict(spec, _type=shapes[spec["shape"]]["type"])
        routes.append(_Route(name, http.get("method", "POST"), http["requestUri"], members))
    # A literal path part wins over a placeholder: /query-executions/batch-get before /query-executions/{id}.
    return tuple(sorted(routes, key=lambda r: r.placeholders))


def _typed(value: str, kind: str, key: str):
    if kind in ("integer", "long"):
        try:
            return int(value)
        except ValueError:
            raise ProtocolError("InvalidRequestException", f"{key} {value!r} is not a whole number") from None
    if kind == "boolean":
        return value == "true"
    return value
