"""Credentials never reach a log or a stored file: the user-info of a URL (`https://user:token@host`) and
query parameters that carry secrets (`?token=...`, `X-Amz-Signature=...`) are replaced by `****`."""

import re

# pip (urllib) ends the authority at the first '/', '?' or '#' and takes the user-info up to the LAST '@'
# before it, so a password may itself hold '@': the greedy class backtracks to that last '@'.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]+@")
# A query parameter whose name says it is a secret: token, access_token, X-Amz-Signature, X-Amz-Credential,
# X-Amz-Security-Token, sig, password, secret, api_key, client_secret, auth ... (case-insensitive).
_SECRET_PARAM = re.compile(
    r"(?P<name>[?&;][A-Za-z0-9_.-]*(?:token|signature|sig|secret|passw(?:or)?d|pwd|key|credential|auth)"
    r"[A-Za-z0-9_.-]*=)[^&#\s'\"]+",
    re.IGNORECASE,
)


# A `${VAR}` reference is no secret: it is how pip's documentation says to keep one out of a file.
_ONLY_VARIABLES = re.compile(r"(?:\$\{[A-Z0-9_]+\}|:)+")


def _userinfo(match: "re.Match[str]") -> str:
    userinfo = match.group(0)[len(match.group("scheme")) : -1]
    return match.group(0) if _ONLY_VARIABLES.fullmatch(userinfo) else match.group("scheme") + "****@"


def _param(match: "re.Match[str]") -> str:
    value = match.group(0)[len(match.group("name")) :]
    return match.group(0) if _ONLY_VARIABLES.fullmatch(value) else match.group("name") + "****"


def redact(text: str) -> str:
    text = _USERINFO.sub(_userinfo, text)
    return _SECRET_PARAM.sub(_param, text)
