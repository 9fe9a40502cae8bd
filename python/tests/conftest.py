"""Test setup: import gradflow from the build tree and find the CLI.

GRADFLOW_BUILD_DIR names the build folder (default: build/release of this
checkout); its python/ sub-folder holds _gradflow*.so and a link to the
package (src/python/CMakeLists.txt)."""

import os
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(os.environ.get("GRADFLOW_BUILD_DIR", os.path.join(REPO, "build", "release")))
sys.path.insert(0, os.path.join(BUILD, "python"))


@pytest.fixture(scope="session")
def repo():
    return REPO


@pytest.fixture(scope="session")
def cli():
    """Runs the gradflow command; returns the CompletedProcess."""
    exe = os.path.join(BUILD, "gradflow")
    if not os.path.isfile(exe):
        pytest.fail(f"the gradflow command is not built ({exe}): build the gradflow target")

    def run(*args, check=True):
        p = subprocess.run([exe, *args], capture_output=True, text=True, cwd=REPO)
        if check and p.returncode != 0:
            raise AssertionError(f"gradflow {' '.join(args)} exited {p.returncode}: {p.stderr}")
        return p
    return run


def data(name):
    return os.path.join(REPO, "data", name)


@pytest.fixture(scope="session")
def example_result(cli, tmp_path_factory):
    """example_result("least_squares_stability") runs data/<name>.json once
    per session with the CLI and returns its output folder; a dict spec
    (name, spec) is written to a file first."""
    import json
    done = {}

    def get(name, spec=None):
        if name not in done:
            folder = tmp_path_factory.mktemp("result_" + name)
            path = data(name + ".json")
            if spec is not None:
                path = str(folder / (name + ".json"))
                with open(path, "w") as fh:
                    json.dump(spec, fh)
            out = str(folder / "out")
            cli("run", path, "--out", out, "-q")
            done[name] = out
        return done[name]
    return get
