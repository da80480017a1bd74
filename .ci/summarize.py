"""One closing line over pytest's and Gradle's JUnit XML reports: 'tests: N passed, N failed, N skipped'."""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def counts(paths):
    passed = failed = skipped = 0
    for path in paths:
        root = ET.parse(path).getroot()
        suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
        for suite in suites:
            total = int(suite.get("tests", 0))
            bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skip = int(suite.get("skipped", 0))
            passed, failed, skipped = passed + total - bad - skip, failed + bad, skipped + skip
    return passed, failed, skipped


def main(args) -> int:
    files = []
    for arg in args:
        path = Path(arg)
        files += sorted(path.glob("*.xml")) if path.is_dir() else ([path] if path.exists() else [])
    passed, failed, skipped = counts(files)
    print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
