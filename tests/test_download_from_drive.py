"""download_from_drive.py: zips built here, gdown replaced at fetch(); no network."""
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import psutil
import pytest
import soundfile as sf

import download_from_drive as dfd
from conftest import dead_process, temp_name
from utils_io import _HOST, HelmitError

REPO = Path(__file__).resolve().parents[1]


def wav_bytes(seconds=0.1, sr=16000):
    buf = io.BytesIO()
    sf.write(buf, np.zeros(int(sr * seconds), dtype=np.float32), sr, format="WAV")
    return buf.getvalue()


def make_zip(path, entries, compression=zipfile.ZIP_DEFLATED):
    """entries: {name: bytes}, or {name: ("symlink", target)} for a symlink entry."""
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in entries.items():
            if isinstance(data, tuple):
                info = zipfile.ZipInfo(name)
                info.external_attr = 0o120777 << 16  # S_IFLNK: how `zip --symlinks` stores a link
                zf.writestr(info, data[1])
            else:
                zf.writestr(name, data)
    return path


def tree(root):
    """Every file under root (hidden ones included) as relative posix paths."""
    return sorted(p.relative_to(root).as_posix() for p in Path(root).rglob("*") if p.is_file())


@pytest.fixture
def data_root(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def previous(data_root):
    """data/<class>/ from an earlier run, which a failed run must leave exactly as it was."""
    for cls in ("harmful", "safe"):
        (data_root / cls).mkdir(parents=True)
        (data_root / cls / "old.wav").write_bytes(b"old " + cls.encode())
    return data_root


def run(*argv):
    return dfd.main([str(a) for a in argv])


def test_local_zips_flat_and_wrapped(tmp_path, data_root, capsys):
    audio = wav_bytes()
    flat = make_zip(tmp_path / "harmful.zip", {"a.wav": audio, "b.FLAC": b"x", "readme.txt": b"hi"})
    wrapped = make_zip(tmp_path / "safe.zip", {"safe/": b"", "safe/x.wav": audio, "safe/sub/y.wav": audio,
                                               "__MACOSX/safe/._x.wav": b"finder junk"})
    assert run("--harmful_zip", flat, "--safe_zip", wrapped, "--data_root", data_root) == 0
    assert tree(data_root) == ["harmful/a.wav", "harmful/b.FLAC", "harmful/readme.txt",
                               "safe/sub/y.wav", "safe/x.wav"]  # wrapper dropped, no temp dirs left
    assert (data_root / "safe/x.wav").read_bytes() == audio
    out = capsys.readouterr().out
    assert "harmful:  3 files (2 audio) from local zip" in out
    assert "safe:     2 files (2 audio)" in out


def test_a_failed_first_download_leaves_no_data_root_and_a_repeat_is_told_to_overwrite(tmp_path, data_root,
                                                                                         capsys):
    with pytest.raises(HelmitError, match=r"harmfull\.zip: no such file \(--harmful_zip\)"):
        run("--harmful_zip", tmp_path / "harmfull.zip", "--data_root", data_root)
    (tmp_path / "zips").mkdir()
    with pytest.raises(HelmitError, match=r"zips: is a folder, not a zip file \(--harmful_zip\)"):
        run("--harmful_zip", tmp_path / "zips", "--data_root", data_root)
    (tmp_path / "safe.zip").write_text("not a zip")
    with pytest.raises(HelmitError, match=r"safe\.zip: "):
        run("--safe_zip", tmp_path / "safe.zip", "--data_root", data_root / "deeper" / "data")
    assert not data_root.exists()  # nor the folders made on the way to it
    audio = make_zip(tmp_path / "harmful.zip", {"a.wav": wav_bytes()})
    assert run("--harmful_zip", audio, "--data_root", data_root) == 0
    assert capsys.readouterr().out.rstrip().endswith(f"next: python prep_dataset.py --data_root {data_root}")
    (data_root / "labels.csv").write_text("path,label\n")  # prep_dataset ran: it would refuse to replace it
    assert run("--harmful_zip", audio, "--data_root", data_root, "--overwrite") == 0
    assert capsys.readouterr().out.rstrip().endswith(f"--data_root {data_root} --overwrite")


def test_existing_class_refused_unless_overwrite(tmp_path, previous, monkeypatch):
    calls = []
    monkeypatch.setattr(dfd, "fetch", lambda source, dest, folder=False: calls.append(source))
    with pytest.raises(HelmitError, match=rf"^{re.escape(str(previous / 'harmful'))}: exists; pass --overwrite"):
        run("--harmful_id", "ID_H", "--data_root", previous)
    assert calls == [] and tree(previous) == ["harmful/old.wav", "safe/old.wav"]  # refused before downloading
    new = make_zip(tmp_path / "harmful.zip", {"new.wav": wav_bytes()})
    run("--harmful_zip", new, "--data_root", previous, "--overwrite")
    assert tree(previous / "harmful") == ["new.wav"]
    assert tree(previous / "safe") == ["old.wav"]  # not requested: untouched
    assert sorted(p.name for p in previous.iterdir()) == ["harmful", "safe"]
    newer = make_zip(tmp_path / "newer.zip", {"newer.wav": wav_bytes()})
    run("--harmful_zip", newer, "--data_root", previous, "--force")  # the old name of --overwrite still works
    assert tree(previous / "harmful") == ["newer.wav"]


def test_a_class_folder_of_other_files_or_holding_the_zip_is_never_deleted_unasked(tmp_path, data_root):
    (data_root / "harmful").mkdir(parents=True)
    (data_root / "harmful" / "NOTES.txt").write_text("which clips came from whom")
    (data_root / "harmful" / "clip.webm").write_bytes(b"a format the decoder may not know")
    new = make_zip(tmp_path / "harmful.zip", {"new.wav": wav_bytes()})
    with pytest.raises(HelmitError, match=r"harmful: exists; pass --overwrite"):
        run("--harmful_zip", new, "--data_root", data_root)
    assert tree(data_root / "harmful") == ["NOTES.txt", "clip.webm"]
    inside = make_zip(data_root / "harmful" / "harmful.zip", {"new.wav": wav_bytes()})
    with pytest.raises(HelmitError, match=r"harmful\.zip: --harmful_zip is inside .*harmful, which this run replaces"):
        run("--harmful_zip", inside, "--data_root", data_root, "--overwrite")
    assert tree(data_root / "harmful") == ["NOTES.txt", "clip.webm", "harmful.zip"]  # the zip and the rest kept


def test_a_zip_of_both_classes_is_refused_as_one_class(tmp_path, data_root):
    both = make_zip(tmp_path / "data.zip", {"data/harmful/a.wav": wav_bytes(), "data/safe/b.wav": wav_bytes()})
    with pytest.raises(HelmitError, match=r"data\.zip: holds both safe/ and harmful/, so one class's clips would be "
                                          r"labelled as the other"):
        run("--harmful_zip", both, "--data_root", data_root)
    assert not data_root.exists() or tree(data_root) == []


def test_drive_id_download_goes_through_fetch(tmp_path, data_root, monkeypatch):
    calls = []

    def fake_fetch(source, dest, folder=False):
        calls.append((source, folder))
        make_zip(dest, {"clips/clip.wav": wav_bytes()})
        return dest

    monkeypatch.setattr(dfd, "fetch", fake_fetch)
    run("--harmful_id", "ID_H", "--safe_url", "https://drive.google.com/file/d/ID_S/view",
        "--data_root", data_root)
    assert sorted(calls) == [("ID_H", False), ("https://drive.google.com/file/d/ID_S/view", False)]
    assert tree(data_root) == ["harmful/clip.wav", "safe/clip.wav"]  # downloaded zips removed


def test_html_page_instead_of_zip_is_named(previous, monkeypatch):
    def fake_fetch(source, dest, folder=False):
        Path(dest).write_text("<!DOCTYPE html><html><title>Google Drive - Quota exceeded</title></html>")

    monkeypatch.setattr(dfd, "fetch", fake_fetch)
    with pytest.raises(HelmitError, match=r"harmful\.zip: looks like an HTML page, not a zip"):
        run("--harmful_id", "ID_H", "--data_root", previous, "--overwrite")
    assert tree(previous) == ["harmful/old.wav", "safe/old.wav"]


@pytest.mark.parametrize("entry, why", [
    ("../evil.wav", "outside the target"),
    ("harmful/../../evil.wav", "outside the target"),
    ("/tmp/helmit_evil.wav", "absolute path"),
    ("C:/evil.wav", "absolute path"),
])
def test_escaping_entries_rejected(tmp_path, previous, entry, why):
    bad = make_zip(tmp_path / "harmful.zip", {"ok.wav": wav_bytes(), entry: b"pwned"})
    assert entry in zipfile.ZipFile(bad).namelist()  # zipfile kept the hostile name as written
    with pytest.raises(HelmitError, match=why):
        run("--harmful_zip", bad, "--data_root", previous, "--overwrite")
    assert tree(tmp_path) == ["data/harmful/old.wav", "data/safe/old.wav", "harmful.zip"]
    assert not Path("/tmp/helmit_evil.wav").exists()


def test_symlink_entry_rejected(tmp_path, previous):
    bad = make_zip(tmp_path / "harmful.zip", {"ok.wav": wav_bytes(), "link.wav": ("symlink", "/etc/passwd")})
    with pytest.raises(HelmitError, match="link.wav.*symlink"):
        run("--harmful_zip", bad, "--data_root", previous, "--overwrite")
    assert tree(previous) == ["harmful/old.wav", "safe/old.wav"]


def test_zip_bomb_cap(tmp_path, previous):
    bomb = make_zip(tmp_path / "harmful.zip", {"a.wav": wav_bytes(), "zeros.wav": bytes(3 * 1024 ** 2)})
    assert bomb.stat().st_size < 100_000  # 3 MB of zeros deflate to a few KB
    with pytest.raises(HelmitError, match="over the --max_extract_gb cap"):
        run("--harmful_zip", bomb, "--data_root", previous, "--overwrite", "--max_extract_gb", "0.002")
    assert tree(previous) == ["harmful/old.wav", "safe/old.wav"]
    run("--harmful_zip", bomb, "--data_root", previous, "--overwrite", "--max_extract_gb", "0.01")
    assert tree(previous / "harmful") == ["a.wav", "zeros.wav"]


def test_damaged_archive_leaves_every_class_untouched(tmp_path, previous):
    good = make_zip(tmp_path / "harmful.zip", {"new.wav": wav_bytes()})
    damaged = make_zip(tmp_path / "safe.zip", {"new.wav": wav_bytes()}, zipfile.ZIP_STORED)
    raw = bytearray(damaged.read_bytes())
    raw[200] ^= 0xFF  # inside the stored wav samples: only the CRC check can notice
    damaged.write_bytes(bytes(raw))
    with pytest.raises(HelmitError, match=r"safe\.zip: entry 'new.wav': Bad CRC-32"):
        run("--harmful_zip", good, "--safe_zip", damaged, "--data_root", previous, "--overwrite")
    # harmful verified fine but is not swapped in alone: classes are replaced together or not at all
    assert tree(previous) == ["harmful/old.wav", "safe/old.wav"]


@pytest.mark.parametrize("names", [["clips", "clips/a.wav"], ["wrap/clips/a.wav", "wrap/clips"]])
def test_a_file_and_a_folder_of_one_name_are_named(tmp_path, previous, names):
    clash = make_zip(tmp_path / "harmful.zip", {"ok.wav": wav_bytes(), **{n: wav_bytes() for n in names}})
    file_entry = min(names, key=len)
    with pytest.raises(HelmitError, match=rf"harmful\.zip: entry '{file_entry}' is a file, but other entries are "
                                          "inside a folder of that name"):
        run("--harmful_zip", clash, "--data_root", previous, "--overwrite")
    assert tree(previous) == ["harmful/old.wav", "safe/old.wav"]


def test_a_disk_that_refuses_the_write_is_not_called_a_damaged_archive(tmp_path, previous, monkeypatch):
    good = make_zip(tmp_path / "harmful.zip", {"new.wav": wav_bytes()})
    real_open = open

    def full_disk(path, mode="r", *args, **kwargs):
        if "w" in mode:
            raise OSError(28, "No space left on device")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(dfd, "open", full_disk, raising=False)
    with pytest.raises(HelmitError, match=r"harmful\.zip: entry 'new\.wav': cannot write it under .*"
                                          r"\(No space left on device\)$"):
        run("--harmful_zip", good, "--data_root", previous, "--overwrite")
    assert tree(previous) == ["harmful/old.wav", "safe/old.wav"]


def test_archive_without_audio_rejected(tmp_path, data_root):
    docs = make_zip(tmp_path / "harmful.zip", {"notes.txt": b"no clips here"})
    with pytest.raises(HelmitError, match=r"harmful\.zip: no audio files"):
        run("--harmful_zip", docs, "--data_root", data_root)
    assert tree(data_root) == []


def test_folder_with_zip_and_subfolder(tmp_path, data_root, monkeypatch):
    def fake_fetch(source, dest, folder=False):
        assert folder and source == "https://drive.google.com/drive/folders/FOLDER"
        Path(dest).mkdir()
        make_zip(Path(dest) / "harmful.zip", {"harmful/h.wav": wav_bytes()})
        (Path(dest) / "safe" / "day1").mkdir(parents=True)
        (Path(dest) / "safe" / "day1" / "s.wav").write_bytes(wav_bytes())

    monkeypatch.setattr(dfd, "fetch", fake_fetch)
    run("--folder_url", "https://drive.google.com/drive/folders/FOLDER", "--data_root", data_root)
    assert tree(data_root) == ["harmful/h.wav", "safe/day1/s.wav"]


def test_folder_missing_a_class_says_what_it_holds(data_root, monkeypatch):
    def fake_fetch(source, dest, folder=False):
        Path(dest).mkdir()
        make_zip(Path(dest) / "harmful.zip", {"h.wav": wav_bytes()})
        (Path(dest) / "notes.txt").write_text("hi")

    monkeypatch.setattr(dfd, "fetch", fake_fetch)
    with pytest.raises(HelmitError, match=r"no safe\.zip or safe/ \(it holds: harmful\.zip, notes\.txt\)"):
        run("--folder_url", "FOLDER", "--data_root", data_root)
    assert tree(data_root) == []


def cli(*argv, cwd):
    return subprocess.run([sys.executable, str(REPO / "download_from_drive.py"), *map(str, argv)],
                          capture_output=True, text=True, cwd=cwd)


def test_cli_help_and_errors(tmp_path):
    assert cli("--help", cwd=tmp_path).returncode == 0
    not_zip = tmp_path / "harmful.zip"
    not_zip.write_text("<html><body>Sign in</body></html>")
    res = cli("--harmful_zip", not_zip, "--data_root", tmp_path / "data", cwd=tmp_path)
    assert res.returncode == 1
    assert res.stderr.startswith(f"error: {not_zip}: looks like an HTML page")
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    both = cli("--harmful_zip", not_zip, "--harmful_id", "X", cwd=tmp_path)
    assert both.returncode == 2 and "give only one of" in both.stderr
    assert cli(cwd=tmp_path).returncode == 2  # nothing to fetch


def test_fetch_calls_gdown_by_id_or_url_and_wraps_its_errors(tmp_path, monkeypatch):
    calls = []

    class FakeGdown:
        @staticmethod
        def download(output, quiet, id=None, url=None):
            calls.append(("file", id, url))
            if id == "BAD":
                raise RuntimeError("Cannot retrieve the public link of the file.\nYou may need to ...")
            Path(output).write_bytes(b"zip")

        @staticmethod
        def download_folder(output, quiet, id=None, url=None):
            calls.append(("folder", id, url))
            Path(output).mkdir()

    monkeypatch.setitem(sys.modules, "gdown", FakeGdown)
    dfd.fetch("ID1", tmp_path / "a.zip")
    dfd.fetch("https://drive.google.com/file/d/ID2/view", tmp_path / "b.zip")
    dfd.fetch("https://drive.google.com/drive/folders/F", tmp_path / "f", folder=True)
    assert calls == [("file", "ID1", None), ("file", None, "https://drive.google.com/file/d/ID2/view"),
                     ("folder", None, "https://drive.google.com/drive/folders/F")]
    with pytest.raises(HelmitError, match=r"^BAD: download failed \(Cannot retrieve .* You may need to \.\.\.\)$"):
        dfd.fetch("BAD", tmp_path / "c.zip")


@pytest.mark.parametrize("content, says", [(b"", "empty file (0 bytes)"), (b"\x89PNG\r\n\x1a\n", "not a zip archive")])
def test_other_non_zips_are_described(tmp_path, content, says):
    (tmp_path / "safe.zip").write_bytes(content)
    with pytest.raises(HelmitError, match=rf"safe\.zip: {re.escape(says)}"):
        run("--safe_zip", tmp_path / "safe.zip", "--data_root", tmp_path / "data")


def test_a_download_cut_off_half_way_leaves_nothing(tmp_path, previous):
    whole = make_zip(tmp_path / "full.zip", {f"clip{i}.wav": wav_bytes() for i in range(4)}).read_bytes()
    (tmp_path / "safe.zip").write_bytes(whole[:len(whole) // 2])  # the connection dropped mid-way
    with pytest.raises(HelmitError, match=r"safe\.zip: an incomplete zip archive \(it starts as one but its end is "
                                          r"missing: download it again\)"):
        run("--safe_zip", tmp_path / "safe.zip", "--data_root", previous, "--overwrite")
    assert tree(previous) == ["harmful/old.wav", "safe/old.wav"]  # nothing half-extracted, nothing lost


def test_next_download_removes_a_killed_ones_work_dir(tmp_path, data_root):
    """A killed download leaves its work dir, with every zip it fetched, in data/: the next download
    removes it, and leaves the work dir of a download still running."""
    dead = data_root / temp_name("download", _HOST, *dead_process())
    live = data_root / temp_name("download", _HOST, os.getpid(), round(psutil.Process().create_time() * 1000))
    for work in (dead, live):
        (work / "folder").mkdir(parents=True)
        (work / "harmful.zip").write_bytes(b"fetched")
    zips = [make_zip(tmp_path / f"{cls}.zip", {"a.wav": wav_bytes()}) for cls in ("harmful", "safe")]
    assert run("--harmful_zip", zips[0], "--safe_zip", zips[1], "--data_root", data_root) == 0
    assert sorted(p.name for p in data_root.iterdir()) == sorted(["harmful", "safe", live.name])
    assert (live / "harmful.zip").read_bytes() == b"fetched"
