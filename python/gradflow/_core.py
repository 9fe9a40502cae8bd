"""The compiled module _gradflow: inside the package once installed, or on
sys.path from the build tree (build/<preset>/python, docs/python.md)."""

try:
    from . import _gradflow as core  # installed: gradflow/_gradflow*.so
except ImportError:  # build tree: build/<preset>/python/_gradflow*.so on sys.path
    try:
        import _gradflow as core
    except ImportError as e:
        raise ImportError(
            "gradflow's compiled module _gradflow was not found: build it "
            "(cmake --build --preset release --target _gradflow) and put "
            "build/release/python on PYTHONPATH, or install the package "
            "(docs/python.md)") from e

SpecError = core.SpecError
