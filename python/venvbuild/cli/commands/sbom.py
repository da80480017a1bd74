"""`venvbuild sbom VERSION`: a published build's software bill of materials."""

import json
import sys

from venvbuild.cli.command import Command
from venvbuild.errors import StoreError, UsageError
from venvbuild.record import artifacts, sbom
from venvbuild.store import layout, stored_builds
from venvbuild.store.options import add_store_arguments, store_from_args


def add_arguments(parser) -> None:
    parser.add_argument("version", metavar="VERSION", help="the build, venv_YYYYMMDD_HHMMSS")
    parser.add_argument(
        "--format",
        choices=("cyclonedx", "spdx"),
        default="cyclonedx",
        help="CycloneDX 1.6 JSON, as stored (default), or SPDX 2.3 JSON made from it",
    )
    add_store_arguments(parser, required=False)


def run(args) -> int:
    store = store_from_args(args)
    meta = stored_builds.read_build(store, args.version)
    if artifacts.SBOM not in meta.get("extra_artifacts", ()):
        raise UsageError(f"VERSION {args.version}: the build has no {artifacts.SBOM} (built before venvbuild wrote SBOMs)")
    data = stored_builds.read_artifact(store, args.version, artifacts.SBOM)
    where = store.url(layout.artifact_key(store, args.version, artifacts.SBOM))
    if data is None:
        raise StoreError(f"{where}: missing, though metadata.json lists it")
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise StoreError(f"{where}: damaged SBOM, not valid JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("bomFormat") != "CycloneDX":
        raise StoreError(f"{where}: damaged SBOM, not a CycloneDX document")
    if args.format == "spdx":
        out = json.dumps(sbom.to_spdx(document), indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    else:
        out = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    sys.stdout.write(out)
    return 0


COMMANDS = [
    Command(
        "sbom",
        "Print a published build's software bill of materials (CycloneDX 1.6 or SPDX 2.3 JSON).",
        add_arguments,
        run,
        details="Exit 0 when printed, 2 for an unknown version or a build published without an SBOM, 6 when the "
        "store fails or holds a damaged SBOM.",
    )
]
