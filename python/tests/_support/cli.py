"""`venvbuild` run in-process, for tests that need its output and exit code only."""


def run_cli(capsys, *argv):
    """(exit code, stdout, stderr) of `venvbuild ARGV...` run in-process; arguments may be paths."""
    from venvbuild import cli

    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err
