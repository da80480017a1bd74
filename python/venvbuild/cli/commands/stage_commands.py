"""One subcommand per build stage, for the Jenkins steps: validate, install, inspect, package, metadata.

They share --work-dir; `venvbuild build` runs the same stages in one go."""

from venvbuild.build import installer, stages
from venvbuild.build.workdir import WorkDir
from venvbuild.cli.command import Command
from venvbuild.errors import UsageError
from venvbuild.record import artifacts
from venvbuild.store.options import add_store_arguments, store_from_args


def add_work_dir(parser):
    parser.add_argument(
        "--work-dir", required=True, metavar="DIR", help="the build's work folder (state.json, venv/, install.log, artifacts/)"
    )


def add_build_inputs(parser):
    parser.add_argument("--requirements", required=True, metavar="FILE", help="the requirements file")
    parser.add_argument("--env-name", required=True, metavar="NAME", help="the environment's name")
    parser.add_argument("--python", metavar="3.N", help="the Python version (default: the helper's own)")
    parser.add_argument("--allow-unpinned", action="store_true", help="warn about unpinned requirements instead of failing")
    parser.add_argument("--installer", choices=installer.INSTALLERS, default="pip", help="default: pip")
    parser.add_argument("--compression", choices=artifacts.COMPRESSIONS, default="gz", help="default: gz")


def add_fail_on_conflicts(parser):
    parser.add_argument(
        "--fail-on-conflicts",
        action="store_true",
        help="fail (exit 4) when the environment has dependency conflicts, after writing the reports",
    )


def add_validate_arguments(parser) -> None:
    add_work_dir(parser)
    add_build_inputs(parser)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="look up a published conflict-free build of the same build_key in --store; when "
        "found, write its metadata to <work-dir>/reused.json and build nothing",
    )
    add_store_arguments(parser, required=False)


def add_inspect_arguments(parser) -> None:
    add_work_dir(parser)
    add_fail_on_conflicts(parser)


def run_validate(args) -> int:
    if args.store is not None and not args.reuse:
        raise UsageError("--store needs --reuse here: validate reads the store only to look up a build")
    stages.validate(
        WorkDir(args.work_dir),
        args.requirements,
        args.env_name,
        args.python,
        allow_unpinned=args.allow_unpinned,
        installer_name=args.installer,
        compression=args.compression,
        reuse_store=store_from_args(args) if args.reuse else None,
    )
    return 0


def run_inspect(args) -> int:
    stages.inspect(WorkDir(args.work_dir), fail_on_conflicts=args.fail_on_conflicts)
    return 0


def _on_work_dir(stage):
    """The run of a stage whose only input is the work folder."""

    def run(args) -> int:
        stage(WorkDir(args.work_dir))
        return 0

    return run


COMMANDS = [
    Command(
        "validate",
        "Check the env name, Python version and pins, and start a work folder (stage 1 of 5).",
        add_validate_arguments,
        run_validate,
    ),
    Command(
        "install",
        "Create the venv with the requested Python and install the requirements (stage 2 of 5).",
        add_work_dir,
        _on_work_dir(stages.install),
    ),
    Command(
        "inspect",
        "Inspect the venv with pipdeptree and detect dependency conflicts (stage 3 of 5).",
        add_inspect_arguments,
        run_inspect,
    ),
    Command(
        "package",
        "Archive the venv reproducibly as venv_<version>.tar.gz or .tar.zst (stage 4 of 5).",
        add_work_dir,
        _on_work_dir(stages.package),
    ),
    Command(
        "metadata",
        "Write metadata.json, validated against the schema (stage 5 of 5).",
        add_work_dir,
        _on_work_dir(stages.write_metadata),
    ),
]
