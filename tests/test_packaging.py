"""The Docker image installs the project non-editable (`pip install .`): everything the app
reads at run time must be inside the wheel, and the Dockerfile must copy every package."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    return zipfile.ZipFile(next(out.glob("realise-*.whl")))


def test_wheel_carries_runtime_data(wheel):
    names = set(wheel.namelist())
    for template in (ROOT / "prompts" / "templates").glob("*.j2"):
        assert f"prompts/templates/{template.name}" in names
    for static in (ROOT / "api" / "static").glob("*") if (ROOT / "api" / "static").exists() else []:
        assert f"api/static/{static.name}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "realise = api.cli:main" in wheel.read(entry_points).decode()


def test_wheel_carries_no_test_doubles_or_benches(wheel):
    """The mock model and the bench helpers are for this checkout's tests, not for users."""
    top_level = {name.split("/")[0] for name in wheel.namelist() if not name.startswith("realise-")}
    assert top_level == {"api", "prompts", "evaluators", "rewriter"}
    assert not [name for name in wheel.namelist() if "mock" in name.rsplit("/", 1)[-1]]


def test_dockerfile_copies_every_package_and_installs_like_make():
    dockerfile = (ROOT / "Dockerfile").read_text()
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    for package in {p.rstrip("*") for p in packages}:
        assert re.search(rf"^COPY {package} \./{package}$", dockerfile, re.MULTILINE), package
    assert "pip install --no-cache-dir ." in dockerfile
    assert re.search(r"^USER (?!root)", dockerfile, re.MULTILINE)
    assert "HEALTHCHECK" in dockerfile and "/health" in dockerfile
    assert 'CMD ["realise", "serve", "--host", "0.0.0.0"' in dockerfile
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet -e '.[test]'" in makefile  # same project install, plus test extras
