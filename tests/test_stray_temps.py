"""A killed run's temp file is removed by the next run that writes the same output; a live run's
never is; one whose writer cannot be checked is named on stderr and left until it is a day old."""
import csv
import os
import signal
import subprocess
import sys
import time

import psutil

import utils_io
from conftest import ROOT, dead_process, run_script, temp_name
from utils_io import atomic_output

HOST = utils_io._HOST
DAY_AND_AN_HOUR_AGO = time.time() - utils_io.STRAY_AGE_S - 3600


def stray(directory, name, content="half a file", mtime=None):
    path = directory / name
    path.write_text(content)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def test_temp_name_says_who_writes_it(tmp_path):
    with atomic_output(tmp_path / "p.csv") as f:
        m = utils_io._TEMP_NAME.fullmatch(os.path.basename(f.name))
        assert m and (m["target"], m["host"], int(m["pid"])) == ("p.csv", HOST, os.getpid())
    assert os.listdir(tmp_path) == ["p.csv"]


def test_next_write_removes_dead_runs_temps_and_keeps_the_rest(tmp_path, capsys):
    me = psutil.Process()
    my_start = round(me.create_time() * 1000)
    dead_pid, dead_start = dead_process()
    removed = [
        stray(tmp_path, temp_name("p.csv", HOST, dead_pid, dead_start)),  # its process has exited
        stray(tmp_path, temp_name("p.csv", HOST, dead_pid, dead_start) + ".data"),  # the exporter's weights file
        stray(tmp_path, temp_name("p.csv", HOST, me.pid, my_start - 3_600_000)),  # pid since reused (by this test)
        stray(tmp_path, temp_name("p.csv", "elsewhere", 124, 456), mtime=DAY_AND_AN_HOUR_AGO),
        stray(tmp_path, ".p.csv.k2j_9xq0.tmp", mtime=DAY_AND_AN_HOUR_AGO),  # the old name: no writer in it
    ]
    temp_dir = tmp_path / temp_name("p.csv", HOST, dead_pid, dead_start).replace("abcd1234", "dir12345")
    temp_dir.mkdir()  # a temp directory, as download_from_drive.py makes
    stray(temp_dir, "harmful.zip")
    removed.append(temp_dir)
    live = stray(tmp_path, temp_name("p.csv", HOST, me.pid, my_start))  # this very process: alive
    other_host = stray(tmp_path, temp_name("p.csv", "elsewhere", 123, 456))
    old_name = stray(tmp_path, ".p.csv.k2j_9xq1.tmp")
    other_output = stray(tmp_path, temp_name("p.csv.bak", HOST, dead_pid, dead_start))

    with atomic_output(tmp_path / "p.csv") as f:
        f.write("new\n")

    assert (tmp_path / "p.csv").read_text() == "new\n"
    assert [p.name for p in removed if p.exists()] == []
    assert all(p.read_text() == "half a file" for p in (live, other_host, old_name, other_output))
    warnings = sorted(capsys.readouterr().err.splitlines())  # sorted: a directory lists in any order
    assert warnings == [
        f"warning: {tmp_path / 'p.csv'}: left {other_host} alone (written by elsewhere pid 123, cannot tell if it "
        "is alive; removed once 24 h old)",
        f"warning: {tmp_path / 'p.csv'}: left {old_name} alone (an older Helmit's temp name, which does not say "
        "who wrote it; removed once 24 h old)",
    ]


# Holds atomic_output open on argv[1], as a stage does while it writes: prints its temp name, then
# waits; "abort" on stdin ends it with an error, so it removes its temp and leaves the output alone.
LIVE_WRITER = """
import sys
from utils_io import atomic_output
with atomic_output(sys.argv[1]) as f:
    f.write("a live run's rows\\n")
    f.flush()
    print(f.name, flush=True)
    if sys.stdin.readline() == "abort\\n":
        raise SystemExit(3)
"""


def many_clips(tone_corpus, root, copies):
    """The tone corpus `copies` times over, as symlinks: enough clips that scoring takes a while."""
    rows = list(csv.DictReader(open(tone_corpus / "labels.csv")))
    copied = []
    for k in range(copies):
        for row in rows:
            rel = f"copy{k:02d}/{row['path']}"
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).symlink_to(tone_corpus / row["path"])
            copied.append({"path": rel, "label": row["label"]})
    with open(root / "labels.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["path", "label"])
        writer.writeheader()
        writer.writerows(copied)
    return root


def temps_of(out):
    return sorted(out.parent.glob(f".{out.name}.*.tmp"))


def killed_mid_write(cmd, out, timeout=120):
    """Start `cmd`, SIGKILL it as soon as its temp for `out` holds some rows; return that temp."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while True:
            temps = [t for t in temps_of(out) if t.exists() and t.stat().st_size > 0]
            if temps:
                break
            assert proc.poll() is None, "the stage finished before it could be killed; give it more clips"
            assert time.monotonic() < deadline, "the stage never started writing"
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    return temps[0]


def test_killed_stage_leaves_nothing_after_the_next_run(tone_onnx, tone_corpus, tmp_path):
    corpus = many_clips(tone_corpus, tmp_path / "corpus", copies=30)  # 600 clips: ~2 s of scoring on 2 cores
    stage = [sys.executable, str(ROOT / "infer_dataset.py"), "--onnx", str(tone_onnx), "--data_root", str(corpus),
             "--workers", "1", "--threads", "1"]
    run_script(*stage[1:], "--output_csv", tmp_path / "uninterrupted.csv")
    out = tmp_path / "out" / "predictions.csv"

    left = killed_mid_write(stage + ["--output_csv", str(out)], out)
    assert left.exists() and not out.exists()  # what the issue saw: a half-written temp, no output
    assert left.read_text().startswith("path,label,pred,prob")

    live = subprocess.Popen([sys.executable, "-c", LIVE_WRITER, str(out)], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        live_temp = out.parent / os.path.basename(live.stdout.readline().strip())
        assert live_temp.is_file() and live_temp != left

        rerun = run_script(*stage[1:], "--output_csv", out, "--overwrite")

        assert out.read_bytes() == (tmp_path / "uninterrupted.csv").read_bytes()
        assert not left.exists()
        assert live_temp.read_text() == "a live run's rows\n"  # the live writer's temp: untouched
        assert "warning" not in rerun.stderr
        assert temps_of(out) == [live_temp]
    finally:
        live.communicate("abort\n", timeout=60)
    assert live.returncode == 3
    assert os.listdir(out.parent) == [out.name]  # the live writer cleaned up after itself, nothing stray


def test_a_directory_output_gets_the_same_permissions_as_a_file_output(tmp_path):
    """A fused model came out drwx------ (mkdtemp's mode): a scoring service running as another user
    could not read the directory a deployment copies."""
    old = os.umask(0o022)
    try:
        with utils_io.atomic_directory(tmp_path / "model") as tmp:
            (tmp / "weights.bin").write_bytes(b"x")
        with atomic_output(tmp_path / "file.csv") as f:
            f.write("x")
    finally:
        os.umask(old)
    assert oct((tmp_path / "model").stat().st_mode & 0o777) == oct(0o755)
    assert oct((tmp_path / "file.csv").stat().st_mode & 0o777) == oct(0o644)
