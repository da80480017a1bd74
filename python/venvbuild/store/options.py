"""The --store option and the S3 options that go with it, shared by `venvbuild publish` and `venvbuild build`."""

from venvbuild._util.console import detail
from venvbuild.store import default_store, open_store
from venvbuild.store.s3 import SSE_CHOICES


def add_store_arguments(parser, required: bool = True) -> None:
    parser.add_argument(
        "--store",
        required=required,
        metavar="s3://BUCKET/PREFIX|DIR",
        help="where builds are published: an S3 bucket and prefix (prefix default venv-builds) or a directory"
        + ("" if required else " (default: $VENVBUILD_STORE, else ./venvbuild-store)"),
    )
    s3 = parser.add_argument_group("S3 options (only with an s3:// --store; credentials from boto3's default chain)")
    s3.add_argument("--region", help="the bucket's region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile)")
    s3.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="an S3-compatible server, e.g. http://127.0.0.1:9000 (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS)",
    )
    s3.add_argument("--sse", choices=SSE_CHOICES, help="server-side encryption of every object")
    s3.add_argument("--kms-key-id", metavar="KEY", help="the KMS key for --sse aws:kms (default: the AWS-managed key)")
    s3.add_argument(
        "--checksum-when-required",
        action="store_true",
        help="send botocore's default checksums only when required, for S3-compatible servers that reject them",
    )


def store_from_args(args):
    """The store named by --store; without one, the default store (venvbuild.store.default_store)."""
    store = open_store(
        args.store if args.store is not None else default_store(),
        region=args.region,
        endpoint_url=args.endpoint_url,
        sse=args.sse,
        kms_key_id=args.kms_key_id,
        checksum_when_required=args.checksum_when_required,
    )
    detail(f"store: {store.describe()}")
    return store
