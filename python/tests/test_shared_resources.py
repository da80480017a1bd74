from venvbuild import errors
from venvbuild._util.resources import load_json


def test_every_error_class_has_its_code_in_the_shared_file():
    listed = {int(code) for code in load_json("exit_codes.json")}
    classes = [errors.UsageError, errors.UnpinnedError, errors.ConflictError, errors.InstallError, errors.StoreError]
    assert sorted(c.exit_code for c in classes) == [2, 3, 4, 5, 6]
    assert {c.exit_code for c in classes} | {errors.OK, errors.INTERNAL, errors.INTERRUPTED, errors.TERMINATED} == listed
    assert [code for code, _ in errors.EXIT_CODES] == sorted(listed)


def test_the_shared_choice_rules_accept_exactly_the_helpers_choices():
    import re

    from venvbuild import naming
    from venvbuild.build import installer
    from venvbuild.record import artifacts
    from venvbuild.store.s3 import SSE_CHOICES

    for kind, choices in (("installer", installer.INSTALLERS), ("compression", artifacts.COMPRESSIONS), ("sse", SSE_CHOICES)):
        pattern = naming.rule(kind)["pattern"]
        assert [c for c in choices if re.fullmatch(pattern, c)] == list(choices)
        assert not [c for c in ("", "xz", "conda", "pip ", "PIP") if re.fullmatch(pattern, c)]


def test_an_unexpected_exception_is_one_line_and_exit_70(monkeypatch, capsys, tmp_path):
    from venvbuild import cli
    from venvbuild.cli.commands import check_pins

    def broken(path):
        raise KeyError("boom")

    monkeypatch.setattr(check_pins, "pin_gate", broken)
    monkeypatch.delenv("VENVBUILD_DEBUG", raising=False)
    assert cli.main(["check-pins", str(tmp_path / "r.txt")]) == 70
    assert capsys.readouterr().err.splitlines() == [
        "venvbuild: error: internal error: KeyError: 'boom' (a bug; VENVBUILD_DEBUG=1 shows the traceback)"
    ]
