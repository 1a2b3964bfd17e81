"""The playground's and the extension's files, checked without a browser."""

from __future__ import annotations

import json
import re
import tomllib

import pytest
from support.servers import PROJECT_ROOT

from api.app import PLAYGROUND_DIR

EXTENSION = PROJECT_ROOT / "extension"
SHARED_WITH_EXTENSION = ["realise.js", "app.css"]


@pytest.mark.parametrize("name", SHARED_WITH_EXTENSION)
def test_the_extension_ships_the_playgrounds_copy(name: str) -> None:
    # An extension may not load code from the server, so it carries a copy that must not drift.
    assert (EXTENSION / name).read_bytes() == (PLAYGROUND_DIR / name).read_bytes(), (
        f"extension/{name} differs from api/static/{name}; edit api/static/{name}, then: cp api/static/{name} "
        f"extension/{name}"
    )


def test_the_playground_is_served_at_the_root_and_the_api_keeps_its_routes(client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/app.js">' in page.text
    for asset, media_type in [
        ("/app.js", "text/javascript"),
        ("/realise.js", "text/javascript"),
        ("/app.css", "text/css"),
    ]:
        response = client.get(asset)
        assert response.status_code == 200 and response.headers["content-type"].startswith(media_type), asset

    assert client.get("/health").json() == {"status": "ok"}
    assert "/v1/rewrites" in client.get("/schema/openapi.json").json()["paths"]
    assert client.post("/v1/evaluations", json={"objective": "Grow revenue"}).status_code == 200
    missing = client.get("/v1/nothing-here")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")


def test_a_wheel_ships_every_playground_file() -> None:
    package_data = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "api"
    ]
    api_dir = PLAYGROUND_DIR.parent
    shipped = {path for pattern in package_data for path in api_dir.glob(pattern)}
    on_disk = {path for path in PLAYGROUND_DIR.rglob("*") if path.is_file()}
    assert on_disk - shipped == set(), "add a package-data pattern for these to pyproject.toml"


def _manifest() -> dict:
    return json.loads((EXTENSION / "manifest.json").read_text())


def test_the_extension_asks_only_for_what_it_uses() -> None:
    manifest = _manifest()
    assert manifest["manifest_version"] == 3
    assert sorted(manifest["permissions"]) == ["contextMenus", "sidePanel", "storage"]
    assert "host_permissions" not in manifest  # hosts are optional, asked for the configured server only


def test_every_file_the_extension_names_exists_and_no_code_is_remote() -> None:
    manifest = _manifest()
    named = [
        manifest["background"]["service_worker"],
        manifest["side_panel"]["default_path"],
        manifest["options_ui"]["page"],
    ]
    pages = [EXTENSION / name for name in named if name.endswith(".html")]
    for page in pages:
        for reference in re.findall(r'(?:src|href)="([^"]+)"', page.read_text()):
            assert not re.match(r"(?:[a-z]+:)?//", reference), f"{page.name} loads {reference} from elsewhere"
            named.append(reference)
    for module in EXTENSION.glob("*.js"):
        named += re.findall(r'from "\./([^"]+)"', module.read_text())
    missing = [name for name in named if not (EXTENSION / name).is_file()]
    assert missing == []


def test_no_script_inserts_markup() -> None:
    # Model text must only ever become text nodes; these are the ways it could become HTML instead.
    scripts = [*PLAYGROUND_DIR.glob("*.js"), *EXTENSION.glob("*.js")]
    offenders = [
        f"{script.relative_to(PROJECT_ROOT)}: {match}"
        for script in scripts
        for match in re.findall(
            r"\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|createContextualFragment", script.read_text()
        )
    ]
    assert offenders == []
