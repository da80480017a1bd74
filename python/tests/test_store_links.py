"""Walking a store: no command follows a symbolic link out of it. A link where a build folder or a record
belongs is damage, reported in one warning line naming it and left alone, by gc, compact, catalog and search;
and gc never collects a build folder while a publish is writing it."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests._support.processes import venvbuild, wait
from tests._support.records import make_build_dir, make_metadata
from venvbuild.build import publish
from venvbuild.store import stored_builds
from venvbuild.store.local import LocalStore

PUBLISHED = ["venv_20250101_100000", "venv_20250102_100000"]


def published_store(tmp_path) -> LocalStore:
    store = LocalStore(tmp_path / "store")
    for version in PUBLISHED:
        publish.publish(make_build_dir(tmp_path / "builds", version, installed_packages=["kedro==0.19.9"]), store)
    return store


def outside_folder(tmp_path) -> Path:
    victim = tmp_path / "precious"
    (victim / "deep").mkdir(parents=True)
    (victim / "keep.txt").write_text("mine")
    (victim / "deep" / "data.bin").write_bytes(b"\0" * 10)
    return victim


def victim_files(victim: Path):
    return sorted(str(p.relative_to(victim)) for p in victim.rglob("*"))


def warnings_naming(stderr: str, path: Path):
    return [line for line in stderr.splitlines() if "warning:" in line and str(path) in line]


def test_gc_never_deletes_through_a_link_where_a_build_folder_belongs(tmp_path):
    """A build folder that is a link to any folder (it looks like an abandoned publish) is reported, left
    alone, and nothing behind it is deleted, run after run."""
    store = published_store(tmp_path)
    victim = outside_folder(tmp_path)
    link = store.root / "venv-builds" / "venv_20200101_000000"
    link.symlink_to(victim, target_is_directory=True)
    before = victim_files(victim)
    for _ in range(2):  # every nightly gc
        done = venvbuild("gc", "--store", store.root, "--keep-last", "5", "--apply")
        assert done.returncode == 0, done.stderr
        assert victim_files(victim) == before
        assert link.is_symlink()
        assert len(warnings_naming(done.stderr, link)) == 1, done.stderr
        assert "venv_20200101_000000" not in done.stdout


def test_links_among_the_records_are_left_out_of_search_catalog_compact_and_gc(tmp_path):
    """A record that is a link, and a day folder that is a link, hold forged records outside the store:
    none is listed, folded or deleted, each link is named in a warning."""
    store = published_store(tmp_path)
    victim = outside_folder(tmp_path)
    forged = json.dumps(make_metadata("venv_20250101_200000", installed_packages=["kedro==6.6.6"])) + "\n"
    (victim / "venv_20250101_200000.json").write_text(forged)
    day = store.root / "venv-builds-metadata" / "dt=2025-01-01"
    record_link = day / "venv_20250101_200000.json"
    record_link.symlink_to(victim / "venv_20250101_200000.json")
    (victim / "day").mkdir()
    (victim / "day" / "venv_20250103_100000.json").write_text(
        json.dumps(make_metadata("venv_20250103_100000", installed_packages=["kedro==6.6.7"])) + "\n"
    )
    day_link = store.root / "venv-builds-metadata" / "dt=2025-01-03"
    day_link.symlink_to(victim / "day", target_is_directory=True)
    before = victim_files(victim)

    found = venvbuild("search", "kedro", "--store", store.root, "--json")
    assert found.returncode == 0, found.stderr
    assert sorted(json.loads(line)["venv_version"] for line in found.stdout.splitlines()) == PUBLISHED
    assert warnings_naming(found.stderr, record_link) and warnings_naming(found.stderr, day_link)
    assert sorted(m["venv_version"] for m in stored_builds.all_records(store)) == PUBLISHED  # catalog's listing

    catalog = venvbuild("catalog", "--store", store.root, "--out", tmp_path / "site")
    assert catalog.returncode == 0, catalog.stderr
    assert "6.6.6" not in (tmp_path / "site" / ".venvbuild-catalog-records.jsonl").read_text()

    compacted = venvbuild("compact", "--store", store.root, "--before", "2025-06-01")
    assert compacted.returncode == 0, compacted.stderr
    assert len(warnings_naming(compacted.stderr, record_link)) == 1, compacted.stderr
    assert record_link.is_symlink() and day_link.is_symlink()
    assert sorted(m["venv_version"] for m in stored_builds.all_records(store)) == PUBLISHED

    collected = venvbuild("gc", "--store", store.root, "--keep-last", "0", "--apply")
    assert collected.returncode == 0, collected.stderr
    assert victim_files(victim) == before and record_link.is_symlink() and day_link.is_symlink()


def test_reading_a_build_through_a_link_is_refused_in_one_line(tmp_path):
    """pull of a build whose folder is a link: refused, naming the link, nothing read through it."""
    store = published_store(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    os.rename(store.root / "venv-builds" / PUBLISHED[0], elsewhere)
    link = store.root / "venv-builds" / PUBLISHED[0]
    link.symlink_to(elsewhere, target_is_directory=True)
    done = venvbuild("pull", PUBLISHED[0], "--store", store.root, "--dest", tmp_path / "env")
    assert done.returncode == 6
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("venvbuild: error: ") and str(link) in lines[0], done.stderr
    assert not (tmp_path / "env").exists()


def test_gc_does_not_collect_an_old_build_while_it_is_being_published(tmp_path):
    """`venvbuild publish` of a build made long ago is a publish in progress: a gc --apply that runs
    meanwhile keeps its folder and claim, and the publish completes."""
    store = LocalStore(tmp_path / "store")
    old = "venv_20200101_000000"
    build_dir = make_build_dir(tmp_path / "builds", old, archive_bytes=b"\0" * (256 << 20))
    publisher = subprocess.Popen(
        [sys.executable, "-m", "venvbuild", "publish", str(build_dir), "--store", str(store.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    folder = store.root / "venv-builds" / old
    deadline = time.monotonic() + 60
    while not folder.exists() and publisher.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    publisher.send_signal(signal.SIGSTOP)  # mid-publish: claimed, its archive being copied
    try:
        assert publisher.poll() is None, "the publish ended before gc could run beside it"
        collected = venvbuild("gc", "--store", store.root, "--keep-last", "0", "--apply")
    finally:
        publisher.send_signal(signal.SIGCONT)
    assert wait(publisher) == 0, publisher.stderr.read() if publisher.stderr else ""
    assert collected.returncode == 0, collected.stderr
    assert f"deleted {old}" not in collected.stdout + collected.stderr
    assert stored_builds.is_published(store, old)
    assert (store.root / "venv-builds-metadata" / "_claims" / old).is_file()
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in build_dir.iterdir())
