"""What a search asks for, validated once, and the SQL parameters both backends bind from it."""

from dataclasses import dataclass

from venvbuild import naming
from venvbuild.query import spec as specs


@dataclass(frozen=True)
class Criteria:
    specs: tuple  # of spec.PackageSpec, one per distinct normalised name; all must match
    conflict_free: bool = False
    python: str | None = None
    env_name: str | None = None
    since: str | None = None  # YYYY-MM-DD: builds created on or after that day (UTC)

    def sql_parameters(self) -> dict:
        """Values for the $name placeholders of the search SQL; '' means "no filter" (Athena has no NULL parameter)."""
        names = [s.name for s in self.specs]
        return {
            "names": ",".join(names),  # normalised names hold no ','
            "name_count": len(names),
            "conflict_free": "yes" if self.conflict_free else "",
            "python": self.python or "",
            "env_name": self.env_name or "",
            "since": self.since or "",
        }


def build(spec_texts, conflict_free=False, python=None, env_name=None, since=None, pre=False) -> Criteria:
    return Criteria(
        specs=specs.parse_all(spec_texts, pre),
        conflict_free=bool(conflict_free),
        python=None if python is None else naming.check("python_version", python, "--python"),
        env_name=None if env_name is None else naming.check("env_name", env_name, "--env-name"),
        since=None if since is None else naming.day(since, "--since"),
    )
