"""Malformed variants of every shipped spec, fed to `gradflow check`: one
variant per key of every example (deleted, retyped or set to an extreme
value, in turn). Each must end within the timeout with exit 0 (still a valid
spec) or exit 2 and a message naming the spec file: never exit 1, a signal or
a hang. scripts/malformed_corpus.py runs every variant of every key."""

import os
import sys

from conftest import BUILD, REPO

sys.path.insert(0, os.path.join(REPO, "scripts"))
import malformed_corpus  # noqa: E402


def test_each_key_of_each_example_malformed_is_refused_with_exit_2_or_still_valid():
    counts, defects = malformed_corpus.run_corpus(os.path.join(BUILD, "gradflow"), sample=True)
    assert counts["refused"] > 300, counts
    assert defects == [], f"{len(defects)} defects ({dict(counts)}):\n" + "\n".join(defects[:20])
