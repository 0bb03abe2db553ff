"""Fetch the user's own clips: harmful.zip and safe.zip from Google Drive (gdown) or local zips.

Every archive is checked before it replaces anything: it must be a real zip (not the HTML page
Drive sends when a file is private or over quota), no entry may leave the target (`..`, absolute
paths, symlinks), the total uncompressed size must stay under --max_extract_gb, every member's
CRC must match, and it must hold at least one audio file. Archives are extracted into a hidden
work directory inside data_root; only when every requested class has been extracted and verified
are they renamed into data_root/<class>/, so a failed run leaves the previous data untouched.

  python download_from_drive.py --harmful_id 1AbC... --safe_id 1XyZ...
  python download_from_drive.py --harmful_url https://drive.google.com/file/d/1AbC.../view --safe_url ...
  python download_from_drive.py --folder_url https://drive.google.com/drive/folders/1Fo...
  python download_from_drive.py --harmful_zip ~/harmful.zip --safe_zip ~/safe.zip --overwrite
"""
import argparse
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path

from tqdm import tqdm

from config import AUDIO_EXTENSIONS, CFG, CLASS_NAMES
from utils_io import HelmitError, as_any_output, refuse_to_overwrite, run_cli, temp_beside

GB = 1024 ** 3
SOURCE_KINDS = ("zip", "id", "url")  # per class: --<class>_zip, --<class>_id, --<class>_url
HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body")


def is_audio_name(name) -> bool:
    return Path(str(name)).suffix.lower() in AUDIO_EXTENSIONS


def count_audio_files(directory) -> int:
    directory = Path(directory)
    if not directory.is_dir():
        return 0
    return sum(1 for p in directory.rglob("*") if p.is_file() and is_audio_name(p.name))


def one_line(err) -> str:
    return " ".join(str(err).split()) or type(err).__name__


def fetch(source: str, dest, folder: bool = False):
    """Download Drive file `source` (id or URL) to file `dest`, or a Drive folder into dir `dest`."""
    import gdown  # imported here so --help and local zips work without it; tests replace fetch()

    key = "url" if "://" in source else "id"
    try:
        if folder:
            gdown.download_folder(**{key: source}, output=str(dest), quiet=False)
        else:
            gdown.download(**{key: source}, output=str(dest), quiet=False)
    except Exception as e:  # gdown raises several types (DownloadError, requests errors, ValueError)
        raise HelmitError(f"{source}: download failed ({one_line(e)})") from None
    if not Path(dest).exists():  # older gdown returns None instead of raising
        raise HelmitError(f"{source}: download failed (gdown wrote nothing; is the link shared?)")
    return dest


def describe_non_zip(path) -> str:
    """Say what a file that is not a zip looks like, so a Drive error page is recognisable."""
    with open(path, "rb") as f:
        head = f.read(2048)
    if not head:
        return "empty file (0 bytes), not a zip archive"
    if any(marker in head.lower() for marker in HTML_MARKERS):
        return ("looks like an HTML page, not a zip archive (Drive sends one when the file is not "
                "shared as 'Anyone with the link', the id is wrong, or the download quota is exceeded)")
    if head.startswith(b"PK\x03\x04"):  # a zip's first entry, but no directory at the end: it was cut off
        return "an incomplete zip archive (it starts as one but its end is missing: download it again)"
    return "not a zip archive"


def plan_members(zf: zipfile.ZipFile, zip_path, max_bytes: int):
    """Return ([(ZipInfo, relative Path)], total bytes) to extract; refuse any unsafe entry."""
    members = []
    for info in zf.infolist():
        name = info.filename.replace("\\", "/")  # zips made on Windows may use backslashes
        where = f"{zip_path}: entry {info.filename!r}"
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
            raise HelmitError(f"{where} has an absolute path; refusing to extract this archive")
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if ".." in parts:
            raise HelmitError(f"{where} points outside the target directory (..); refusing to extract")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise HelmitError(f"{where} is a symlink; refusing to extract this archive")
        if info.flag_bits & 0x1:
            raise HelmitError(f"{where} is password-protected; re-zip without a password")
        if info.is_dir() or not parts:
            continue
        if parts[0] == "__MACOSX" or parts[-1].startswith("._") or parts[-1] == ".DS_Store":
            continue  # macOS Finder metadata: `._x.wav` has an audio suffix but is not audio
        members.append((info, parts))
    folders = {tuple(parts[:i]) for _, parts in members for i in range(1, len(parts))}
    for info, parts in members:  # `clips` and `clips/a.wav`: a disk cannot hold both
        if tuple(parts) in folders:
            raise HelmitError(f"{zip_path}: entry {info.filename!r} is a file, but other entries are inside a folder "
                              "of that name, and one path cannot be both; rename one of them and zip again")
    total = sum(info.file_size for info, _ in members)
    # zipfile stops every member at its declared file_size, so this sum bounds what is written.
    if total > max_bytes:
        raise HelmitError(f"{zip_path}: would extract {total / GB:.2f} GB, over the --max_extract_gb "
                          f"cap of {max_bytes / GB:g} GB (a zip bomb?); raise the cap if it is genuine")
    if members and len({parts[0] for _, parts in members}) == 1 and all(len(p) > 1 for _, p in members):
        members = [(info, parts[1:]) for info, parts in members]  # drop one wrapping folder
    if set(CLASS_NAMES) <= {parts[0].lower() for _, parts in members if len(parts) > 1}:  # a whole data folder
        raise HelmitError(f"{zip_path}: holds both {' and '.join(c + '/' for c in CLASS_NAMES)}, so one class's clips "
                          "would be labelled as the other; zip each class on its own, or unzip this one into the "
                          "data root yourself")
    if not any(is_audio_name(parts[-1]) for _, parts in members):
        raise HelmitError(f"{zip_path}: no audio files ({', '.join(AUDIO_EXTENSIONS)}) in the archive")
    return [(info, Path(*parts)) for info, parts in members], total


def extract_members(zf, members, total: int, staging: Path, zip_path) -> None:
    """Stream members into `staging`. Reading each member to its end checks its CRC, the same
    check `ZipFile.testzip` makes, so the archive is verified in the one decompression pass."""
    free = shutil.disk_usage(staging).free
    if total > free:
        raise HelmitError(f"{zip_path}: needs {total / GB:.2f} GB to extract, only {free / GB:.2f} GB "
                          f"free in {staging.parent}")
    root = staging.resolve()
    with tqdm(total=total, unit="B", unit_scale=True, desc=f"extract {Path(zip_path).name}") as bar:
        for info, rel in members:
            target = staging / rel
            if root not in target.resolve().parents:  # belt and braces after plan_members
                raise HelmitError(f"{zip_path}: entry {info.filename!r} escapes the target directory")
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
                        bar.update(len(chunk))
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError) as e:
                if isinstance(e, OSError) and e.errno is not None:
                    # the disk's side: permissions, a full disk, or (on macOS) a file and a folder whose names
                    # differ only in case; the archive is not to blame
                    raise HelmitError(f"{zip_path}: entry {info.filename!r}: cannot write it under {staging} "
                                      f"({e.strerror or one_line(e)})") from None
                raise HelmitError(f"{zip_path}: entry {info.filename!r}: {one_line(e)} "
                                  "(damaged or incomplete archive)") from None


def stage_zip(zip_path, work: Path, cls: str, max_bytes: int):
    """Verify and extract `zip_path` into a new dir under `work`; return (dir, files extracted)."""
    zip_path = Path(zip_path)
    if not zip_path.is_file():
        raise HelmitError(f"{zip_path}: no such file")
    if not zipfile.is_zipfile(zip_path):
        raise HelmitError(f"{zip_path}: {describe_non_zip(zip_path)}")
    staging = Path(tempfile.mkdtemp(prefix=f"{cls}.partial-", dir=work))
    try:
        as_any_output(staging, directory=True)  # it becomes data/<class>
        with zipfile.ZipFile(zip_path) as zf:
            members, total = plan_members(zf, zip_path, max_bytes)
            extract_members(zf, members, total, staging, zip_path)
    except zipfile.BadZipFile as e:
        shutil.rmtree(staging, ignore_errors=True)
        raise HelmitError(f"{zip_path}: damaged zip archive ({one_line(e)})") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging, len(members)


def find_in_folder(folder: Path, cls: str):
    """`<cls>.zip` or a `<cls>/` directory in a downloaded Drive folder (or one level below)."""
    bases = [folder] + sorted(p for p in folder.iterdir() if p.is_dir() and p.name.lower() not in CLASS_NAMES)
    for base in bases:
        for entry in sorted(base.iterdir()):
            if entry.is_file() and entry.name.lower() == f"{cls}.zip":
                return entry
            if entry.is_dir() and entry.name.lower() == cls:
                return entry
    return None


def stage_class(cls: str, source, work: Path, args):
    """Fetch one class's source into `work` and verify it; return (staging dir, files, description)."""
    kind, value = source
    if kind == "zip":
        staging, n = stage_zip(value, work, cls, int(args.max_extract_gb * GB))
        return staging, n, f"local zip {value}"
    if kind in ("id", "url"):
        download = work / f"{cls}.zip"
        fetch(value, download)
        staging, n = stage_zip(download, work, cls, int(args.max_extract_gb * GB))
        return staging, n, f"Drive {kind} {value}"
    folder = value  # kind == "folder": already downloaded into work/folder
    found = find_in_folder(folder, cls)
    if found is None:
        listing = ", ".join(sorted(p.name for p in folder.iterdir())) or "nothing"
        raise HelmitError(f"{args.folder_url}: Drive folder has no {cls}.zip or {cls}/ "
                          f"(it holds: {listing})")
    where = f"Drive folder {args.folder_url} ({found.relative_to(folder)})"
    if found.is_file():
        staging, n = stage_zip(found, work, cls, int(args.max_extract_gb * GB))
        return staging, n, where
    if count_audio_files(found) == 0:
        raise HelmitError(f"{where}: no audio files ({', '.join(AUDIO_EXTENSIONS)}) in it")
    return found, sum(1 for p in found.rglob("*") if p.is_file()), where


def install(staging: Path, target: Path) -> None:
    """Rename `staging` to `target`; the old `target` is deleted only once the new one is in place."""
    old = None
    if target.exists() or target.is_symlink():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    if old is None:
        return
    if old.is_symlink() or old.is_file():
        old.unlink()  # a symlinked data/<class> is replaced by the link, not emptied at its target
    else:
        shutil.rmtree(old, ignore_errors=True)


def class_sources(args) -> dict:
    """{class: (kind, value) or None}; a class with no flag of its own comes from --folder_url."""
    sources = {}
    for cls in CLASS_NAMES:
        given = [(kind, getattr(args, f"{cls}_{kind}")) for kind in SOURCE_KINDS
                 if getattr(args, f"{cls}_{kind}")]
        if len(given) > 1:
            raise ValueError(f"give only one of --{cls}_zip, --{cls}_id, --{cls}_url")
        sources[cls] = given[0] if given else (("folder", None) if args.folder_url else None)
    if not any(sources.values()):
        raise ValueError("nothing to fetch: give --folder_url, or --harmful_id/--harmful_url/"
                         "--harmful_zip and the same for safe")
    return sources


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for cls in CLASS_NAMES:
        p.add_argument(f"--{cls}_id", help=f"Google Drive file id of {cls}.zip")
        p.add_argument(f"--{cls}_url", help=f"share link (or any URL) of {cls}.zip")
        p.add_argument(f"--{cls}_zip", help=f"local path of {cls}.zip (no download)")
    p.add_argument("--folder_url", help="Drive folder (URL or id) holding harmful.zip and safe.zip, "
                                        "or harmful/ and safe/ subfolders; per-class flags override it")
    p.add_argument("--data_root", default=CFG.data_root,
                   help="where <class>/ directories are created (default: %(default)s)")
    p.add_argument("--overwrite", "--force", dest="overwrite", action="store_true",
                   help="replace a class directory that already holds files (without it such a class stops the "
                        "run before anything is downloaded; --force is the old name)")
    p.add_argument("--max_extract_gb", type=float, default=4.0,
                   help="refuse an archive that would extract to more than this (zip-bomb guard; "
                        "default: %(default)s)")
    args = p.parse_args(argv)
    if args.max_extract_gb <= 0:
        p.error("--max_extract_gb must be > 0")
    try:
        args.sources = class_sources(args)
    except ValueError as e:
        p.error(str(e))
    return args


def main(argv=None):
    args = parse_args(argv)
    data_root = Path(args.data_root)
    for cls, source in args.sources.items():  # before anything is made: a typo leaves no empty data root
        if source and source[0] == "zip" and not Path(source[1]).is_file():
            what = "is a folder, not a zip file" if Path(source[1]).is_dir() else "no such file"
            raise HelmitError(f"{source[1]}: {what} (--{cls}_zip)")
    made = data_root.absolute()  # the highest folder this run creates: removed again if nothing lands in it
    while not made.parent.exists():
        made = made.parent
    made = None if made.exists() else made
    data_root.mkdir(parents=True, exist_ok=True)
    report, todo = {}, {}
    for cls, source in args.sources.items():
        if source is None:
            report[cls] = "not requested, left as it is"
            continue
        target = data_root / cls
        if target.is_dir() and any(p.is_file() for p in target.rglob("*")):  # audio or not, it is the user's
            refuse_to_overwrite(target, args.overwrite, folder=True)
        todo[cls] = source
    for cls, (kind, value) in todo.items():  # a zip inside a folder this run replaces would be deleted with it
        if kind != "zip":
            continue
        inside = [c for c in todo if Path(value).resolve().is_relative_to((data_root / c).resolve())]
        if inside:
            raise HelmitError(f"{value}: --{cls}_zip is inside {data_root / inside[0]}, which this run replaces; "
                              "move the zip out of it first")
    # The work dir sits inside data_root so the final rename into place never crosses filesystems. It is
    # a temp of a notional data_root/download, so the next download removes the one a killed run left.
    work = temp_beside(data_root / "download", directory=True)
    try:
        if any(kind == "folder" for kind, _ in todo.values()):
            folder = work / "folder"
            fetch(args.folder_url, folder, folder=True)
            todo = {cls: ("folder", folder) if kind == "folder" else (kind, value)
                    for cls, (kind, value) in todo.items()}
        staged = {cls: stage_class(cls, source, work, args) for cls, source in todo.items()}
        for cls, (staging, n_files, where) in staged.items():  # every class verified: now swap in
            install(staging, data_root / cls)
            report[cls] = (f"{n_files} files ({count_audio_files(data_root / cls)} audio) "
                           f"from {where} -> {data_root / cls}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if made and not any(p.is_file() for p in made.rglob("*")):  # a failed first download leaves nothing behind
            shutil.rmtree(made, ignore_errors=True)
    print(f"summary ({data_root}):")
    for cls in CLASS_NAMES:
        print(f"  {cls + ':':<9} {report[cls]}")
    if todo:
        again = " --overwrite" if (data_root / "labels.csv").exists() else ""  # it would refuse to replace it
        print(f"next: python prep_dataset.py --data_root {data_root}{again}")
    return 0


if __name__ == "__main__":
    run_cli(main)
