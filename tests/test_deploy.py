"""The replicas recipe works end to end: deploy/Dockerfile's entry command run directly (3 replicas behind nginx on
loopback), students from distinct loopback addresses, a CSV upload and a CSV download through nginx.

bench/replicas.py does the driving; this is its short run (4 students, each runs the home page, two of them fit a
line to an uploaded CSV and download the trajectory). About 45 s on a busy 2-core machine: 3 servers start.
"""

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NGINX = "/usr/sbin/nginx"

if not os.path.exists(NGINX):
    pytest.skip("no nginx at /usr/sbin/nginx: the replicas test is skipped", allow_module_level=True)


def _replicas_bench():
    """bench/replicas.py as a module (bench/ is not a package)."""
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("descent_bench_replicas", ROOT / "bench" / "replicas.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report():
    return _replicas_bench().run(replicas=3, students=4, seconds=0, uploaders=2)


def test_sessions_spread_over_at_least_two_replicas(report):
    assert report.replicas_used >= 2, dict(report.sessions)


def test_no_request_or_rerun_failed(report):
    assert report.errors == []


def test_every_request_of_a_browser_reached_one_replica(report):
    assert report.split_browsers == 0
    assert sum(report.sessions.values()) == 4 + report.extra_students  # every student's websocket went through


def test_csv_upload_is_fitted_and_its_trajectory_downloads_through_nginx(report):
    assert (report.uploads, report.downloads) == (2, 2)
