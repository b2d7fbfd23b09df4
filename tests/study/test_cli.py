"""The study command line: one-line errors with exit 2 before any training, --list-cells,
``report`` on a folder without a study, the --quick profile's settings."""

import pytest

from keras_medgan.cli import study as cli


def _err(capsys):
    return capsys.readouterr().err.strip().splitlines()


def test_too_few_images_is_one_line_exit_2(capsys):
    assert cli.main(["--data", "phantom:n=6", "--quick", "--out", "unused"]) == 2
    err = _err(capsys)
    assert err[-1].startswith("error: too few images for 3 folds")
    assert "normal (3 images, 3 patients)" in err[-1]


def test_recipe_that_does_not_fit_the_image_size(capsys):
    assert cli.main(["--data", "phantom", "--quick", "--image-size", "64", "--out", "x"]) == 2
    assert "cannot build image size 64" in _err(capsys)[-1]


def test_missing_recipe_file_and_bad_names(capsys, tmp_path):
    assert (
        cli.main(
            ["--data", "phantom", "--recipe", str(tmp_path / "no.yaml"), "--out", str(tmp_path)]
        )
        == 2
    )
    assert "not found" in _err(capsys)[-1]
    with pytest.raises(cli.StudyError, match="two recipes named"):
        cli.parse_recipes(["a=x.yaml", "a=y.yaml"])
    assert cli.parse_recipes(["dir/p1.yaml", "w=dir/w.yaml"]) == {
        "p1": "dir/p1.yaml",
        "w": "dir/w.yaml",
    }


def test_report_on_a_folder_without_a_study(capsys, tmp_path):
    assert cli.main(["report", "--out", str(tmp_path)]) == 2
    assert "holds no study" in _err(capsys)[-1]


def test_quick_profile_and_explicit_flags(tmp_path):
    args = cli.build_parser().parse_args(["--data", "phantom", "--quick", "--folds", "4"])
    config = cli.config_from_args(args, [])
    assert (config.folds, config.gan_epochs, config.train.classifier) == (4, 3, "small_cnn")
    assert config.recipes["p1_dcgan32_head_ct"].endswith(cli.DEFAULT_RECIPE)
    full = cli.config_from_args(cli.build_parser().parse_args(["--data", "head_ct"]), [])
    assert (full.folds, full.gan_epochs, full.train.classifier) == (5, None, "resnet50")
    # equal steps, three classifier seeds and a validation threshold by default
    assert (full.train.protocol, full.train.steps, full.train.seeds) == ("steps", 400, 3)
    assert full.train.threshold_rule == "youden"
    assert (config.train.steps, config.train.eval_every) == (60, 20)
    p1 = cli.config_from_args(
        cli.build_parser().parse_args(["--data", "head_ct", "--protocol", "p1", "--steps", "70"]),
        [],
    )
    assert (p1.train.protocol, p1.train.patience, p1.train.eval_every) == ("p1", 5, 35)


@pytest.mark.parametrize(
    "flags, flag",
    [
        (["--steps", "0"], "--steps"),
        (["--steps", "60", "--eval-every", "7"], "--eval-every"),
        (["--seeds", "0"], "--seeds"),
        (["--batch-size", "0"], "--batch-size"),
    ],
)
def test_classifier_settings_that_cannot_work_exit_2_naming_the_flag(capsys, flags, flag):
    rc = cli.main(["--data", "phantom", "--quick", *flags])
    err = capsys.readouterr().err
    assert rc == 2 and flag in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_list_cells_numbers_every_cell(capsys, tmp_path, tiny_arch):
    from tests.study.conftest import write_recipe

    recipe = write_recipe(tmp_path)
    assert (
        cli.main(
            [
                "--data",
                "phantom:n=40",
                "--recipe",
                recipe,
                "--folds",
                "2",
                "--out",
                str(tmp_path / "s"),
                "--list-cells",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 * (2 + 5 + 1)
    assert lines[0].split() == ["0", "todo", "r0-f0-gan-tiny-normal"]


def test_the_recorded_command_is_the_whole_study_not_one_shard():
    """Folds run as separate processes record one command: the one that runs them all."""
    argv = [
        "--data",
        "phantom",
        "--quick",
        "--out",
        "s",
        "--fold",
        "3",
        "--repeat=0",
        "--cells",
        "0-4",
    ]
    assert cli.study_command(argv) == "python -m keras_medgan.study --data phantom --quick --out s"


def test_fixed_generators_are_refused_with_the_leak_free_command(capsys, tmp_path):
    """A shipped model saw images other folds test on: one line, exit 2, nothing written,
    and the benchmark command (with the model's own split seed) that evaluates it."""
    assert (
        cli.main(["--data", "head_ct", "--generators", "p1_head_ct", "--out", str(tmp_path / "s")])
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "benchmark --generators p1_head_ct --split-seed 0" in err
    assert not (tmp_path / "s").exists()
