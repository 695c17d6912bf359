"""Every run of eight words in a row in the seed pages, kept as short hashes.

The seed (the source of our facts) lives outside the repository; these hashes are
all that tests/test_content_quality.py needs to catch a sentence copied from it,
without a copy of its text. After the seed changes, regenerate them:

    python tests/seed_runs.py /work/shared/seed
"""

import hashlib
import re
import sys
from pathlib import Path

SHARED_RUN = 8  # words in a row that would count as a copied sentence
HASHES = Path(__file__).with_name("seed_runs.txt")


def words(text):
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).split()


def runs(text, size=SHARED_RUN):
    tokens = words(text)
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def run_hash(run):
    return hashlib.sha256(run.encode()).hexdigest()[:16]


def seed_run_hashes():
    return set(HASHES.read_text().split())


if __name__ == "__main__":
    seed_dir = Path(sys.argv[1])
    found = set()
    for page in sorted(seed_dir.glob("*.txt")):
        found |= {run_hash(run) for run in runs(page.read_text(encoding="utf-8"))}
    HASHES.write_text("".join(f"{h}\n" for h in sorted(found)))
    print(f"{len(found)} runs from {seed_dir} written to {HASHES}")
