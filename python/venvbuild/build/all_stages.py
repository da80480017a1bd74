"""`venvbuild build`: every stage in order, then publish to the store; nothing is stored on failure."""

import shutil
import tempfile
import threading
from typing import Tuple

from venvbuild._util.console import say
from venvbuild.build import publish, stages
from venvbuild.build.workdir import WorkDir
from venvbuild.record import metadata


def build(
    requirements_file,
    env_name,
    python,
    *,
    store,
    fail_on_conflicts=False,
    installer_name="pip",
    compression="gz",
    allow_unpinned=False,
    work_dir=None,
    reuse=False,
) -> Tuple[dict, bool]:
    """Build and publish; returns (the stored metadata, reused). With reuse, a published build of the same
    build_key is returned instead, before installing (or, when another build of the key published first
    meanwhile, instead of publishing). A temporary work folder is removed after success or an abort, and kept,
    with its reports, after a failure that got as far as installing."""
    temporary = work_dir is None
    work = WorkDir(tempfile.mkdtemp(prefix="venvbuild-work-") if temporary else work_dir)
    succeeded = aborted = installing = False
    removing = None
    try:
        stages.validate(
            work,
            requirements_file,
            env_name,
            python,
            allow_unpinned=allow_unpinned,
            installer_name=installer_name,
            compression=compression,
            store=store,
            reuse_store=store if reuse else None,
        )
        if work.reused_file.exists():
            succeeded = True
            return metadata.read(work.reused_file), True
        installing = True
        stages.install(work)
        stages.inspect(work, fail_on_conflicts=fail_on_conflicts)
        stages.package(work)
        if temporary:  # the archive holds the venv now: remove it while the build is published
            removing = _remove_in_background(work.venv)
        stages.write_metadata(work, store)
        if reuse:
            meta, reused = publish.publish_or_reuse(work.artifacts, store, renumber=True, give_up_archive=temporary)
        else:
            meta, reused = publish.publish(work.artifacts, store, renumber=True, give_up_archive=temporary), False
        succeeded = True
        return meta, reused
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (a Jenkins abort): nobody is there to read the reports
        aborted = True
        raise
    finally:
        if removing is not None:
            removing.join()
        if temporary and (succeeded or aborted or not installing):
            shutil.rmtree(work.path, ignore_errors=True)
        elif not succeeded and work.state_file.exists():
            say(f"reports and logs kept in {work.path}")


def _remove_in_background(folder) -> threading.Thread:
    # Unlinking some 10,000 files is system calls, not Python: it overlaps the publish's copying and hashing.
    remover = threading.Thread(target=shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True}, daemon=True)
    remover.start()
    return remover
