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
    return {
        "format": "autograd_core.nn",
        "version": 1,
        "model": "MLP",
        "architecture": repr(model),
        "parameters": model.state_dict(),
    }


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda m: "{not json", "not valid JSON"),
        (lambda m: "[1, 2]", "not an autograd_core.nn model file"),
        (lambda m: {**good_doc(m), "version": 99}, "version 99"),
        (lambda m: {**good_doc(m), "model": "Layer"}, "holds a 'Layer'"),
        (lambda m: {**good_doc(m), "architecture": repr(MLP(2, [3, 1], activation="tanh"))}, "different architecture"),
        (lambda m: {**good_doc(MLP(2, [4, 1])), "architecture": None}, "does not fit this model"),
        (lambda m: {**good_doc(m), "parameters": [1, 2]}, "no 'parameters'"),
        (lambda m: json.dumps(good_doc(m)).replace("0.0", "NaN", 1), "non-finite number NaN"),
        (lambda m: json.dumps(good_doc(m)).replace("0.0", "-Infinity", 1), "non-finite number -Infinity"),
        (lambda m: json.dumps(good_doc(m)).replace("0.0", "1e999", 1), "number 1e999 does not fit a float64"),
        (lambda m: json.dumps(good_doc(m)).replace("0.0", '"0.5"', 1), "expected a finite number"),
    ],
)
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


# ---- safe saving (issue 10 item 6) -----------------------------------------------------------------------


def test_a_link_planted_at_the_old_temp_name_is_not_followed(tmp_path, model):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "m.json.tmp").symlink_to(victim)
    save(model, tmp_path / "m.json")
    assert victim.read_text() == "precious"
    assert (tmp_path / "m.json.tmp").is_symlink()  # left as it was
    assert load(MLP(2, [3, 1], rng=1), tmp_path / "m.json").state_dict() == model.state_dict()


def test_saving_through_a_symlink_writes_the_file_it_points_to(tmp_path, model):
    real = tmp_path / "models" / "real.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    save(model, link)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert json.loads(real.read_text())["parameters"] == model.state_dict()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["link.json", "models", "real.json"]


def test_saving_keeps_the_permissions_of_an_existing_file(tmp_path, model):
    path = tmp_path / "m.json"
    path.write_text("{}")
    path.chmod(0o600)
    save(model, path)
    assert path.stat().st_mode & 0o777 == 0o600


def test_saving_to_a_directory_is_a_clear_error_and_leaves_nothing(tmp_path, model):
    target = tmp_path / "dir"
    target.mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory"):
        save(model, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir"] and not list(target.iterdir())


def test_saving_into_a_missing_directory_names_it(tmp_path, model):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save(model, tmp_path / "nope" / "m.json")


def test_a_failed_write_leaves_no_temporary_file(tmp_path, model, monkeypatch):
    import os

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space left"):
        save(model, tmp_path / "m.json")
    assert list(tmp_path.iterdir()) == []


def test_concurrent_saves_and_loads_never_see_a_partial_file(tmp_path):
    """Two writers and a reader on one path: every load sees one whole file (atomic replace), no save
    collides with another (unique temporary names), nothing is left behind."""
    import threading

    path = tmp_path / "m.json"
    models = [MLP(2, [8, 8, 1], rng=seed) for seed in (1, 2)]
    states = [m.state_dict() for m in models]
    save(models[0], path)
    errors, seen = [], []

    def writer(m):
        try:
            for _ in range(40):
                save(m, path)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    def reader():
        try:
            for _ in range(80):
                seen.append(load(MLP(2, [8, 8, 1]), path).state_dict())
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(m,)) for m in models] + [threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert all(s in states for s in seen) and len(seen) == 80
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


# ---- malformed files (issue 10 item 7) -------------------------------------------------------------------


def _doc_text(model, first_value):
    doc = json.dumps(good_doc(model))
    key = next(iter(model.state_dict()))
    start = doc.index(f'"{key}": ') + len(f'"{key}": ')
    end = doc.index(",", start)
    return doc[:start] + first_value + doc[end:]


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda m: _doc_text(m, "1" * 400), "400-digit number"),
        (lambda m: _doc_text(m, "1" * 5000), "5000-digit number"),
        (lambda m: _doc_text(m, "-" + "9" * 5000 + ".5"), "number .* does not fit a float64"),
        (lambda m: _doc_text(m, "1e400"), "number 1e400 does not fit a float64"),
        (lambda m: _doc_text(m, "[" * 100_000 + "]" * 100_000), "nested too deeply"),
        (lambda m: "[" * 100_000, "nested too deeply"),
        (lambda m: _doc_text(m, "true"), "expected a finite number"),
        (lambda m: _doc_text(m, "null"), "expected a finite number"),
        (lambda m: _doc_text(m, "[1.0]"), "expected a finite number"),
        (lambda m: _doc_text(m, '{"a": 1}'), "expected a finite number"),
        (lambda m: {**good_doc(m), "format": ["autograd_core.nn"]}, "not an autograd_core.nn model file"),
        (lambda m: {**good_doc(m), "version": "1"}, "version '1'"),
        (lambda m: {**good_doc(m), "version": True}, "version True"),  # == 1 in Python, but not the integer 1
        (lambda m: {**good_doc(m), "version": 1.0}, "version 1.0"),
        (lambda m: {**good_doc(m), "model": 3}, "holds a 3"),
        (lambda m: {**good_doc(m), "architecture": {"a": 1}}, "'architecture' must be a string"),
        (lambda m: {**good_doc(m), "parameters": "all"}, "no 'parameters'"),
        (lambda m: json.dumps(good_doc(m))[:-1] + ', "version": 1}', "key 'version' appears twice"),
        (lambda m: "", "not valid JSON"),
        (lambda m: "1" * 5000, "5000-digit number"),
    ],
)
def test_malformed_files_raise_serialization_error(tmp_path, model, make, match):
    path = write(tmp_path / "bad.json", make(model))
    before = model.state_dict()
    with pytest.raises(SerializationError, match=match) as info:
        load(model, path)
    assert isinstance(info.value, ValueError)
    assert model.state_dict() == before


def test_long_but_finite_numbers_load(tmp_path, model):
    """A 300-digit integer or a 5,000-digit decimal is a float64 all the same."""
    path = write(tmp_path / "ok.json", _doc_text(model, "0." + "3" * 5000))
    assert load(model, path).parameters()[0].data == pytest.approx(1 / 3)
    path = write(tmp_path / "ok.json", _doc_text(model, "1" + "0" * 299))
    assert load(model, path).parameters()[0].data == 1e299
