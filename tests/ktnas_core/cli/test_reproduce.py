"""``ktnas reproduce``: the table, the files of --out, --json and one-line errors."""

import json
import xml.etree.ElementTree as ET

import pytest

from ktnas_core.cli import main
from ktnas_core.experiments.reproduce import EXPERIMENTS, PAPER

TASKS = ["class_object", "class_scene", "room_layout"]
TOTAL_KTNAS_MAX = 150  # ktnas-xt's NB201 total on the reported seeds 0-99: 58.3 [58.1, 58.4] (docs/results/nb201.txt)


def test_reproduce_tnb101_writes_files(tmp_path, capsys):
    out = tmp_path / "o"
    argv = ["reproduce", "tnb101", "--seeds", "2", "--strategies", "ktnas,random", "--out", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr()
    assert text.err == ""  # no progress bar when stderr is not a terminal
    lines = text.out.splitlines()
    assert lines[0].startswith(EXPERIMENTS["tnb101"].caption)
    methods = [line.split()[0] for line in lines[2:] if line and line.split()[0] in ("ktnas", "random")]
    assert methods == ["ktnas", "random"]
    assert any(line.startswith("optimum (table)") for line in lines)
    assert "vs ktnas [95% CI]" in lines[1] and "Wilcoxon" in lines[0]
    assert f"{PAPER['tnb101']['random'][0]:g} (random search)" in text.out
    assert lines[-1].startswith("4 runs in ") and lines[-1].endswith(f"; files in {out}")

    assert sorted(p.name for p in out.iterdir()) == ["tnb101-best.svg", "tnb101-transfer-rank.svg",
                                                      "tnb101.json", "tnb101.txt"]
    result = json.loads((out / "tnb101.json").read_text(encoding="utf-8"))
    assert result["experiment"] == "tnb101" and result["seeds"] == 2
    assert result["strategies"] == ["ktnas", "random"]
    assert [(r["strategy"], r["seed"]) for r in result["runs"]] == [("ktnas", 0), ("ktnas", 1), ("random", 0),
                                                                    ("random", 1)]
    assert all(len(r["best_so_far"][t]) == 50 for r in result["runs"] for t in TASKS)
    summary = {row["method"]: row for row in result["summary"]}  # intervals and p-values travel with the runs
    assert summary["ktnas"]["test"] is None
    test = summary["random"]["test"]["rank"]
    assert test["n"] == 2 and 0 < test["p"] <= 1 and len(test["ci"]) == 2
    assert len(summary["random"]["stats"]["rank"]["ci"]) == 2

    txt = (out / "tnb101.txt").read_text(encoding="utf-8").splitlines()
    assert txt[0] == f"$ ktnas reproduce tnb101 --seeds 2 --strategies ktnas,random --out {out}"
    assert txt[0].startswith("$ ktnas reproduce tnb101 --seeds 2 ")
    # the printed table follows the command
    assert txt[1:-2] == lines[:-2] and txt[-2] == lines[-2] == ""
    assert txt[-1].endswith("s in all, --jobs 1")

    for name in ("tnb101-best.svg", "tnb101-transfer-rank.svg"):
        root = ET.fromstring((out / name).read_text(encoding="utf-8"))
        assert root.tag.endswith("svg")


def test_reproduce_json(capsys):
    assert main(["reproduce", "nb201", "--seeds", "2", "--strategies", "rea,ktnas-onehot", "--json"]) == 0
    text = capsys.readouterr()
    assert text.err == ""
    summary = json.loads(text.out)  # nothing but the JSON on stdout
    assert summary["experiment"] == "nb201" and summary["seeds"] == 2 and summary["seconds"] > 0
    rows = summary["rows"]
    assert [r["method"] for r in rows] == ["rea", "ktnas-onehot"]
    for r in rows:
        assert r["runs"] == 2 and r["not_found"] == 0
        assert set(r["tasks"]) == {"cifar10", "cifar100", "ImageNet16-120"}
        mean, sd = r["total"]
        assert mean >= 3 and sd >= 0


def test_reproduce_json_with_out_writes_files(tmp_path, capsys):
    out = tmp_path / "deep" / "er"
    assert main(["reproduce", "tnb101", "--seeds", "1", "--strategies", "rea", "--out", str(out), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["method"] for r in rows] == ["rea"]
    # no transfer strategy ran: no transfer chart
    assert sorted(p.name for p in out.iterdir()) == ["tnb101-best.svg", "tnb101.json", "tnb101.txt"]


@pytest.mark.parametrize("args, message", [
    (["--seeds", "0"], "--seeds 0 is out of range"),
    (["--jobs", "0"], "--jobs 0 is out of range"),
    (["--strategies", "ktnas,ktnas"], "--strategies 'ktnas,ktnas' must name each strategy once"),
    (["--strategies", "ktnas,"], "--strategies 'ktnas,' must name each strategy once"),
    (["--strategies", "bogus"], "strategy 'bogus' is not known"),
])
def test_one_line_errors(tmp_path, capsys, args, message):
    out = tmp_path / "o"
    assert main(["reproduce", "tnb101", "--out", str(out)] + args) == 2
    text = capsys.readouterr()
    assert text.out == ""
    assert text.err.startswith("ktnas: error: ") and message in text.err
    assert text.err.count("\n") == 1 and text.err.endswith("\n")
    assert not out.exists()  # fails before anything is written


def test_out_is_a_file(tmp_path, capsys):
    out = tmp_path / "file.txt"
    out.write_text("keep me", encoding="utf-8")
    assert main(["reproduce", "tnb101", "--seeds", "1", "--strategies", "random", "--out", str(out)]) == 2
    text = capsys.readouterr()
    assert text.out == ""
    assert text.err == f"ktnas: error: --out {str(out)!r} is a file; give a directory\n"
    assert out.read_text(encoding="utf-8") == "keep me"


def test_unknown_experiment_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["reproduce", "nb301"])
    assert info.value.code == 2
    assert "invalid choice: 'nb301'" in capsys.readouterr().err


def test_out_under_a_file_is_a_one_line_error(tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("", encoding="utf-8")
    out = blocker / "sub"
    assert main(["reproduce", "tnb101", "--seeds", "1", "--strategies", "random", "--out", str(out)]) == 2
    text = capsys.readouterr()
    assert text.out == ""
    assert text.err.startswith(f"ktnas: error: cannot write --out {str(out)!r}: ")
    assert text.err.count("\n") == 1


def test_reproduce_nb201_two_seeds_every_strategy(capsys):
    """The CI version of Table II: every strategy, 2 seeds; structure, and only the orderings that 100 seeds
    establish with a wide margin (docs/results.md)."""
    assert main(["reproduce", "nb201", "--seeds", "2", "--jobs", "2", "--json"]) == 0
    rows = {r["method"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    assert list(rows) == list(EXPERIMENTS["nb201"].strategies)
    for name, r in rows.items():
        assert r["runs"] == 2 and r["not_found"] == 0
        assert set(r["tasks"]) == {"cifar10", "cifar100", "ImageNet16-120"}
        assert (r["test"] is None) == (name == "ktnas")
        if name != "ktnas":
            assert r["test"]["total"]["n"] == 2 and 0 < r["test"]["total"]["p"] <= 1
    total = {name: r["total"][0] for name, r in rows.items()}
    assert total["ktnas"] < total["random"] / 20  # random search: thousands; KTNAS: tens
    assert total["ktnas"] < total["rea"] / 3
    assert max(total[n] for n in rows if n != "random") < total["random"] / 5
    assert total["ktnas-xt"] < TOTAL_KTNAS_MAX  # about 2.5 times its mean


def test_ablation_table_and_files(tmp_path, capsys):
    out = tmp_path / "a"
    assert main(["reproduce", "nb201", "--ablation", "--seeds", "2", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Ablation, nb201: evaluations to all three optima, 2 seeds each")
    steps = [line.split("  ")[0].strip() for line in lines[2:] if line and not line[0].isdigit()]
    assert steps[:3] == ["base searcher", "+ warm-up", "+ move proposal (Zero)"]
    assert sorted(p.name for p in out.iterdir()) == ["nb201-ablation.json", "nb201-ablation.txt"]
    result = json.loads((out / "nb201-ablation.json").read_text(encoding="utf-8"))
    assert [s["label"] for s in result["steps"]][:3] == steps[:3]
    assert result["steps"][0]["gain"] is None and result["steps"][1]["gain"]["n"] == 2
    assert main(["reproduce", "nb201", "--ablation", "--strategies", "ktnas"]) == 2
    assert "--ablation runs its own steps" in capsys.readouterr().err


def test_ablation_reuses_an_earlier_reproduce(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["reproduce", "nb201", "--seeds", "2", "--strategies", "zero-cost,random-transfer",
                 "--out", str(out), "--json"]) == 0
    capsys.readouterr()
    argv = ["reproduce", "nb201", "--ablation", "--seeds", "2", "--json"]
    assert main(argv + ["--reuse", str(out / "nb201.json"), "--out", str(out)]) == 0
    reused = json.loads(capsys.readouterr().out)
    assert main(argv) == 0
    fresh = json.loads(capsys.readouterr().out)
    assert [s["stats"] for s in reused["steps"]] == [s["stats"] for s in fresh["steps"]]  # the same records
    assert (out / "nb201-ablation.txt").read_text(encoding="utf-8").rstrip().endswith(
        f"4 of 16 runs taken from {out / 'nb201.json'}")
    assert main(argv + ["--reuse", str(tmp_path / "missing.json")]) == 2
    assert "cannot read --reuse" in capsys.readouterr().err
    assert main(["reproduce", "tnb101", "--ablation", "--seeds", "1", "--reuse", str(out / "nb201.json")]) == 2
    assert "reuse must be a reproduce result of experiment 'tnb101'" in capsys.readouterr().err


def test_reuse_reads_the_table_again_against_another_reference(tmp_path, capsys):
    """--reuse without --ablation runs nothing: the stored runs, tested against --reference."""
    out = tmp_path / "r"
    assert main(["reproduce", "tnb101", "--seeds", "2", "--strategies", "ktnas,rea,random", "--out", str(out),
                 "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    stored = out / "tnb101.json"
    before = stored.read_bytes()
    argv = ["reproduce", "tnb101", "--reuse", str(stored), "--out", str(out)]
    assert main(argv + ["--reference", "rea", "--strategies", "rea,random"]) == 0
    text = capsys.readouterr().out
    assert "vs rea [95% CI]" in text.splitlines()[1] and "ktnas " not in text
    assert text.rstrip().endswith(f"4 runs from {stored}; files in {out}")
    assert (out / "tnb101-vs-rea.txt").read_text(encoding="utf-8").startswith("$ ktnas reproduce tnb101 --reuse")
    assert stored.read_bytes() == before  # the runs are not written again

    assert main(argv + ["--json"]) == 0  # the default reference gives back the first summary
    again = json.loads(capsys.readouterr().out)
    assert again["rows"] == first["rows"] and again["reference"] == "ktnas"

    assert main(argv + ["--seeds", "5"]) == 2  # the stored runs have 2 seeds: no silent mismatch
    assert "--seeds 5 does not match the 2 seeds stored in" in capsys.readouterr().err
    assert main(argv + ["--reference", "emtnas"]) == 2
    assert "--reference 'emtnas' did not run; choose one of ['ktnas', 'rea', 'random']" in capsys.readouterr().err
    assert main(argv + ["--strategies", "ktnas,emtnas"]) == 2
    assert "strategies ['emtnas'] did not run in the stored result" in capsys.readouterr().err
    assert main(["reproduce", "tnb101", "--ablation", "--reference", "rea"]) == 2
    assert "drop --reference" in capsys.readouterr().err
