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


def redact(text: str) -> str:
    text = _USERINFO.sub(r"\g<scheme>****@", text)
    return _SECRET_PARAM.sub(r"\g<name>****", text)
