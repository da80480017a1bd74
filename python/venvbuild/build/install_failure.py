"""Explaining an installer's failure out of pip's or uv's output: which requirements clash, or the error
line with its causes."""

import re
from typing import List

# uv (anyhow) prints an error's causes below it, indented: "  Caused by: ..." or "  cause: ...".
_CAUSE = re.compile(r"^\s+(?:caused by|cause):\s*(?P<text>\S.*)$", re.IGNORECASE)


def explain(lines: List[str]) -> str | None:
    """'; '-joined causes when the output is a resolution failure, else None."""
    return _pip_causes(lines) or _uv_causes(lines)


def _pip_causes(lines: List[str]) -> str | None:
    # pip: "The conflict is caused by:" followed by indented lines, up to a blank line.
    causes: List[str] = []
    inside = False
    for line in lines:
        text = line.strip()
        if text.startswith("The conflict is caused by"):
            inside = True
            continue
        if inside:
            if not text:
                if causes:
                    break
                continue
            causes.append(text)
    return "; ".join(causes) if causes else None


def _uv_causes(lines: List[str]) -> str | None:
    # uv: "× No solution found when resolving dependencies:" then "╰─▶ Because ..." lines.
    for index, line in enumerate(lines):
        if "No solution found when resolving dependencies" in line:
            rest = [later.strip().lstrip("╰─▶").strip() for later in lines[index + 1 :]]
            text = " ".join(part for part in rest if part and not part.startswith("hint:"))
            return text or None
    return None


def error_line(lines: List[str]) -> str:
    """The installer's first error line, with the causes uv lists under it (a download that "failed" because
    of a hash mismatch says so); the last line of output when there is no error line."""
    starts = [i for i, text in enumerate(lines) if text.strip().lower().startswith(("error:", "×", "fatal"))]
    if not starts:
        return next((text.strip() for text in reversed(lines) if text.strip()), "no output")[:300]
    parts = [lines[starts[0]].strip()]
    for line in lines[starts[0] + 1 :]:
        cause = _CAUSE.match(line.rstrip("\n"))
        if cause:
            parts.append(cause.group("text").strip())
        elif line.strip() and not line[:1].isspace():
            break
    return ": ".join(parts)[:300]
