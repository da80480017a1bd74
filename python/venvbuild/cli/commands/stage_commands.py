"""One subcommand per build stage, for the Jenkins steps: validate, install, inspect, package, metadata.

They share --work-dir; `venvbuild build` runs the same stages in one go."""

from venvbuild.build import installer, stages
from venvbuild.build.workdir import WorkDir
from venvbuild.errors import UsageError
from venvbuild.record import artifacts
from venvbuild.store.options import add_store_arguments, store_from_args

_HELP = {
    "validate": "Stage 1: check the env name, Python version and pins; start a work folder.",
    "install": "Stage 2: create the venv with the requested Python and install the requirements.",
    "inspect": "Stage 3: inspect the venv with pipdeptree and detect conflicts.",
    "package": "Stage 4: archive the venv reproducibly as venv_<version>.tar.gz|.tar.zst.",
    "metadata": "Stage 5: write metadata.json, validated against the schema.",
}


def help_for(name: str) -> str:
    return _HELP[name]


def add_work_dir(parser):
    parser.add_argument("--work-dir", required=True, metavar="DIR",
                        help="the build's work folder (state.json, venv/, install.log, artifacts/)")


def add_build_inputs(parser):
    parser.add_argument("--requirements", required=True, metavar="FILE", help="the requirements file")
    parser.add_argument("--env-name", required=True, metavar="NAME", help="the environment's name")
    parser.add_argument("--python", metavar="3.N", help="the Python version (default: the helper's own)")
    parser.add_argument("--allow-unpinned", action="store_true", help="warn about unpinned requirements instead of failing")
    parser.add_argument("--installer", choices=installer.INSTALLERS, default="pip", help="default: pip")
    parser.add_argument("--compression", choices=artifacts.COMPRESSIONS, default="gz", help="default: gz")


def add_fail_on_conflicts(parser):
    parser.add_argument("--fail-on-conflicts", action="store_true",
                        help="fail (exit 4) when the environment has dependency conflicts, after writing the reports")


def add_arguments_for(name: str, parser) -> None:
    add_work_dir(parser)
    if name == "validate":
        add_build_inputs(parser)
        parser.add_argument("--reuse", action="store_true",
                            help="look up a published conflict-free build of the same build_key in --store; when "
                            "found, write its metadata to <work-dir>/reused.json and build nothing")
        add_store_arguments(parser, required=False)
    elif name == "inspect":
        add_fail_on_conflicts(parser)


def run_for(name: str):
    def run(args) -> int:
        work = WorkDir(args.work_dir)
        if name == "validate":
            if args.store is not None and not args.reuse:
                raise UsageError("--store needs --reuse here: validate reads the store only to look up a build")
            stages.validate(work, args.requirements, args.env_name, args.python, allow_unpinned=args.allow_unpinned,
                            installer_name=args.installer, compression=args.compression,
                            reuse_store=store_from_args(args) if args.reuse else None)
        elif name == "install":
            stages.install(work)
        elif name == "inspect":
            stages.inspect(work, fail_on_conflicts=args.fail_on_conflicts)
        elif name == "package":
            stages.package(work)
        else:
            stages.write_metadata(work)
        return 0

    return run
