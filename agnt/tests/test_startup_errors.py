"""Start-up problems a newcomer can cause end in one clear line, not a traceback."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from agnt.env import ConfigError, read_dotenv

ROOT = Path(__file__).resolve().parents[2]


def run(args, env_file: Path, **extra_env):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "PORT", "AGNT_TESTING", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(AGNT_DOTENV=str(env_file), **extra_env)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_read_dotenv_names_the_broken_line(tmp_path):
    path = tmp_path / ".env"
    path.write_text("DEBUG=true\nthis line is broken\n")
    with pytest.raises(ConfigError, match="line 2"):
        read_dotenv(path)


def test_make_run_reports_a_broken_env_file_in_one_line(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=true\nSECRET_KEY\n")
    result = run(["-m", "agnt.devrun"], env_file)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "line 2" in result.stderr and "Traceback" not in result.stderr


def test_make_run_reports_a_busy_port_in_one_line(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=true\n")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run(["-m", "agnt.devrun"], env_file, PORT=str(port))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert f"port {port}" in result.stderr and "already in use" in result.stderr


def test_manage_py_names_a_missing_secret_key_and_the_fix(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=false\n")
    result = run(["manage.py", "check"], env_file)
    assert result.returncode == 2
    assert "SECRET_KEY is not set" in result.stderr and "Traceback" not in result.stderr


def test_an_invalid_value_names_the_variable(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=maybe\n")
    result = run(["manage.py", "check"], env_file)
    assert result.returncode == 2
    assert "DEBUG='maybe' is not a boolean" in result.stderr
