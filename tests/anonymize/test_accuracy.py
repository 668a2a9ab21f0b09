from typer.testing import CliRunner

from anonymize.accuracy import CHECKSUM_KINDS, evaluate, labelled_corpus
from anonymize.detect import ColumnKind
from market.shell.cli import app


def test_checksum_kinds_reach_99_percent_on_the_corpus() -> None:
    scores = {score.kind: score for score in evaluate(300, seed=3)}
    for kind in CHECKSUM_KINDS:
        assert scores[kind].precision >= 0.99, scores[kind]
        assert scores[kind].recall >= 0.99, scores[kind]


def test_the_corpus_holds_near_misses_labelled_other() -> None:
    values, labels = labelled_corpus(50, seed=1)
    others = [v for v, label in zip(values, labels, strict=True) if label is ColumnKind.OTHER]
    assert len(others) > 50 * 5
    assert len(set(labels)) == 14  # 13 kinds and other


def test_the_accuracy_command_prints_every_kind() -> None:
    result = CliRunner().invoke(app, ["anonymize", "accuracy", "--per-kind", "100"])
    assert result.exit_code == 0, result.output
    for kind in ("resident_id", "uscc", "bank_card", "address", "precision"):
        assert kind in result.output
