"""SARIF's versionControlProvenance is valid whatever `origin` is: a network URL, a local
path (absolute or relative), or no remote at all. Checked with the SARIF Multitool."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from goescape.cli import main
from goescape.sarif import repository_uri

from tests.gitrepo import GitRepo
from tests.gofixtures import CLEAN, ESCAPING
from tests.hooks.test_sarif_validate import multitool_problems, schema_errors


@pytest.mark.parametrize(
    ("remote", "uri"),
    [
        ("", "file:///home/me/geom"),  # no remote: the repository itself
        ("/srv/git/geom.git", "file:///srv/git/geom.git"),
        ("../upstream", "file:///home/me/upstream"),  # relative to the repository root
        ("./mirror with space", "file:///home/me/geom/mirror%20with%20space"),
        ("file:///srv/git/geom.git", "file:///srv/git/geom.git"),
        ("https://github.com/acme/geom.git", "https://github.com/acme/geom"),
        ("https://x-access-token:ghs_secret@github.com/acme/geom", "https://github.com/acme/geom"),
        ("git@github.com:acme/geom.git", "https://github.com/acme/geom"),
        ("github.com:acme/geom", "https://github.com/acme/geom"),
        ("ssh://git@git.example.com:2222/acme/geom.git", "https://git.example.com/acme/geom"),
        ("git://git.example.com/geom", "https://git.example.com/geom"),
    ],
)
def test_repository_uri(remote: str, uri: str) -> None:
    assert repository_uri(remote, "/home/me/geom") == uri


REMOTES = {
    "absolute": "{tmp}/upstream.git",
    "relative": "../upstream.git",
    "none": "",
    "scp": "git@github.com:acme/geom.git",
    "token": "https://user:ghs_secret@github.com/acme/geom.git",
}


@pytest.mark.slow
def test_sarif_is_valid_for_any_remote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOESCAPE_CACHE_DIR", str(tmp_path / "cache"))
    logs = tmp_path / "logs"
    uris = {}
    for name, remote in REMOTES.items():
        repo = GitRepo(tmp_path / name / "geom")
        repo.go_module()
        repo.write("geom/point.go", CLEAN)
        repo.commit("base")
        if remote:
            repo.git("remote", "add", "origin", remote.format(tmp=tmp_path))
        repo.write("geom/point.go", ESCAPING)
        sarif = logs / f"{name}.sarif"
        assert main(["-C", str(repo.path), "--sarif", str(sarif)]) == 1
        data = json.loads(sarif.read_text(encoding="utf-8"))
        assert schema_errors(data) == []
        (provenance,) = data["runs"][0]["versionControlProvenance"]
        assert provenance["revisionId"] == repo.head()
        assert provenance["branch"] == "main"
        uris[name] = provenance["repositoryUri"]
    capsys.readouterr()
    assert uris == {
        "absolute": (tmp_path / "upstream.git").as_uri(),
        "relative": (tmp_path / "relative" / "upstream.git").as_uri(),
        "none": (tmp_path / "none" / "geom").resolve().as_uri(),
        "scp": "https://github.com/acme/geom",
        "token": "https://github.com/acme/geom",
    }
    assert multitool_problems(logs, tmp_path / "validation.sarif") == []


@pytest.mark.slow
def test_the_multitool_refuses_a_bare_path(tmp_path: Path) -> None:
    """What goescape wrote before for a local `origin` (a path, not a URI) is an error the
    check above would catch; the file URI it writes now is not."""

    def absolute_uri_errors(uri: str) -> list[str]:
        log = {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {"driver": {"name": "goescape", "rules": []}},
                    "results": [],
                    "versionControlProvenance": [{"repositoryUri": uri}],
                }
            ],
        }
        name = f"{len(list(tmp_path.iterdir()))}"
        (tmp_path / f"{name}.sarif").write_text(json.dumps(log), encoding="utf-8")
        found = multitool_problems(tmp_path / f"{name}.sarif", tmp_path / f"{name}.out")
        return [p for p in found if p.startswith("SARIF1005")]  # URIs must be absolute

    assert "repositoryUri" in " ".join(absolute_uri_errors("/srv/git/upstream"))
    assert absolute_uri_errors(repository_uri("/srv/git/upstream", "/home/me/geom")) == []
