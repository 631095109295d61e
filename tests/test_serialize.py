"""nn.serialize: JSON round trip, and every bad file rejected with the model left unchanged."""

import json

import pytest

from nn import MLP, SerializationError, load, save


@pytest.fixture
def model():
    return MLP(2, [3, 1], rng=0)


def test_round_trip(tmp_path, model):
    path = tmp_path / "m.json"
    save(model, path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "autograd_core.nn" and doc["version"] == 1 and doc["model"] == "MLP"
    other = MLP(2, [3, 1], rng=1)
    assert load(other, str(path)) is other
    assert other.state_dict() == model.state_dict()  # floats survive JSON exactly (repr round-trips)
    assert not list(tmp_path.glob("*.tmp"))


def write(path, doc):
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def good_doc(model):
    return {"format": "autograd_core.nn", "version": 1, "model": "MLP", "architecture": repr(model),
            "parameters": model.state_dict()}


@pytest.mark.parametrize("make, match", [
    (lambda m: "{not json", "not valid JSON"),
    (lambda m: "[1, 2]", "not an autograd_core.nn model file"),
    (lambda m: {**good_doc(m), "version": 99}, "version 99"),
    (lambda m: {**good_doc(m), "model": "Layer"}, "holds a 'Layer'"),
    (lambda m: {**good_doc(m), "architecture": repr(MLP(2, [3, 1], activation="tanh"))}, "different architecture"),
    (lambda m: {**good_doc(MLP(2, [4, 1])), "architecture": None}, "does not fit this model"),
    (lambda m: {**good_doc(m), "parameters": [1, 2]}, "no 'parameters'"),
    (lambda m: json.dumps(good_doc(m)).replace("0.0", "NaN", 1), "non-finite number NaN"),
    (lambda m: json.dumps(good_doc(m)).replace("0.0", "-Infinity", 1), "non-finite number -Infinity"),
    (lambda m: json.dumps(good_doc(m)).replace("0.0", "1e999", 1), "expected a finite number"),
    (lambda m: json.dumps(good_doc(m)).replace("0.0", '"0.5"', 1), "expected a finite number"),
])
def test_bad_files_raise_and_leave_model_unchanged(tmp_path, model, make, match):
    path = write(tmp_path / "bad.json", make(model))
    before = model.state_dict()
    with pytest.raises(SerializationError, match=match):
        load(model, path)
    assert model.state_dict() == before


def test_wrong_architecture_from_a_saved_file(tmp_path, model):
    save(MLP(2, [4, 4, 1]), tmp_path / "big.json")
    before = model.state_dict()
    with pytest.raises(SerializationError, match="different architecture"):
        load(model, tmp_path / "big.json")
    assert model.state_dict() == before


def test_missing_file(tmp_path, model):
    with pytest.raises(FileNotFoundError, match="no model file"):
        load(model, tmp_path / "nope.json")


def test_binary_garbage(tmp_path, model):
    (tmp_path / "x.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SerializationError):
        load(model, tmp_path / "x.json")


def test_save_refuses_non_finite_parameters(tmp_path, model):
    model.parameters()[0].data = float("nan")
    with pytest.raises(ValueError, match="not finite"):
        save(model, tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()
