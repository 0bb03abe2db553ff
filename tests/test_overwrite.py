"""Existing outputs are never replaced silently: each stage stops, before any work, with
`<file>: exists; pass --overwrite to replace it`, and with --overwrite it replaces the file."""
import csv

import pytest

import compute_metrics
import export_onnx
import infer_dataset
import prep_dataset
import quantize_onnx
from conftest import run_script, saved, tiny_checkpoint
from utils_io import HelmitError, refuse_to_overwrite

OLD = "previous good output\n"


def existing(path):
    path.write_text(OLD)
    return path


def refused(path):
    return pytest.raises(HelmitError, match=rf"^{path}: exists; pass --overwrite to replace it$")


def test_refuse_to_overwrite(tmp_path):
    refuse_to_overwrite(tmp_path / "new.csv", overwrite=False)  # nothing there: fine
    with refused(existing(tmp_path / "old.csv")):
        refuse_to_overwrite(tmp_path / "old.csv", overwrite=False)
    refuse_to_overwrite(tmp_path / "old.csv", overwrite=True)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")  # a link is replaced too: refused
    with refused(tmp_path / "dangling"):
        refuse_to_overwrite(tmp_path / "dangling", overwrite=False)
    with pytest.raises(HelmitError, match=r"old\.csv: is also an input of this run"):
        refuse_to_overwrite(tmp_path / "old.csv", overwrite=True, inputs=[tmp_path / "x", tmp_path / "./old.csv"])
    (tmp_path / "out").mkdir()  # a folder where a file goes: --overwrite would not help, so it is not suggested
    with pytest.raises(HelmitError, match=r"out: is a directory; give a file name for the output"):
        refuse_to_overwrite(tmp_path / "out", overwrite=False)
    with refused(tmp_path / "out"):  # where the output is a folder
        refuse_to_overwrite(tmp_path / "out", overwrite=False, folder=True)


def test_an_output_that_could_not_be_written_is_refused_before_the_work(tone_onnx, tone_corpus, tmp_path):
    """infer_dataset.py scored a whole backlog and only then crashed with a traceback from mkdir."""
    (tmp_path / "a file").write_text("x")
    refuse_to_overwrite(tmp_path / "new" / "deeper" / "out.csv", overwrite=False)  # made when written: fine
    with pytest.raises(HelmitError, match=r"out\.csv: cannot be written: .*a file is a file, not a folder"):
        refuse_to_overwrite(tmp_path / "a file" / "sub" / "out.csv", overwrite=True)
    with pytest.raises(HelmitError, match=r"^/proc/helmit/out\.csv: cannot be written: /proc takes no new files"):
        refuse_to_overwrite("/proc/helmit/out.csv", overwrite=False)
    proc = run_script("infer_dataset.py", "--onnx", tone_onnx, "--data_root", tone_corpus, "--output_csv",
                      tmp_path / "a file" / "out.csv", check=False)
    assert proc.returncode == 1 and "is a file, not a folder" in proc.stderr and "scoring" not in proc.stderr


def test_an_audio_file_is_never_replaced_by_any_stage(tone_corpus, tmp_path):
    """A walkthrough wrote labels.csv, a checkpoint and ONNX files over its own clips with --overwrite."""
    import shutil

    clip = tmp_path / "harmful" / "clip001.wav"
    clip.parent.mkdir()
    shutil.copy(tone_corpus / "harmful" / "clip001.wav", clip)
    before = clip.read_bytes()
    with pytest.raises(HelmitError, match=rf"^{clip}: is an audio file, perhaps one of your clips; no stage replaces "
                                          "one, even with --overwrite"):
        refuse_to_overwrite(clip, overwrite=True)
    refuse_to_overwrite(tmp_path / "harmful" / "new.wav", overwrite=True)  # no file there: nothing to lose
    for script, flags in (("prep_dataset.py", ["--data_root", tmp_path, "--labels_csv", clip]),
                          ("train.py", ["--data_root", tone_corpus, "--ckpt", clip]),
                          ("export_onnx.py", ["--ckpt", tmp_path / "none.pt", "--onnx", clip]),
                          ("quantize_onnx.py", ["--onnx_in", tmp_path / "none.onnx", "--onnx_out", clip])):
        proc = run_script(script, *flags, "--overwrite", check=False)
        assert proc.returncode == 1 and f"error: {clip}: is an audio file" in proc.stderr, (script, proc.stderr)
    assert clip.read_bytes() == before


def test_a_folder_holding_an_input_or_not_a_model_is_never_replaced(tmp_path):
    project = tmp_path / "project"
    (project / "my_toxicity_model").mkdir(parents=True)
    (project / "notes.txt").write_text(OLD)
    with pytest.raises(HelmitError, match=rf"^{project}: holds {project / 'my_toxicity_model'}, an input of this run"):
        refuse_to_overwrite(project, overwrite=True, inputs=[project / "my_toxicity_model"])
    with pytest.raises(HelmitError, match=rf"^{project}: exists and is not a model this run writes \(no manifest.json\)"):
        refuse_to_overwrite(project, overwrite=True, model_marker="manifest.json")
    with pytest.raises(HelmitError, match=r"is not a model this run writes"):  # a file where a model folder goes
        refuse_to_overwrite(project / "notes.txt", overwrite=True, model_marker="manifest.json")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "manifest.json").write_text("{}")
    refuse_to_overwrite(tmp_path / "model", overwrite=True, model_marker="manifest.json")  # its own kind: replaced
    refuse_to_overwrite(tmp_path / "fresh", overwrite=False, model_marker="manifest.json")  # nothing there: fine


def test_train_text_never_replaces_the_model_it_starts_from_nor_a_folder(tmp_path):
    """--base a local model and --out over it, or over the folder holding it: the user's model would be gone."""
    mine = tmp_path / "keep" / "mytox"
    mine.mkdir(parents=True)
    (mine / "config.json").write_text("{}")
    for out in (mine, tmp_path / "keep"):
        proc = run_script("train_text.py", "--base", mine, "--out", out, "--overwrite", "--kind", "encoder",
                          check=False)
        assert proc.returncode == 1 and "an input of this run" in proc.stderr, proc.stderr
    folder = tmp_path / "somewhere"
    folder.mkdir()
    (folder / "notes.txt").write_text(OLD)
    proc = run_script("train_text.py", "--out", folder, "--overwrite", check=False)
    assert proc.returncode == 1 and "is not a model this run writes (no text_model.json)" in proc.stderr
    assert (mine / "config.json").read_text() == "{}" and (folder / "notes.txt").read_text() == OLD


def test_export_refuses_before_loading_anything(tmp_path):
    out = existing(tmp_path / "m.onnx")
    with refused(out):  # the checkpoint does not even exist: the check comes first
        export_onnx.main(["--ckpt", str(tmp_path / "missing.pt"), "--onnx", str(out)])
    assert out.read_text() == OLD


def test_export_with_overwrite_replaces(tone_corpus, tmp_path):
    ckpt = saved(tmp_path / "m.pt", tiny_checkpoint(tone_corpus))
    out = existing(tmp_path / "m.onnx")
    assert export_onnx.main(["--ckpt", str(ckpt), "--onnx", str(out), "--n_check", "1", "--overwrite"]) == 0
    assert out.read_bytes()[:1] != OLD[:1].encode() and out.stat().st_size > 10_000


def test_quantize_refuses_before_loading_anything(tmp_path):
    out = existing(tmp_path / "m_int8.onnx")
    with refused(out):
        quantize_onnx.main(["--onnx_in", str(tmp_path / "missing.onnx"), "--onnx_out", str(out)])
    with refused(out):  # the default output name is checked the same way
        quantize_onnx.main(["--onnx_in", str(tmp_path / "m.onnx")])
    assert out.read_text() == OLD


def test_infer_dataset_refuses_then_replaces(tone_onnx, tone_corpus, tmp_path):
    out = existing(tmp_path / "p.csv")
    with refused(out):
        infer_dataset.main(["--onnx", str(tmp_path / "missing.onnx"), "--data_root", str(tone_corpus),
                            "--output_csv", str(out)])
    assert out.read_text() == OLD
    assert infer_dataset.main(["--onnx", str(tone_onnx), "--data_root", str(tone_corpus), "--output_csv", str(out),
                               "--threads", "1", "--overwrite"]) == 0
    assert len(list(csv.DictReader(open(out)))) == 20


def test_infer_dataset_never_writes_over_its_labels(tone_onnx, tone_corpus, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text((tone_corpus / "labels.csv").read_text())
    with pytest.raises(HelmitError, match=r"labels\.csv: is also an input of this run"):
        infer_dataset.main(["--onnx", str(tone_onnx), "--data_root", str(tone_corpus), "--labels_csv", str(labels),
                            "--output_csv", str(labels), "--overwrite"])
    assert labels.read_text() == (tone_corpus / "labels.csv").read_text()


def test_transcribe_never_writes_over_its_labels(tone_corpus, tmp_path):
    """The labels.csv it reads was replaced by transcripts: its split and holdout columns gone, the next
    train.py would have trained on the held-out clips."""
    import transcribe

    labels = tmp_path / "labels.csv"
    labels.write_text((tone_corpus / "labels.csv").read_text())
    with pytest.raises(HelmitError, match=r"labels\.csv: is also an input of this run"):
        transcribe.main(["--data_root", str(tone_corpus), "--labels_csv", str(labels), "--output_csv", str(labels),
                         "--asr", "pocketsphinx", "--overwrite"])
    assert labels.read_text() == (tone_corpus / "labels.csv").read_text()


def test_train_text_never_writes_over_its_recognizer_transcripts(tmp_path):
    import train_text

    asr = tmp_path / "asr.csv"
    asr.write_text("id,text,label\n1,see you at practice,0\n")
    with pytest.raises(HelmitError, match=r"asr\.csv: is also an input of this run"):
        train_text.main(["--kind", "ngram", "--asr_transcripts", str(asr), "--out", str(asr), "--overwrite"])
    assert asr.read_text() == "id,text,label\n1,see you at practice,0\n"


def predictions(path):
    path.write_text("path,label,pred,prob,prob_harmful,split\n"
                    "a.wav,1,1,0.9,0.9,test\nb.wav,0,0,0.8,0.2,test\nc.wav,1,0,0.6,0.4,test\n")
    return path


@pytest.mark.parametrize("which", ["report", "plot"])
def test_compute_metrics_refuses_report_or_plot_then_replaces(tmp_path, capsys, which):
    csv_path = predictions(tmp_path / "cnn_predictions.csv")
    report, plot = tmp_path / "model_metrics.txt", tmp_path / "cnn_roc.png"
    blocking = existing(report if which == "report" else plot)
    with refused(blocking):
        compute_metrics.main([str(csv_path), "--output", str(report)])
    assert blocking.read_text() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["cnn_predictions.csv", blocking.name])  # nothing new
    assert compute_metrics.main([str(csv_path), "--output", str(report), "--overwrite"]) == 0
    assert "balanced accuracy" in report.read_text() and plot.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(HelmitError, match=r"cnn_predictions\.csv: is also an input of this run"):
        compute_metrics.main([str(csv_path), "--output", str(csv_path), "--overwrite", "--no_plots"])


def test_prep_refuses_before_decoding(tone_corpus, tmp_path, monkeypatch):
    data = tmp_path / "data"
    for cls in ("harmful", "safe"):
        (data / cls).mkdir(parents=True)
        for clip in sorted((tone_corpus / cls).iterdir())[:2]:
            (data / cls / clip.name).write_bytes(clip.read_bytes())
    labels = existing(data / "labels.csv")

    def no_decoding(paths, workers):
        raise AssertionError("decoded clips before checking the output")

    with monkeypatch.context() as m:
        m.setattr(prep_dataset, "decode_all", no_decoding)
        with refused(labels):
            prep_dataset.main(["--data_root", str(data)])
    assert labels.read_text() == OLD
    assert prep_dataset.main(["--data_root", str(data), "--overwrite"]) == 0
    assert labels.read_text().startswith("path,label,duration_s\n") and labels.read_text().count("\n") == 5


def test_cli_refusal_is_one_line_exit_1(tmp_path):
    out = existing(tmp_path / "m.onnx")
    proc = run_script("export_onnx.py", "--ckpt", tmp_path / "m.pt", "--onnx", out, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"error: {out}: exists; pass --overwrite to replace it"
    assert out.read_text() == OLD
