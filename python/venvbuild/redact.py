"""Credentials in URLs (`https://user:token@host`) never reach a log or a stored file."""

import re

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")


def redact(text: str) -> str:
    return _USERINFO.sub(r"\g<scheme>****@", text)
