"""Configuration parsing and validation: every bad value is named with what is allowed."""

import pytest
from hypothesis import given, strategies as st

from xortui.engine.config import FIELDS, ConfigError, ExperimentConfig, parse_hidden_from_layers
from xortui.engine.presets import PRESETS


def test_presets_are_the_lectures_experiments():
    assert PRESETS["xor-single-layer"].config.layers == (2, 1)
    assert PRESETS["xor-nn"].config.layers == (2, 2, 1)
    assert PRESETS["xor-wide-deep"].config.layers == (2, 10, 10, 10, 1)
    for name in ("xor-single-layer", "xor-nn", "xor-wide-deep"):
        c = PRESETS[name].config
        assert (c.activation, c.lr, c.steps, c.seed, c.log_every) == ("sigmoid", 1.0, 10001, 777, 100)


def test_layer_list():
    assert parse_hidden_from_layers("2,10,10,10,1") == (10, 10, 10)
    assert parse_hidden_from_layers("2, 1") == ()


@pytest.mark.parametrize(
    "field, text, message",
    [
        ("lr", "abc", "'abc' is not a number"),
        ("lr", "0", "must be a number above 0 and at most 1e+06 (got 0)"),
        ("lr", "nan", "must be a number above 0"),
        ("steps", "", "needs a whole number from 1 to 1,000,000,000"),
        ("steps", "-5", "must be from 1 to 1,000,000,000 (got -5)"),
        ("steps", "1e12", "must be from 1 to 1,000,000,000 (got 1,000,000,000,000)"),
        ("steps", "2.5", "'2.5' is not a whole number"),
        ("width", "10000000", "must be from 1 to 4,096 (got 10,000,000)"),
        ("depth", "10000", "must be from 0 to 64 (got 10,000)"),
        ("activation", "swish2", "'swish2' is not one of: sigmoid, tanh, relu"),
        ("device", "tpu", "'tpu' is not one of: auto, cpu, cuda"),
        ("layers", "3,2,1", "must start with 2: the xor task has 2 inputs"),
        ("layers", "2,2,2", "must end with 1: one output unit"),
        ("layers", "2,x,1", "'x' is not a whole number"),
        ("layers", "2", "needs at least inputs and output"),
        ("layers", "2,,1", "'2,,1' has an empty item"),
        ("layers", "2,0,1", "hidden widths must be from 1 to 4,096 (got 0)"),
    ],
)
def test_bad_values_name_what_is_allowed(field, text, message):
    with pytest.raises(ConfigError) as caught:
        FIELDS[field].parse(text)
    assert caught.value.field == field
    assert message in caught.value.message


def test_whole_config_limits():
    with pytest.raises(ConfigError, match="parameters is too many"):
        ExperimentConfig(hidden=(4096, 4096, 4096)).validate()
    assert ExperimentConfig(steps=1e4.__int__()).validate().steps == 10000


@given(st.sampled_from(sorted(FIELDS)), st.one_of(st.text(max_size=30), st.floats().map(str), st.integers().map(str)))
def test_only_documented_errors_come_out(field, text):
    try:
        FIELDS[field].parse(text)
    except ConfigError as error:
        assert error.field == field
        assert error.message and "\n" not in error.message
