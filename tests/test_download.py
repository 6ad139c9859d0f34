"""Downloads (ML-1M and the larger releases) from a local HTTP server: only 127.0.0.1."""

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

from zeerec.download import (
    DATASETS,
    ML1M_FILES,
    DownloadError,
    fetch,
    fetch_ml1m,
    fetch_release,
    safe_extract,
)

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


# --------------------------------------------------------------------------- larger releases

RELEASE_CONTENTS = {
    "ratings.csv": b"userId,movieId,rating,timestamp\n1,1,4.5,1147880044\n2,1,3.0,1147868817\n",
    "movies.csv": b'movieId,title,genres\n1,"Story, The (1995)",Comedy\n',
    "tags.csv": b"userId,movieId,tag,timestamp\n1,1,funny,1147880044\n",
}
RELEASE_HINT = "ratings.csv and movies.csv (from ml-25m.zip)"


def serve_release(root: Path, name: str = "ml-25m", md5_text: str | None = None, **extra) -> str:
    """<name>.zip in GroupLens's layout and the <name>.zip.md5 GroupLens publishes beside it."""
    members = {f"{name}/{n}": data for n, data in RELEASE_CONTENTS.items()}
    members[f"{name}/genome-scores.csv"] = b"movieId,tagId,relevance\n"  # not extracted
    members.update(extra)
    md5 = make_zip(root / f"{name}.zip", members)
    text = md5_text if md5_text is not None else f"MD5 ({name}.zip) = {md5}\n"
    (root / f"{name}.zip.md5").write_text(text)
    return md5


def test_release_is_checked_extracted_into_its_folder_and_loads(server, work, capsys) -> None:
    from zeerec import data as zd

    base, root = server
    serve_release(root)
    folder = fetch("ml-25m", work / "raw", base_url=base, progress=True)
    assert folder == work / "raw" / "ml-25m"
    assert files_under(work) == sorted(folder / n for n in RELEASE_CONTENTS)  # no genome
    assert "ml-25m.zip" in capsys.readouterr().err  # the progress bar
    ml = zd.load(work / "raw")
    assert ml.rating_scale == zd.HALF_STARS and len(ml.ratings) == 2
    assert ml.movies["title"].tolist() == ["Story, The (1995)"]
    (root / "ml-25m.zip").unlink()  # already there: nothing is fetched
    assert fetch_release("ml-25m", work / "raw", base_url=base, progress=False) == folder


def test_release_md5_in_either_layout(server, work) -> None:
    base, root = server
    md5 = serve_release(root, "ml-latest-small", md5_text="")
    (root / "ml-latest-small.zip.md5").write_text(f"{md5.upper()}  ml-latest-small.zip\n")
    folder = fetch_release("ml-latest-small", work / "raw", base_url=base, progress=False)
    assert (folder / "ratings.csv").is_file()


def test_release_checksum_mismatch_leaves_nothing(server, work) -> None:
    base, root = server
    serve_release(root, md5_text=f"MD5 (ml-25m.zip) = {'0' * 32}\n")
    with pytest.raises(DownloadError, match="checksum mismatch") as info:
        fetch_release("ml-25m", work / "raw", base_url=base, progress=False)
    assert RELEASE_HINT in str(info.value) and "make report DATA=sample" in str(info.value)
    assert files_under(work) == []


def test_release_without_published_checksum_is_refused(server, work) -> None:
    base, root = server
    serve_release(root)
    (root / "ml-25m.zip.md5").unlink()
    with pytest.raises(DownloadError, match=r"checksum GroupLens publishes.*404"):
        fetch_release("ml-25m", work / "raw", base_url=base, progress=False)
    (root / "ml-25m.zip.md5").write_text("<html>moved</html>")
    with pytest.raises(DownloadError, match="no MD5 checksum"):
        fetch_release("ml-25m", work / "raw", base_url=base, progress=False)
    assert files_under(work) == []


def test_release_with_path_traversal_is_refused(server, work, tmp_path) -> None:
    base, root = server
    serve_release(root, **{"ml-25m/../../evil.csv": b"pwned\n"})
    with pytest.raises(DownloadError, match="escapes"):
        fetch_release("ml-25m", work / "raw", base_url=base, progress=False)
    assert files_under(work) == []
    assert not any(p.name == "evil.csv" for p in tmp_path.rglob("*"))


def test_ml10m_archive_layout(server, work) -> None:
    from zeerec import data as zd

    base, root = server
    members = {
        "ml-10M100K/ratings.dat": b"1::1::4.5::838985046\n",
        "ml-10M100K/movies.dat": b"1::Story, The (1995)::Comedy\n",
    }
    md5 = make_zip(root / "ml-10m.zip", members)
    (root / "ml-10m.zip.md5").write_text(f"MD5 (ml-10m.zip) = {md5}\n")
    folder = fetch("ml-10m", work / "raw", base_url=base, progress=False)
    assert sorted(p.name for p in folder.iterdir()) == ["movies.dat", "ratings.dat"]
    assert zd.load(work / "raw").ratings["rating"].tolist() == [4.5]


def test_unknown_dataset_names_the_choices(work) -> None:
    with pytest.raises(ValueError, match="ml-25m"):
        fetch("ml-5m", work / "raw")
    assert set(DATASETS) == {"ml-1m", "ml-10m", "ml-20m", "ml-25m", "ml-32m", "ml-latest-small"}
