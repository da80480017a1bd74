"""venv_version: `venv_YYYYMMDD_HHMMSS`, the build's UTC start, as the design names builds."""

from datetime import datetime, timedelta, timezone

_FORMAT = "venv_%Y%m%d_%H%M%S"


def version_of(moment: datetime) -> str:
    return moment.strftime(_FORMAT)


def moment_of(version: str) -> datetime:
    return datetime.strptime(version, _FORMAT).replace(tzinfo=timezone.utc)


def created_at_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def next_version(version: str) -> str:
    return version_of(moment_of(version) + timedelta(seconds=1))
