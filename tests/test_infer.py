import csv
import json
import subprocess
import sys

import pytest
import soundfile as sf
import numpy as np

import infer
import infer_dataset
import prediction_csvs
from utils_io import HelmitError
from conftest import ROOT, run_script


def test_harmful_ranges_merge_overlapping_windows():
    starts = [0, 64000, 128000, 192000, 256000]  # 8-s windows every 4 s at 16 kHz
    assert infer.harmful_ranges(starts, [0.9, 0.8, 0.1, 0.1, 0.7], 8.0, 16000, 0.5) == [[0.0, 12.0, 0.9], [16.0, 24.0, 0.7]]
    assert infer.harmful_ranges(starts, [0.9, 0.1, 0.6, 0.1, 0.1], 8.0, 16000, 0.5) == [[0.0, 16.0, 0.9]]  # touching
    assert infer.harmful_ranges(starts, [0.9, 0.8, 0.1, 0.1, 0.7], 8.0, 16000, 0.95) == []


def test_split_lookup_marks_what_the_model_saw():
    meta = {"train_clips": json.dumps(["a.wav"]), "val_clips": json.dumps(["b.wav"]), "test_clips": "[]"}
    split_of = infer_dataset.split_lookup(meta)
    assert [split_of(p) for p in ("a.wav", "b.wav", "new.wav")] == ["train", "val", "test"]
    assert infer_dataset.split_lookup({})("x.wav") == "all"  # no record: the split is unknown
    # a fused model's combiner (and adapted text model) learned from its fit clips: they count as train
    fused_split = infer_dataset.split_lookup(meta, ["b.wav", "new.wav"])
    assert [fused_split(p) for p in ("a.wav", "b.wav", "new.wav", "other.wav")] == ["train", "train", "train", "test"]
    unrecorded = infer_dataset.split_lookup({}, ["x.wav"])  # the acoustic model kept no record of its clips
    assert unrecorded("x.wav") == "train" and unrecorded("y.wav") == "all"  # so y may be its training clip


def test_split_lookup_knows_training_clips_by_content_not_by_name(tmp_path):
    from utils_io import clip_digest

    (tmp_path / "data").mkdir()
    trained, checked = tmp_path / "data" / "a.wav", tmp_path / "data" / "b.wav"
    trained.write_bytes(b"RIFF the clip it trained on")
    checked.write_bytes(b"RIFF the clip that chose its threshold")
    meta = {"train_clips": json.dumps(["a.wav"]), "val_clips": json.dumps(["b.wav"]),
            "train_digests": json.dumps([clip_digest(trained)]), "val_digests": json.dumps([clip_digest(checked)])}
    split_of = infer_dataset.split_lookup(meta)
    copy = tmp_path / "elsewhere" / "renamed.wav"
    copy.parent.mkdir()
    copy.write_bytes(trained.read_bytes())
    assert split_of("a.wav", trained) == "train" and split_of("b.wav", checked) == "val"
    assert split_of(str(trained), trained) == "train"  # the same clip named by its absolute path
    assert split_of("renamed.wav", copy) == "train"  # a copy under another name
    other = tmp_path / "v2" / "a.wav"  # another corpus that reuses the name a.wav
    other.parent.mkdir()
    other.write_bytes(b"RIFF a new clip, same size!")
    assert len(other.read_bytes()) == len(trained.read_bytes())  # so it is hashed, not passed on its size
    assert split_of("a.wav", other) == "test"
    assert split_of("a.wav", tmp_path / "gone.wav") == "train"  # unreadable: the path record is all there is
    assert infer_dataset.split_lookup(meta, ["x.wav"])("x.wav", copy) == "train"  # a fusion's fit clips, by path


def test_a_fusions_fit_clips_are_known_by_content(tmp_path):
    from utils_io import clip_digest

    fit, new = tmp_path / "fit.wav", tmp_path / "new.wav"
    fit.write_bytes(b"RIFF a clip the fusion was fit on")
    new.write_bytes(b"RIFF a clip nobody has seen yet!")
    copy = tmp_path / "copied" / "fit.wav"
    copy.parent.mkdir()
    copy.write_bytes(fit.read_bytes())
    for meta in ({}, {"test_clips": json.dumps(["fit.wav", "new.wav"])}):  # acoustic models without digests
        split_of = infer_dataset.split_lookup(meta, [], [clip_digest(fit)])
        assert split_of("fit.wav", fit) == "train" and split_of("copied/fit.wav", copy) == "train"
        assert split_of("fit.wav", new) != "train"  # another clip under the fit clip's name
    # a clip fusion.py could not read at fit time is still known, by its path
    fused = {"fusion": {"fit_on": {"clips": ["fit.wav", "gone.wav"], "digests": [clip_digest(fit)],
                                   "paths_only": ["gone.wav"]}}}
    split_of = infer_dataset.split_lookup({}, *infer_dataset.fused_fit_clips(fused, "f"))
    assert split_of("gone.wav", new) == "train" and split_of("copied/fit.wav", copy) == "train"
    assert split_of("new.wav", new) == "all"


def test_infer_dataset_survives_a_bad_clip(tone_onnx, tone_corpus, tmp_path):
    data = tmp_path / "data"
    (data / "safe").mkdir(parents=True)
    (data / "harmful").mkdir()
    sf.write(data / "safe" / "ok.wav", np.zeros(16000, np.float32) + 0.01, 16000)
    (data / "harmful" / "fake.wav").write_text("not audio")
    sf.write(data / "harmful" / "long.flac", 0.1 * np.sin(np.arange(16000 * 20) / 5).astype(np.float32), 16000)
    (data / "labels.csv").write_text("path,label\nsafe/ok.wav,0\nharmful/fake.wav,1\nharmful/long.flac,1\n")
    proc = run_script("infer_dataset.py", "--onnx", tone_onnx, "--data_root", data, "--output_csv",
                      data / "p.csv", check=False)
    assert proc.returncode == 1 and "1 failed" in proc.stdout
    assert f"error: {data / 'labels.csv'}:3: {data / 'harmful' / 'fake.wav'}: " in proc.stderr  # its row, then its file
    rows = list(csv.DictReader(open(data / "p.csv")))
    assert [r["path"] for r in rows] == ["safe/ok.wav", "harmful/fake.wav", "harmful/long.flac"]
    assert rows[1]["error"] and rows[1]["pred"] == "" and not rows[0]["error"] and not rows[2]["error"]
    assert all(r["split"] == "test" for r in rows)  # none of these were in the model's training record
    assert "validation clips" not in proc.stdout  # no caveat where no validation clip was scored


def test_an_unlabelled_folder_is_scored_like_labelled_clips_and_gives_no_metrics(tone_onnx, tone_corpus, tmp_path):
    backlog = tmp_path / "backlog"
    (backlog / "day 2").mkdir(parents=True)
    (backlog / ".hidden").mkdir()
    for name in ("clip001.wav", "clip002.wav"):
        (backlog / "day 2" / name).write_bytes((tone_corpus / "harmful" / name if name == "clip001.wav"
                                                 else tone_corpus / "safe" / name).read_bytes())
    (backlog / ".hidden" / "x.wav").write_bytes((tone_corpus / "safe" / "clip000.wav").read_bytes())
    (backlog / "notes.txt").write_text("not audio, not listed")
    proc = run_script("infer_dataset.py", "--onnx", tone_onnx, "--audio_dir", backlog)
    assert "flagged harmful:" in proc.stdout and "accuracy" not in proc.stdout
    rows = list(csv.DictReader(open(backlog / "m_predictions.csv")))
    assert [r["path"] for r in rows] == ["day 2/clip001.wav", "day 2/clip002.wav"]
    assert all(r["label"] == "" and r["pred"] in ("0", "1") and not r["error"] for r in rows)
    run_script("infer_dataset.py", "--onnx", tone_onnx, "--data_root", tone_corpus, "--output_csv",
               tmp_path / "labelled.csv")
    by_path = {r["path"]: r for r in csv.DictReader(open(tmp_path / "labelled.csv"))}
    for row, original in zip(rows, ("harmful/clip001.wav", "safe/clip002.wav")):
        assert row["prob_harmful"] == by_path[original]["prob_harmful"]
        assert row["split"] == by_path[original]["split"]  # a training clip is known by its content
    proc = run_script("compute_metrics.py", backlog / "m_predictions.csv", "--output", tmp_path / "m.txt", check=False)
    assert proc.returncode == 1 and "no label" in proc.stderr and "m_predictions.csv:2" in proc.stderr
    proc = run_script("infer_dataset.py", "--onnx", tone_onnx, "--audio_dir", tmp_path / "nowhere", check=False)
    assert proc.returncode == 1 and "nowhere: not a folder" in proc.stderr


def test_infer_cli_errors_are_one_line(tone_onnx, tmp_path):
    proc = run_script("infer.py", "--onnx", tone_onnx, "--audio_path", tmp_path / "missing.wav", check=False)
    assert proc.returncode == 1 and proc.stderr.strip().startswith("error:") and "Traceback" not in proc.stderr
    proc = run_script("infer.py", "--onnx", tmp_path / "nope.onnx", "--audio_path", tmp_path, check=False)
    assert proc.returncode == 1 and "nope.onnx" in proc.stderr


@pytest.mark.parametrize("leave", [False, True])
def test_an_error_raised_under_a_progress_bar_starts_its_own_line(leave):
    # a bar driven by hand, as infer_dataset's and fine-tuning's are: nothing closes it on the way out
    script = ("from tqdm import tqdm\nfrom utils_io import HelmitError, run_cli\n"
              "def main():\n"
              f"    bar = tqdm(total=4, desc='scoring clips', leave={leave})\n"
              "    bar.update(2)\n"
              "    raise HelmitError('clip2.wav: not audio')\n"
              "run_cli(main)\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    last_line = proc.stderr.rstrip("\n").split("\n")[-1].split("\r")[-1]  # what a terminal shows last
    assert last_line == "error: clip2.wav: not audio"


def test_fusion_only_flags_without_fusion_are_refused(tone_onnx, tone_corpus):
    clip = tone_corpus / "harmful" / "clip001.wav"
    proc = run_script("infer.py", "--onnx", tone_onnx, "--audio_path", clip, "--text_int8", check=False)
    assert proc.returncode == 1 and "--text_int8 picks the text model of a fused model; give --fusion too" in proc.stderr
    proc = run_script("infer_dataset.py", "--onnx", tone_onnx, "--data_root", tone_corpus, "--text_int8", check=False)
    assert proc.returncode == 2 and "--text_int8: only used with --fusion" in proc.stderr
    # flags about transcripts were silently ignored without a fused model: said now, by name
    proc = run_script("infer_dataset.py", "--onnx", tone_onnx, "--data_root", tone_corpus, "--asr", "pocketsphinx",
                      "--explain", "all", "--unsure_below", "0.9", check=False)
    assert proc.returncode == 2 and "--explain, --unsure_below, --asr: only used with --fusion" in proc.stderr
    proc = run_script("infer.py", "--onnx", tone_onnx, "--audio_path", clip, "--unsure_below", "0.9", check=False)
    assert proc.returncode == 1 and "--unsure_below, --cache_dir and --hearings are about transcripts" in proc.stderr
    proc = run_script("infer_dataset.py", "--onnx", tone_onnx, "--audio_dir", tone_corpus, "--labels_csv",
                      tone_corpus / "labels.csv", check=False)
    assert proc.returncode == 2 and "give --labels_csv (labelled clips) or --audio_dir (unlabelled ones), not both" in proc.stderr


def test_bad_windows_fail_before_scoring(tone_onnx, tone_corpus):
    clip = tone_corpus / "harmful" / "clip001.wav"
    for flags, message in ((["--window_sec", "0.01"], "too short"), (["--stride_sec", "0"], "must be positive"),
                           (["--window_sec", "4", "--stride_sec", "6"], "at most the window"),
                           (["--window_sec", "inf"], "too long"), (["--window_sec", "1e9"], "too long"),
                           (["--window_sec", "nan"], "too short")):
        proc = run_script("infer.py", "--onnx", tone_onnx, "--audio_path", clip, *flags, check=False)
        assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr


def test_several_files_one_missing_reports_on_stderr(tone_onnx, tone_corpus, tmp_path):
    clip = tone_corpus / "harmful" / "clip001.wav"
    proc = run_script("infer.py", "--onnx", tone_onnx, "--audio_path", clip, tmp_path / "gone.wav", check=False)
    assert proc.returncode == 1
    assert str(clip) in proc.stdout and "gone.wav" not in proc.stdout
    assert proc.stderr.strip() == f"error: {tmp_path / 'gone.wav'}: no such file"


class NaNSession:
    """Stands in for an ONNX Runtime session whose model returns NaN logits."""

    def run(self, outputs, feeds):
        return [np.full((len(feeds["waveform"]), 2), np.nan, np.float32)]


def test_what_decoding_saw_reaches_the_batch_csv_and_its_summary(tone_onnx, tone_corpus, tmp_path):
    """A truncated upload and a muted microphone are scored, so their warnings must travel with the row:
    a batch CSV read by a moderator has nothing else to say that the decision rests on no audio."""
    backlog = tmp_path / "backlog"
    backlog.mkdir()
    good = (tone_corpus / "harmful" / "clip001.wav").read_bytes()
    (backlog / "a_good.wav").write_bytes(good)
    (backlog / "b_cut.wav").write_bytes(good[:len(good) // 3])  # the header still declares the whole clip
    sf.write(backlog / "c_muted.wav", np.zeros(16000 * 3, np.float32), 16000)
    proc = run_script("infer_dataset.py", "--onnx", tone_onnx, "--audio_dir", backlog)
    rows = {r["path"]: r for r in csv.DictReader(open(backlog / "m_predictions.csv"))}
    assert rows["a_good.wav"]["warning"] == ""
    assert rows["b_cut.wav"]["warning"].startswith("truncated: decoded ") and rows["b_cut.wav"]["pred"] in ("0", "1")
    assert rows["c_muted.wav"]["warning"] == "very quiet: no sample reaches -60 dBFS"
    assert "2 clip(s) with a warning in the CSV's warning column" in proc.stdout
    assert "b_cut.wav, c_muted.wav" in proc.stdout


def test_nan_scores_become_errors_not_safe_verdicts(tmp_path):
    from scoring import onnx_window_probs

    meta = {"sample_rate": "16000", "window_seconds": "1.0"}
    with pytest.raises(HelmitError, match="the model returned NaN or infinite scores"):
        onnx_window_probs(NaNSession(), np.zeros(20000, np.float32), 16000, 8000)
    sf.write(tmp_path / "a.wav", np.full(20000, 0.1, np.float32), 16000)
    rows = [{"abspath": str(tmp_path / "a.wav"), "path": "a.wav"}]
    [(row, p, error, _)] = list(infer_dataset.score_rows(NaNSession(), meta, rows, 8, 16000, 8000))
    assert p is None and error == f"{tmp_path / 'a.wav'}: the model returned NaN"


def test_the_stored_threshold_decides_in_both_inference_scripts(tone_onnx, tone_corpus, tmp_path):
    """Write the same model with its threshold moved; every decision must follow the metadata."""
    import onnx

    from scoring import read_metadata, set_metadata

    base = list(csv.DictReader(open(tone_corpus / "labels.csv")))
    clip = tone_corpus / base[1]["path"]
    probs = []
    for threshold in ("0.0", "1.01"):  # below and above every possible P(harmful)
        proto = onnx.load(tone_onnx)
        set_metadata(proto, {**read_metadata(tone_onnx), "threshold": threshold})
        moved = tmp_path / f"t{threshold}.onnx"
        onnx.save(proto, moved)
        out = tmp_path / f"p{threshold}.csv"
        proc = run_script("infer_dataset.py", "--onnx", moved, "--data_root", tone_corpus, "--output_csv", out)
        # the tone corpus has no test split: its held-out clips chose the threshold, and the summary says so
        val = sum(r["split"] == "val" for r in csv.DictReader(open(out)))
        assert val and f"{val} of them validation clips, which chose the epoch and threshold" in proc.stdout
        rows = list(csv.DictReader(open(out)))
        assert {r["pred"] for r in rows} == {"1" if threshold == "0.0" else "0"}
        result = json.loads(run_script("infer.py", "--onnx", moved, "--audio_path", clip, "--json").stdout)
        assert result["label"] == ("harmful" if threshold == "0.0" else "safe")
        probs.append([r["prob_harmful"] for r in rows])
    assert probs[0] == probs[1]  # same scores: only the threshold moved the decisions


def test_infer_refuses_flags_that_cannot_mean_anything(tone_onnx, tone_corpus):
    clip = tone_corpus / list(csv.DictReader(open(tone_corpus / "labels.csv")))[0]["path"]
    for flags, message in ((["--threads", "-1"], "--threads -1: give 0 (all cores) or a positive count"),
                           (["--asr", "pocketsphinx"], "--asr and --asr_model choose the recognizer of a fused model"),
                           (["--fusion", str(tone_corpus / "nope")], "nope: fused model not found")):
        proc = run_script("infer.py", "--audio_path", clip, *flags, check=False)
        assert proc.returncode == 1 and message in proc.stderr, (flags, proc.stderr)


def test_infer_json_names_a_failed_file_on_stderr(tone_onnx, tone_corpus, tmp_path):
    bad = tmp_path / "fake.wav"
    bad.write_text("not audio")
    clip = tone_corpus / list(csv.DictReader(open(tone_corpus / "labels.csv")))[0]["path"]
    proc = run_script("infer.py", "--onnx", tone_onnx, "--audio_path", bad, clip, "--json", check=False)
    assert proc.returncode == 1 and f"error: {bad}: cannot decode audio" in proc.stderr
    out = json.loads(proc.stdout)
    assert "error" in out["results"][0] and out["results"][1]["label"] in ("harmful", "safe")
    assert out["model"] == str(tone_onnx)
    proc = run_script("infer.py", "--onnx", tone_onnx, "--audio_path", bad, "--json", check=False)  # one file
    assert proc.returncode == 1 and f"error: {bad}: cannot decode audio" in proc.stderr
    assert json.loads(proc.stdout) == {"path": str(bad), "error": proc.stderr.strip().removeprefix("error: ")}


# ---- parallel workers and shards ----

def predictions_of(path):
    return list(csv.DictReader(open(path)))


def test_shards_cover_every_clip_exactly_once():
    for n_rows in (0, 1, 7, 20):
        rows = [{"index": i} for i in range(n_rows)]
        for num_shards in (1, 2, 3, 8):
            shards = [infer_dataset.shard_rows(rows, num_shards, i) for i in range(num_shards)]
            indices = sorted(r["index"] for shard in shards for r in shard)
            assert indices == list(range(n_rows))  # every row, none twice
            assert max(map(len, shards)) - min(map(len, shards)) <= 1  # and evenly spread


def test_sharded_scoring_merges_into_the_unsharded_metrics(tone_onnx, tone_corpus, tmp_path, capsys):
    import compute_metrics

    whole = tmp_path / "whole" / "m_predictions.csv"
    flags = ["--onnx", str(tone_onnx), "--data_root", str(tone_corpus), "--threads", "1"]
    assert infer_dataset.main(flags + ["--output_csv", str(whole)]) == 0
    shard_dir = tmp_path / "shards"
    shard_dir.mkdir()
    for i in range(3):  # the default name: <data_root>/<model>_predictions.shard<I>of<N>.csv, here under shard_dir
        out = prediction_csvs.shard_csv_path(shard_dir / "m_predictions.csv", i, 3)
        assert infer_dataset.main(flags + ["--num_shards", "3", "--shard_index", str(i), "--output_csv", str(out)]) == 0
        assert f"(shard {i} of 3)" in capsys.readouterr().out
    shards = [predictions_of(p) for p in sorted(shard_dir.glob("*.csv"))]
    assert [len(s) for s in shards] == [7, 7, 6]
    expected = predictions_of(whole)
    order = [r["path"] for r in expected]
    merged = sorted((r for s in shards for r in s), key=lambda r: order.index(r["path"]))
    assert [r["path"] for r in merged] == [r["path"] for r in expected]  # each clip exactly once
    for got, want in zip(merged, expected):
        assert float(got["prob_harmful"]) == pytest.approx(float(want["prob_harmful"]), abs=1e-6)
        assert (got["pred"], got["split"]) == (want["pred"], want["split"])

    def report(*args):
        compute_metrics.main([*map(str, args), "--no_plots", "--overwrite"])
        text = capsys.readouterr().out
        return [line for line in text.splitlines() if "source" not in line and not line.startswith("wrote")]
    from_shards = report("--data_root", shard_dir)  # found there and grouped by model name
    assert "== m ==" in from_shards and "balanced accuracy" in "\n".join(from_shards)
    assert from_shards == report(whole, "--output", tmp_path / "whole_metrics.txt")


@pytest.mark.parametrize("flags, message", [
    (["--num_shards", "0"], "--num_shards must be at least 1"),
    (["--num_shards", "3", "--shard_index", "3"], "--shard_index 3 is not a shard of --num_shards 3; use 0 to 2"),
    (["--shard_index", "-1", "--num_shards", "2"], "--shard_index -1 is not a shard of --num_shards 2"),
    (["--shard_index", "1"], "--shard_index 1 is not a shard of --num_shards 1"),
    (["--num_shards", "2", "--output_csv", "{tmp}/p.csv"],
     "a shard's CSV name must end in .shard0of2.csv (e.g. p.shard0of2.csv)"),
    (["--workers", "-1"], "--workers must be 0 (automatic) or more"),
    (["--threads", "-2"], "--threads must be 0 (automatic) or more"),
])
def test_bad_shard_and_worker_flags_are_usage_errors(tone_onnx, tone_corpus, tmp_path, flags, message):
    flags = [f.format(tmp=tmp_path) for f in flags]  # an --output_csv under tmp_path, not relative to the repo root
    proc = run_script("infer_dataset.py", "--onnx", tone_onnx, "--data_root", tone_corpus, *flags, check=False)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    # refused before anything was written: no predictions at the default place, nor at the --output_csv given
    assert not list(tone_corpus.glob("*predictions*"))
    assert list(tmp_path.iterdir()) == []


def test_worker_processes_score_exactly_like_one_process(tone_onnx, tone_corpus, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    labels = (tone_corpus / "labels.csv").read_text().splitlines()
    (data / "broken.flac").write_bytes(b"fLaC" + bytes(100))
    for row in labels[1:]:
        (data / row.split(",")[0]).parent.mkdir(exist_ok=True)
        (data / row.split(",")[0]).symlink_to(tone_corpus / row.split(",")[0])
    # the bad clip sits in the middle, so its chunk and the chunks around it still have to come back in order
    (data / "labels.csv").write_text("\n".join(labels[:8] + ["broken.flac,1"] + labels[8:]) + "\n")
    results = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}.csv"
        proc = run_script("infer_dataset.py", "--onnx", tone_onnx, "--data_root", data, "--output_csv", out,
                          "--workers", workers, "--threads", 1, "--batch_size", 3, check=False)
        assert proc.returncode == 1 and "1 failed" in proc.stdout and f"{workers} worker(s) x 1 thread(s)" in proc.stdout
        results[workers] = predictions_of(out)
    assert [r["path"] for r in results[2]] == [line.split(",")[0] for line in labels[1:8] + ["broken.flac,1"] + labels[8:]]
    assert results[1] == results[2]  # one thread each: the same arithmetic, so the very same digits
    [bad] = [r for r in results[2] if r["error"]]
    assert bad["path"] == "broken.flac" and bad["error"].startswith(f"{data / 'broken.flac'}: cannot decode audio")


def test_a_model_the_workers_cannot_load_fails_with_its_own_message(tone_onnx, tone_corpus, tmp_path):
    import onnx

    from scoring import read_metadata, set_metadata

    x = onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])
    y = onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])
    proto = onnx.helper.make_model(onnx.helper.make_graph([onnx.helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y]))
    set_metadata(proto, read_metadata(tone_onnx))
    onnx.save(proto, tmp_path / "fake.onnx")
    out = tmp_path / "p.csv"
    proc = run_script("infer_dataset.py", "--onnx", tmp_path / "fake.onnx", "--data_root", tone_corpus,
                      "--output_csv", out, "--workers", 2, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (f"error: {tmp_path / 'fake.onnx'}: has Helmit metadata but its graph takes ['x'] "
                                   "and returns ['y']; a Helmit model takes 'waveform' and returns 'logits' "
                                   "(export it with export_onnx.py)")
    assert not out.exists() and not list(tmp_path.glob(".p.csv*"))  # no half-written CSV, no temp file left


def test_shard_csv_names_group_under_the_model_name():
    name = prediction_csvs.shard_csv_path("data/cnn_predictions.csv", 2, 4)
    assert str(name) == "data/cnn_predictions.shard2of4.csv"
    assert prediction_csvs.model_name(name) == "cnn" and prediction_csvs.shard_of(name) == (2, 4)


def test_onnx_scoring_starts_without_torch(tone_onnx, tone_corpus, tmp_path):
    """infer.py and infer_dataset.py need only onnxruntime: importing torch cost 1.6-1.8 CPU-seconds
    a run, as long as scoring ~100 clips. A probe module records whether torch was imported."""
    import subprocess
    import sys

    from conftest import ROOT

    probe = tmp_path / "sitecustomize.py"
    probe.write_text("import atexit, sys\n"
                     "atexit.register(lambda: print('TORCH', 'torch' in sys.modules, file=sys.stderr))\n")
    env = {**__import__("os").environ, "PYTHONPATH": f"{tmp_path}:{ROOT}"}
    clip = next(tone_corpus.glob("*/*.wav"))
    for args in (["infer.py", "--audio_path", clip], ["infer_dataset.py", "--data_root", tone_corpus,
                                                     "--output_csv", tmp_path / "p.csv", "--workers", 2]):
        proc = subprocess.run([sys.executable, str(ROOT / args[0]), "--onnx", tone_onnx, *map(str, args[1:])],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "TORCH False" in proc.stderr and "TORCH True" not in proc.stderr, (args[0], proc.stderr[-500:])


def test_a_score_next_to_the_threshold_is_printed_with_the_digits_that_decide_it():
    result = {"path": "c.wav", "label": "harmful", "probability": 0.5132, "prob_harmful": 0.5132, "threshold": 0.5128,
              "duration_s": 2.0, "n_windows": 1, "warnings": [], "harmful_ranges": []}
    assert "P(harmful) 0.5132 vs threshold 0.5128" in infer.describe(result)
    assert "P(harmful) 0.70 vs threshold 0.51" in infer.describe(dict(result, prob_harmful=0.7, probability=0.7))
    assert infer.digits_apart(0.5, 0.5) == 2  # equal: harmful (>=), and no digits can show a difference
    # a threshold of 0.999 is not shown as 1.00, which would mean nothing is ever flagged
    assert "P(harmful) 0.700 vs threshold 0.999" in infer.describe(dict(result, prob_harmful=0.7, threshold=0.999))
    assert "vs threshold 0.0004" in infer.describe(dict(result, threshold=0.0004))


def test_no_model_given_and_none_at_the_default_says_it_was_a_default(tmp_path):
    for script in ("infer.py", "infer_dataset.py"):
        proc = subprocess.run([sys.executable, str(ROOT / script), "--audio_path" if script == "infer.py" else "--audio_dir",
                               str(tmp_path)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert (f"error: runs/lite_cnn.onnx: no model given, and none at this default (relative to {tmp_path}); "
                "pass --fusion DIR (a fused model) or --onnx FILE") in proc.stderr


def test_the_default_acoustic_model_is_never_written_over_by_its_own_predictions(tone_onnx, tone_corpus, tmp_path,
                                                                                 monkeypatch):
    """Without --onnx, the default model was filled in after the overwrite check: --output_csv naming it
    replaced the model with a CSV. Named explicitly, it was refused; now both are."""
    import shutil

    from utils_io import HelmitError

    model = tmp_path / "lite_cnn.onnx"
    shutil.copy(tone_onnx, model)
    monkeypatch.setattr(infer_dataset, "default_onnx", lambda: str(model))
    before = model.read_bytes()
    for flags in ([], ["--onnx", str(model)]):
        with pytest.raises(HelmitError, match="is also an input of this run"):
            infer_dataset.main(["--data_root", str(tone_corpus), "--output_csv", str(model), "--overwrite", *flags])
    assert model.read_bytes() == before
