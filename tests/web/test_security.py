"""The signing secret that several web processes share (docs/deployment.md, "Settings every process needs")."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sparring.web.security import load_or_create_secret


def test_a_configured_secret_wins_and_no_file_is_written(tmp_path: Path) -> None:
    assert load_or_create_secret(tmp_path / "d", "configured-key") == "configured-key"
    assert not (tmp_path / "d").exists()


def test_the_generated_secret_is_kept_private_and_reused(tmp_path: Path) -> None:
    first = load_or_create_secret(tmp_path, None)
    assert len(first) >= 48
    assert load_or_create_secret(tmp_path, None) == first
    assert (tmp_path / "web-secret.key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["web-secret.key"]  # no temporary file left behind


def test_processes_starting_at_once_on_a_fresh_data_dir_agree_on_one_secret(tmp_path: Path) -> None:
    for round_ in range(20):
        data = tmp_path / str(round_)
        with ThreadPoolExecutor(8) as pool:
            secrets = set(pool.map(lambda d: load_or_create_secret(d, None), [data] * 8))
        assert len(secrets) == 1 and "" not in secrets
        assert [p.name for p in data.iterdir()] == ["web-secret.key"]
