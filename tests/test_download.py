"""fetch_ml1m against a local HTTP server: never touches the internet, only 127.0.0.1."""

from __future__ import annotations

import functools
import hashlib
import http.server
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from zeerec.download import ML1M_FILES, DownloadError, fetch_ml1m, safe_extract

CONTENTS = {
    "movies.dat": b"1::Toy Story (1995)::Animation|Children's|Comedy\n",
    "ratings.dat": b"1::1::5::978300760\n",
    "users.dat": b"1::F::1::10::48067\n",
}
ALTERNATIVES = ("movies.dat, ratings.dat, users.dat", "zee-*.dat", "make report DATA=sample")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local file server; yields its base URL and the folder it serves."""
    root = tmp_path / "srv"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The folder holding dest: temp files land here, so it must end up clean."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def make_zip(path: Path, members: dict[str, bytes]) -> str:
    """Write a zip with exactly these member names; return its MD5."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return hashlib.md5(path.read_bytes()).hexdigest()


def ml1m_layout(**extra: bytes) -> dict[str, bytes]:
    members = {f"ml-1m/{name}": data for name, data in CONTENTS.items()}
    members["ml-1m/README"] = b"readme\n"
    members.update(extra)
    return members


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def assert_alternatives(message: str, dest: Path) -> None:
    for text in ALTERNATIVES:
        assert text in message
    assert str(dest) in message


def test_good_archive_is_extracted_flat_and_second_call_is_a_no_op(server, work) -> None:
    base, root = server
    md5 = make_zip(root / "ml-1m.zip", ml1m_layout())
    dest = work / "raw"

    result = fetch_ml1m(dest, url=f"{base}/ml-1m.zip", md5=md5, progress=False)

    assert result == dest
    assert files_under(work) == sorted(dest / name for name in ML1M_FILES)
    for name, data in CONTENTS.items():
        assert (dest / name).read_bytes() == data
    # Already present: the (now broken) URL is never contacted.
    assert fetch_ml1m(dest, url=f"{base}/gone.zip", md5="0" * 32, progress=False) == dest


def test_progress_bar_shows_when_length_is_known(server, work, capsys) -> None:
    base, root = server
    md5 = make_zip(root / "ml-1m.zip", ml1m_layout())
    fetch_ml1m(work / "raw", url=f"{base}/ml-1m.zip", md5=md5, progress=True)
    assert "ml-1m.zip" in capsys.readouterr().err


def test_wrong_checksum_leaves_nothing_behind(server, work) -> None:
    base, root = server
    md5 = make_zip(root / "ml-1m.zip", ml1m_layout())
    dest = work / "raw"
    wrong = "0" * 32

    with pytest.raises(DownloadError, match="checksum") as info:
        fetch_ml1m(dest, url=f"{base}/ml-1m.zip", md5=wrong, progress=False)

    assert wrong in str(info.value) and md5 in str(info.value)
    assert_alternatives(str(info.value), dest)
    assert files_under(work) == []


def test_http_404_names_status_and_both_alternatives(server, work) -> None:
    base, _ = server
    dest = work / "raw"
    url = f"{base}/missing.zip"

    with pytest.raises(DownloadError) as info:
        fetch_ml1m(dest, url=url, md5="0" * 32, progress=False)

    message = str(info.value)
    assert "404" in message and url in message
    assert_alternatives(message, dest)
    assert files_under(work) == []


@pytest.mark.parametrize(
    ("member", "problem"),
    [
        ("../evil.dat", "escapes"),
        ("ml-1m/../../evil.dat", "escapes"),
        ("/tmp/evil.dat", "absolute"),
        ("C:/evil.dat", "absolute"),
    ],
)
def test_unsafe_member_is_refused_before_anything_is_written(
    server, work, tmp_path, member, problem
) -> None:
    base, root = server
    md5 = make_zip(root / "ml-1m.zip", ml1m_layout(**{member: b"pwned\n"}))
    dest = work / "raw"

    with pytest.raises(DownloadError, match=problem) as info:
        fetch_ml1m(dest, url=f"{base}/ml-1m.zip", md5=md5, progress=False)

    assert repr(member) in str(info.value)
    assert_alternatives(str(info.value), dest)
    assert files_under(work) == []
    assert not any(p.name == "evil.dat" for p in tmp_path.rglob("*"))


def test_missing_member_is_reported(server, work) -> None:
    base, root = server
    members = ml1m_layout()
    del members["ml-1m/users.dat"]
    md5 = make_zip(root / "ml-1m.zip", members)
    dest = work / "raw"

    with pytest.raises(DownloadError, match="users.dat is missing") as info:
        fetch_ml1m(dest, url=f"{base}/ml-1m.zip", md5=md5, progress=False)

    assert_alternatives(str(info.value), dest)
    assert files_under(work) == []


def test_body_that_is_not_a_zip_is_reported(server, work) -> None:
    base, root = server
    body = b"<html>Service temporarily unavailable</html>\n"
    (root / "ml-1m.zip").write_bytes(body)
    dest = work / "raw"

    with pytest.raises(DownloadError, match="not a zip") as info:
        fetch_ml1m(dest, url=f"{base}/ml-1m.zip", md5=hashlib.md5(body).hexdigest(), progress=False)

    assert_alternatives(str(info.value), dest)
    assert files_under(work) == []


def test_unreachable_server_fails_fast(work) -> None:
    with socket.socket() as probe:  # find a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dest = work / "raw"
    url = f"http://127.0.0.1:{port}/ml-1m.zip"

    start = time.monotonic()
    with pytest.raises(DownloadError) as info:
        fetch_ml1m(dest, url=url, md5="0" * 32, progress=False)
    elapsed = time.monotonic() - start

    assert elapsed < 15
    assert url in str(info.value) and "refused" in str(info.value).lower()
    assert_alternatives(str(info.value), dest)
    assert files_under(work) == []


def test_silent_server_times_out(work) -> None:
    with socket.socket() as listener:  # accepts connections (backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/ml-1m.zip"
        start = time.monotonic()
        with pytest.raises(DownloadError, match="0.5 s"):
            fetch_ml1m(work / "raw", url=url, md5="0" * 32, timeout=0.5, progress=False)
        assert time.monotonic() - start < 5
    assert files_under(work) == []


def test_files_already_present_under_zee_names_skip_the_download(work) -> None:
    dest = work / "raw"
    dest.mkdir()
    for name in ML1M_FILES:
        (dest / f"zee-{name}").write_bytes(b"x\n")
    # A URL that could never work: proves nothing is fetched.
    url = "http://127.0.0.1:9/never.zip"
    assert fetch_ml1m(dest, url=url, md5="0" * 32, progress=False) == dest
    assert sorted(p.name for p in dest.iterdir()) == sorted(f"zee-{n}" for n in ML1M_FILES)


def test_safe_extract_accepts_flat_archives(tmp_path) -> None:
    archive = tmp_path / "flat.zip"
    make_zip(archive, dict(CONTENTS))
    dest = tmp_path / "out"
    paths = safe_extract(archive, dest)
    assert paths == [dest / name for name in ML1M_FILES]
    assert [p.read_bytes() for p in paths] == [CONTENTS[name] for name in ML1M_FILES]
    assert files_under(tmp_path) == sorted([archive, *paths])
