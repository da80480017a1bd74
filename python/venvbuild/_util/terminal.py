"""Text for a terminal: nothing read from a store or a build may drive the terminal that shows it.

A record's fields (versions, conflicts, platform, build_url, ...) are free text. Printed raw, ESC starts a
control sequence (retitle the window, rewrite what is on screen, or, in some terminals, write files), BEL
and CR hide or overwrite what came before, and the bidi overrides (U+202A-U+202E, U+2066-U+2069) show text
in another order than it is. printable() writes each such character as a visible escape (`\\x1b`,
`\\u202e`); every human-readable line of the command goes through it, at the point where it is printed
(echo, console.say, the error lines). JSON output needs no such step: json.dumps with ensure_ascii escapes
every character outside printable ASCII.
"""

import re
import sys

# C0 controls (tab and newline are decided by the caller), DEL, C1 controls, and the bidi embeddings,
# overrides and isolates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_AND_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: "re.Match[str]") -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, lines: bool = True) -> str:
    """text with its control and bidi-override characters written as visible escapes. lines: newline and tab
    stay (they are the output's own structure); lines=False escapes them too, for one value inside a line
    (a table cell, a field in a one-line message), so a value cannot start a line of its own."""
    return (_CONTROL if lines else _CONTROL_AND_BREAKS).sub(_escape, text)


def echo(text="", *, lines: bool = False, end: str = "\n", file=None) -> None:
    """print(text) to stdout (or file), made printable: one line, or with lines=True a text of lines whose
    values were made printable one by one (printable(value, lines=False)) as it was put together."""
    print(printable(str(text), lines=lines), end=end, file=file or sys.stdout)
