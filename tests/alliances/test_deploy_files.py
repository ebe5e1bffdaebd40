"""The deployment files: docker-compose.yml, the Dockerfile and the image's entrypoint."""

import fnmatch
import json
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_five_services(compose):
    assert set(compose["services"]) == {"postgres", "redis", "web", "worker", "beat"}


def test_compose_services_images_and_healthchecks(compose):
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["image"] == "redis:7"
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in services["postgres"]["volumes"])


def test_app_services_share_one_image_and_pick_a_role(compose):
    services = compose["services"]
    for name in ("web", "worker", "beat"):
        assert services[name]["build"] == "."
        assert services[name]["command"] == [name]
        assert any(volume.endswith(":/data/media") for volume in services[name]["volumes"]), name
        env = services[name]["environment"]
        for variable in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_URL", "MEDIA_ROOT"):
            assert variable in env, (name, variable)
        assert env["DEBUG"] == "false"
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        assert env["MEDIA_ROOT"] == "/data/media"


def test_beat_runs_exactly_once(compose):
    assert compose["services"]["beat"]["deploy"]["replicas"] == 1
    assert "exactly one beat" in (ROOT / "docker-compose.yml").read_text().lower()


def test_web_healthcheck_calls_healthz_and_allows_its_host(compose):
    web = compose["services"]["web"]
    check = " ".join(web["healthcheck"]["test"])
    # Liveness: a Redis outage must not mark web unhealthy (the site works without the broker).
    assert "/healthz" in check and "/readyz" not in check and "urllib" in check
    assert "127.0.0.1:8000" in check
    assert "127.0.0.1" in web["environment"]["ALLOWED_HOSTS"].split(",")
    assert "8000:8000" in web["ports"]


def test_web_waits_for_healthy_services(compose):
    services = compose["services"]
    for dependency in ("postgres", "redis"):
        assert services["web"]["depends_on"][dependency]["condition"] == "service_healthy"
    for name in ("worker", "beat"):  # after web, which has applied the migrations
        assert services[name]["depends_on"]["web"]["condition"] == "service_healthy"


def dockerfile_instructions():
    """The Dockerfile as Docker reads it: ``(INSTRUCTION, arguments)``, continuations joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            instructions.append((instruction.upper(), " ".join(arguments.split())))
    return instructions


def test_dockerfile_installs_the_lock_before_copying_the_code():
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.12-slim-bookworm")
    steps = [f"{instruction} {arguments}" for instruction, arguments in instructions]
    copy_requirements = steps.index("COPY requirements/ requirements/")
    install = steps.index("RUN pip install --require-hashes -r requirements/base.txt")
    copy_code = steps.index("COPY . .")
    # The lock alone first: a change of code does not reinstall the requirements (the layer is cached).
    assert copy_requirements < install < copy_code
    apt = next(step for step in steps if step.startswith("RUN apt-get"))
    assert "libpango-1.0-0" in apt and "rm -rf /var/lib/apt/lists/*" in apt
    collectstatic = next(i for i, step in enumerate(steps) if "manage.py collectstatic" in step)
    assert collectstatic > copy_code


def test_image_runs_the_entrypoint_as_an_unprivileged_user():
    instructions = dockerfile_instructions()
    users = [arguments for instruction, arguments in instructions if instruction == "USER"]
    assert users and users[-1] not in ("root", "0")
    workdir = [arguments for instruction, arguments in instructions if instruction == "WORKDIR"][-1]
    entrypoint = [json.loads(arguments) for instruction, arguments in instructions if instruction == "ENTRYPOINT"]
    cmd = [json.loads(arguments) for instruction, arguments in instructions if instruction == "CMD"]
    # Exec form (a JSON list): the entrypoint is PID 1 and gets docker's signals; it is the repository's script.
    assert entrypoint == [[f"{workdir}/docker/entrypoint.sh"]]
    assert (ROOT / Path(entrypoint[0][0]).relative_to(workdir)) == ENTRYPOINT
    assert cmd == [["web"]]


def build_context():
    """The files `docker build .` sends, by the rules of .dockerignore (its patterns here: names and ``**/``)."""
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    patterns = [pattern for pattern in patterns if pattern and not pattern.startswith("#")]

    def ignored(relative):
        parts = relative.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        for pattern in patterns:
            if pattern.startswith("**/"):
                if any(fnmatch.fnmatch(part, pattern[3:]) for part in parts):
                    return True
            elif any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes):
                return True
        return False

    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return {relative for relative in files if not ignored(relative)}, ignored


def test_build_context_has_what_the_image_needs_and_no_local_state():
    context, ignored = build_context()
    for needed in ("manage.py", "requirements/base.txt", "docker/entrypoint.sh", "alliances/settings.py"):
        assert needed in context, needed
    assert not any(relative.startswith(("tests/", ".ci/", "bench/")) for relative in context)
    for local_state in (".git/config", ".venv/bin/python", "data/db.sqlite3", ".env", ".mypy_cache/x.json"):
        assert ignored(local_state), local_state


def test_entrypoint_is_executable():
    # That it migrates before gunicorn starts, and never starts it when migrating fails: the tests below run it.
    assert ENTRYPOINT.stat().st_mode & stat.S_IXUSR


# --- The entrypoint run for real, with stub programs recording how they are called --------------


@pytest.fixture
def stubs(tmp_path):
    """A PATH where python, gunicorn and celery are stubs that log "name pid args" to a file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for name in ("python", "gunicorn", "celery", "true-command"):
        script = bin_dir / name
        exit_variable = "STUB_EXIT_" + name.upper().replace("-", "_")  # lets a test make the stub fail
        script.write_text(f'#!/bin/sh\necho "{name} $$ $*" >> "{log}"\nexit "${{{exit_variable}:-0}}"\n')
        script.chmod(0o755)
    return bin_dir, log


def run_entrypoint(stubs, *args, **env):
    bin_dir, log = stubs
    environment = {"PATH": f"{bin_dir}:/usr/bin:/bin", **env}
    process = subprocess.Popen(["/bin/sh", str(ENTRYPOINT), *args], env=environment, cwd=ROOT)
    returncode = process.wait(timeout=30)
    calls = log.read_text().splitlines() if log.exists() else []
    return process.pid, returncode, [call.split(" ", 2) for call in calls]


def test_web_role_migrates_then_execs_gunicorn(stubs):
    pid, returncode, calls = run_entrypoint(stubs, "web")
    assert returncode == 0
    assert [call[0] for call in calls] == ["python", "gunicorn"]
    assert calls[0][2] == "manage.py migrate --noinput"
    assert calls[1][2] == "alliances.wsgi:application --bind 0.0.0.0:8000 --workers 2 --access-logfile -"
    # exec: gunicorn replaces the entrypoint process (same pid), so it receives docker's signals.
    assert int(calls[1][1]) == pid
    assert int(calls[0][1]) != pid


def test_web_is_the_default_role_and_honours_web_concurrency(stubs):
    _, returncode, calls = run_entrypoint(stubs, WEB_CONCURRENCY="5")
    assert returncode == 0
    assert [call[0] for call in calls] == ["python", "gunicorn"]
    assert "--workers 5" in calls[1][2]


def test_web_does_not_start_when_migrations_fail(stubs):
    _, returncode, calls = run_entrypoint(stubs, "web", STUB_EXIT_PYTHON="3")
    assert returncode != 0
    assert [call[0] for call in calls] == ["python"]


def test_worker_role(stubs):
    pid, returncode, calls = run_entrypoint(stubs, "worker", "--concurrency", "4")
    assert returncode == 0
    assert len(calls) == 1
    name, call_pid, args = calls[0]
    assert (name, int(call_pid)) == ("celery", pid)
    assert args.startswith("-A alliances worker")
    assert args.endswith("--concurrency 4")


def test_beat_role_uses_the_database_scheduler(stubs):
    pid, returncode, calls = run_entrypoint(stubs, "beat")
    assert returncode == 0
    assert len(calls) == 1
    name, call_pid, args = calls[0]
    assert (name, int(call_pid)) == ("celery", pid)
    assert args.startswith("-A alliances beat --scheduler django_celery_beat.schedulers:DatabaseScheduler")


def test_other_arguments_run_as_a_command(stubs):
    _, returncode, calls = run_entrypoint(stubs, "true-command", "a", "b")
    assert returncode == 0
    assert [(call[0], call[2]) for call in calls] == [("true-command", "a b")]


def test_entrypoint_is_valid_posix_shell():
    result = subprocess.run(["/bin/sh", "-n", str(ENTRYPOINT)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert ENTRYPOINT.read_text().startswith("#!/bin/sh\n")


def test_compose_and_ci_say_what_each_health_url_is_for():
    compose_text = (ROOT / "docker-compose.yml").read_text()
    assert "/healthz is liveness" in compose_text and "/readyz is readiness" in compose_text
    assert "load balancer" in compose_text
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'get("/healthz") == {"status": "ok", "database": "ok"}' in ci
    assert 'get("/readyz") == {"status": "ok", "database": "ok", "broker": "ok"}' in ci


# --- The locks: every package pinned with its hashes, installed with --require-hashes ------------


def _locked(name):
    """``{package: (version, hashes)}`` of a lock under requirements/, read as pip reads it (continuations joined)."""
    text = (ROOT / "requirements" / name).read_text().replace("\\\n", " ")
    locked = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, *options = line.split(" --hash=")
        spec = requirement.split(";", 1)[0].strip()
        assert "==" in spec, f"{name}: {spec!r} is not pinned"
        package, version = spec.split("==")
        locked[package.lower()] = (version, {option.strip() for option in options})
    return locked


@pytest.mark.parametrize("name", ["base.txt", "test.txt"])
def test_locks_pin_every_package_with_its_hashes(name):
    locked = _locked(name)
    assert "django" in locked and "weasyprint" in locked
    for package, (_version, hashes) in locked.items():
        assert hashes and all(h.startswith("sha256:") for h in hashes), f"{name}: {package} has no hash"


def test_the_test_lock_agrees_with_the_base_lock():
    base, test = _locked("base.txt"), _locked("test.txt")
    assert set(base) <= set(test)
    for package, (version, _hashes) in base.items():
        assert test[package][0] == version, package
    for tool in ("import-linter", "mypy", "django-stubs", "xenon", "radon", "uv"):
        assert tool in test, tool


def test_every_install_requires_the_hashes():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes -r requirements/base.txt" in dockerfile
    makefile = (ROOT / "Makefile").read_text()
    assert "install --require-hashes -r requirements/base.txt" in makefile
    assert "install --require-hashes -r requirements/test.txt" in makefile
