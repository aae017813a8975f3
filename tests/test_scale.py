"""The scale-out recipes on real engines, a Dask LocalCluster and a Spark local[2] session, on logs of every kind.

The merged report must equal what the command says about the same files. The recipes as the
page shows them (docs/scale-out.md) are run as pasted by tests/test_docs.py (slow group).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from completion_validator.batch import Report, check_lines
from tests.cli_helpers import cli
from tests.conftest import REPO
from tests.hostile.inputs import INVALID_LINE, VALID_LINE

pytestmark = [
    pytest.mark.slow,
    # distributed leaves an unbound socket object to the garbage collector: its leak, not ours.
    pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(scope="module")
def log_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Several logs, plain and gzipped, with valid, invalid and unreadable lines."""
    folder = tmp_path_factory.mktemp("logs")
    paths = []
    for number in range(4):
        lines = [VALID_LINE] * (200 + number) + [INVALID_LINE] * (number + 1) + [b"{not json"] * number + [b""]
        data = b"\n".join(lines) + b"\n"
        path = folder / (f"part-{number}.jsonl.gz" if number % 2 else f"part-{number}.jsonl")
        path.write_bytes(gzip.compress(data) if number % 2 else data)
        paths.append(path)
    return paths


def _command_says(paths: list[Path]) -> dict[str, object]:
    document = json.loads(cli("--format", "json", "--statistics", *map(str, paths)).stdout)
    summary = document["summary"]
    return {
        "documents": summary["documents"],
        "invalid_documents": summary["invalid_documents"],
        "errors": summary["errors"],
        "warnings": summary["warnings"],
        "statistics": document["statistics"],
    }


def _report_says(report: Report) -> dict[str, object]:
    data = report.to_dict()
    summary = data["summary"]
    assert isinstance(summary, dict)
    return {
        "documents": summary["documents"],
        "invalid_documents": summary["invalid_documents"],
        "errors": summary["errors"],
        "warnings": summary["warnings"],
        "statistics": data["statistics"],
    }


@pytest.fixture(scope="module")
def dask_client() -> Iterator[object]:
    distributed = pytest.importorskip("distributed", reason="the [dask] extra is not installed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_the_dask_recipe_on_a_local_cluster(dask_client: object, log_files: list[Path]) -> None:
    import dask.bag as db

    report = (
        db.read_text([str(path) for path in log_files], blocksize=None)
        .map_partitions(lambda lines: [check_lines(lines)])
        .fold(Report.merge, initial=Report())
        .compute()
    )
    assert _report_says(report) == _command_says(log_files)
    assert report.unreadable == 0 + 1 + 2 + 3


def test_the_dask_recipe_is_path_agnostic_memory_filesystem(log_files: list[Path]) -> None:
    distributed = pytest.importorskip("distributed", reason="the [dask] extra is not installed")
    import dask.bag as db
    import fsspec

    memory = fsspec.filesystem("memory")
    for path in log_files:
        memory.pipe(f"/logs/{path.name}", path.read_bytes())
    # memory:// lives in one process: the cluster's workers are threads of this one.
    with (
        distributed.LocalCluster(
            n_workers=2,
            processes=False,
            dashboard_address="127.0.0.1:0",  # in-process: no sockets for the workers
        ) as cluster,
        distributed.Client(cluster),
    ):
        report = (
            db.read_text("memory://logs/*", blocksize=None)
            .map_partitions(lambda lines: [check_lines(lines)])
            .fold(Report.merge, initial=Report())
            .compute()
        )
    assert _report_says(report) == _command_says(log_files)


def _java_home() -> str | None:
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    java = shutil.which("java")
    return str(Path(java).resolve().parent.parent) if java else None


def test_the_spark_recipe_in_local_mode(log_files: list[Path]) -> None:
    pytest.importorskip("pyspark", reason="the [spark] extra is not installed")
    if _java_home() is None or subprocess.run(["java", "-version"], capture_output=True, check=False).returncode:
        pytest.skip("no JDK on this machine: Spark needs one (17 works)")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("completion-validator-test")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    try:
        sc = spark.sparkContext
        report = (
            sc.textFile(",".join(str(path) for path in log_files))
            .mapPartitions(lambda lines: [check_lines(lines)])
            .treeReduce(Report.merge)
        )
    finally:
        spark.stop()
    assert _report_says(report) == _command_says(log_files)


def test_the_page_shows_both_recipes_with_file_names() -> None:
    page = (REPO / "docs" / "scale-out.md").read_text()
    assert ".map_partitions(check_partition)" in page
    assert ".fold(Report.merge, initial=Report())" in page
    assert ".mapPartitions(check_partition)" in page
    assert page.count("check_lines(") >= 4  # every call names its source
    assert page.count("source=") >= 3
