"""The Docker image installs the project non-editable (`pip install .`): everything the app
reads at run time must be inside the wheel, and the Dockerfile must copy every package."""

from __future__ import annotations

import re
import shutil
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
        check=True,
        capture_output=True,
        timeout=300,
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


def _build_stage(dockerfile: str) -> str:
    """From the first FROM to the second: the stage that builds the wheel."""
    return dockerfile.split("\nFROM ")[1]


def test_dockerfile_builds_the_compiled_wheel_and_installs_like_make():
    dockerfile = (ROOT / "Dockerfile").read_text()
    build = _build_stage(dockerfile)
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    for package in {p.rstrip("*") for p in packages}:
        assert re.search(rf"^COPY {package} \./{package}$", build, re.MULTILINE), package
    assert "REALISE_MYPYC=1 python -m pip wheel --no-cache-dir --no-deps -w /wheels ." in build
    assert "COPY --from=build /wheels /wheels" in dockerfile
    assert "pip install --no-cache-dir /wheels/*.whl" in dockerfile
    assert re.search(r"^USER (?!root)", dockerfile, re.MULTILINE)
    assert "HEALTHCHECK" in dockerfile and "/health" in dockerfile
    assert 'CMD ["realise", "serve", "--host", "0.0.0.0"' in dockerfile
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet -e '.[test]'" in makefile  # same project install, plus test extras


def test_the_files_the_image_copies_are_enough_to_build(tmp_path):
    """No Docker engine here: the build stage's COPY lines are replayed into an empty
    directory and the wheel is built from it (pure Python; the compiled build is tested
    in tests/test_evaluators_compiled.py), so a file the build needs and the image lacks fails."""
    for sources, target in re.findall(
        r"^COPY (?!--)(.+) (\S+)$", _build_stage((ROOT / "Dockerfile").read_text()), re.M
    ):
        for source in sources.split():
            destination = tmp_path / target / source if target.endswith("/") else tmp_path / target
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, destination, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(ROOT / source, destination)
    out = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    names = zipfile.ZipFile(next(out.glob("realise-*.whl"))).namelist()
    assert any(name.endswith("licenses/LICENSE") for name in names)  # the licence ships with the image
