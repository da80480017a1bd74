"""Stores that fail on purpose."""

from venvbuild.store.local import LocalStore


class FailingStore(LocalStore):
    """The real local store, failing its nth delete: a gc or a compaction killed half way."""

    def __init__(self, root, fail_at):
        super().__init__(root)
        self.deletes, self.fail_at = 0, fail_at

    def delete(self, key):
        self.deletes += 1
        if self.deletes == self.fail_at:
            raise KeyboardInterrupt
        super().delete(key)
