"""pip install --no-build-isolation ./python (Debian's setuptools, nothing
downloaded): builds the _gradflow module with CMake (the repository's
CMakeLists.txt, target _gradflow only) and installs the gradflow package
with the module inside it. See docs/python.md."""

import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = os.path.join(REPO, "build", "python-setup")
        subprocess.check_call([
            "cmake", "-S", REPO, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
            "-DGRADFLOW_BUILD_TESTS=OFF", "-DGRADFLOW_BUILD_BENCH=OFF", "-DGRADFLOW_BUILD_PYTHON=ON",
            f"-DPython3_EXECUTABLE={sys.executable}"])
        subprocess.check_call(["cmake", "--build", build, "--target", "_gradflow", "-j",
                               str(os.cpu_count() or 1)])
        built = [f for f in os.listdir(os.path.join(build, "python")) if f.startswith("_gradflow")]
        if not built:
            raise RuntimeError(f"the build left no _gradflow module in {build}/python")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(os.path.join(build, "python", built[0]), target)


setup(
    name="gradflow",
    version="0.1.0",
    description="Gradient flow against gradient descent for the models of deep-learning theory",
    packages=["gradflow"],
    package_dir={"gradflow": "gradflow"},
    ext_modules=[Extension("gradflow._gradflow", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    install_requires=[],  # numpy from Debian (python3-numpy)
    python_requires=">=3.9",
)
