"""Explaining a resolver's refusal: which requirements clash, out of pip's or uv's output."""

from typing import Optional


def explain(lines: list[str]) -> Optional[str]:
    """'; '-joined causes when the output is a resolution failure, else None."""
    return _pip_causes(lines) or _uv_causes(lines)


def _pip_causes(lines: list[str]) -> Optional[str]:
    # pip: "The conflict is caused by:" followed by indented lines, up to a blank line.
    causes: list[str] = []
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


def _uv_causes(lines: list[str]) -> Optional[str]:
    # uv: "× No solution found when resolving dependencies:" then "╰─▶ Because ..." lines.
    for index, line in enumerate(lines):
        if "No solution found when resolving dependencies" in line:
            rest = [later.strip().lstrip("╰─▶").strip() for later in lines[index + 1:]]
            text = " ".join(part for part in rest if part and not part.startswith("hint:"))
            return text or None
    return None
