"""Shared fixtures: the repository root and a real wheel of this checkout installed into a clean venv."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import tarfile
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _run(*command: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode:
        pytest.fail(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


@pytest.fixture(scope="session")
def built_dists(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist of this checkout, and the wheel built from that sdist (as a release builds them)."""
    work = tmp_path_factory.mktemp("build")
    dist = work / "dist"
    _run(sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(dist), str(REPO))
    [sdist] = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(work / "src", filter="data")
    [unpacked] = (work / "src").iterdir()
    _run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(unpacked))
    return dist


@pytest.fixture(scope="session")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory, built_dists: Path) -> Path:
    """A fresh virtualenv holding a wheel built from this checkout's sdist; returns its python.

    The wheel is built from the sdist, not from the checkout, so a file missing from either
    (the schemas, above all) fails here rather than on a user's machine. The venv is created
    without network: the package goes in with --no-deps and its dependencies are borrowed from
    the running environment through a .pth file, after the venv's own site-packages.
    """
    work = tmp_path_factory.mktemp("wheel")
    run = _run
    [wheel] = built_dists.glob("*.whl")
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel))
    site = run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip()
    borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "zz_borrowed_dependencies.pth").write_text("\n".join(sorted(borrowed)) + "\n")
    return python
