"""clubsite.localrun, what `make run` runs: its environment and its credentials frame.
(.ci/smoke_make_run.py runs the whole of `make run` under a pseudo-terminal.)"""

from clubsite.localenv import read_env_file
from clubsite.localrun import Runner, credentials_lines, frame, procfile_read


def prepared(tmp_path, **variables) -> dict[str, str]:
    runner = Runner({"VAR_DIR": str(tmp_path), "PATH": "/usr/bin", **variables})
    runner.prepare_environment()
    return runner.environ


def test_first_run_writes_local_env_and_reads_it(tmp_path):
    environ = prepared(tmp_path)

    written = read_env_file(tmp_path / "local.env")
    assert written["DEBUG"] == "true" and len(written["SECRET_KEY"]) >= 50
    assert (environ["DEBUG"], environ["SECRET_KEY"]) == ("true", written["SECRET_KEY"])
    assert (environ["PORT"], environ["HOST"], environ["SITE_URL"]) == (
        "8000",
        "127.0.0.1",
        "http://127.0.0.1:8000",
    )
    assert environ["WORKER_LOG_LEVEL"] == "WARNING"
    assert "ALLOWED_HOSTS" not in environ


def test_first_run_keeps_the_earlier_development_key(tmp_path):
    (tmp_path / "dev-secret-key").write_text("an-older-checkout-key\n")

    environ = prepared(tmp_path)

    assert environ["SECRET_KEY"] == "an-older-checkout-key"


def test_port_host_and_verbose(tmp_path):
    environ = prepared(tmp_path, PORT="8200", HOST="0.0.0.0", VERBOSE="1")

    assert environ["SITE_URL"] == "http://127.0.0.1:8200"
    assert environ["ALLOWED_HOSTS"] == "*"
    assert environ["WORKER_LOG_LEVEL"] == "INFO"


def test_variables_set_by_the_person_win(tmp_path):
    environ = prepared(tmp_path, SITE_URL="https://club.test", ALLOWED_HOSTS="club.test", HOST="0.0.0.0")

    assert (environ["SITE_URL"], environ["ALLOWED_HOSTS"]) == ("https://club.test", "club.test")


def test_procfile_uses_port_host_and_the_log_level():
    processes = procfile_read()

    assert list(processes) == ["web", "worker", "beat"]
    assert "runserver ${HOST:-127.0.0.1}:${PORT:-8000}" in processes["web"]
    assert "--loglevel=${WORKER_LOG_LEVEL:-WARNING}" in processes["worker"]
    assert "--loglevel=${WORKER_LOG_LEVEL:-WARNING}" in processes["beat"]


def test_frame_gives_the_address_and_the_new_password():
    lines = credentials_lines(
        url="http://127.0.0.1:8200", host="127.0.0.1", account={"username": "organiser", "password": "s3cret"}
    )

    text = frame(lines)

    assert "| clubsite is running: http://127.0.0.1:8200/" in text
    assert "|     password: s3cret " in text
    rows = text.strip().splitlines()
    assert rows[0] == rows[-1] and set(rows[0]) == {"+", "="}
    assert {len(row) for row in rows} == {len(rows[0])}


def test_frame_on_a_later_run_says_how_to_set_a_new_password():
    lines = credentials_lines(
        url="http://127.0.0.1:8000", host="0.0.0.0", account={"username": "organiser", "password": None}
    )

    text = "\n".join(lines)
    assert "as 'organiser': the account exists." in text
    assert "`make password` sets a new one and prints it." in text
    assert "(listening on 0.0.0.0: other machines use this machine's name or address)" in text
    assert "password:" not in text
