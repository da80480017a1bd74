"""Every failure the helper reports, each with its exit code.

The codes and their meanings live in resources/venvbuild/exit_codes.json, which the Jenkins steps read
too (src/io/venvbuild/HelperExitCodes.groovy); `venvbuild --help` lists them from there.
"""

from venvbuild._util.resources import load_json

OK = 0
USAGE = 2
UNPINNED = 3
CONFLICTS = 4
INSTALL_FAILED = 5
STORE_FAILED = 6
INTERNAL = 70  # sysexits' EX_SOFTWARE: distinct from every outcome above and from search's 1
INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it
TERMINATED = 143  # 128 + SIGTERM

EXIT_CODES = tuple(sorted((int(code), meaning) for code, meaning in load_json("exit_codes.json").items()))


class VenvbuildError(Exception):
    """A failure with a one-line message for the user and a distinct exit code."""

    exit_code = USAGE

    def __str__(self) -> str:
        # One line, whatever the cause carried.
        return " ".join(super().__str__().split())


class UsageError(VenvbuildError):
    exit_code = USAGE


class UnpinnedError(VenvbuildError):
    exit_code = UNPINNED

    def __init__(self, message: str, lines=()):
        super().__init__(message)
        self.lines = list(lines) or [message]


class ConflictError(VenvbuildError):
    exit_code = CONFLICTS


class InstallError(VenvbuildError):
    exit_code = INSTALL_FAILED


class StoreError(VenvbuildError):
    exit_code = STORE_FAILED


class StageError(VenvbuildError):
    """A build stage could not write its work folder (disk full, read-only): the stage's own exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code
