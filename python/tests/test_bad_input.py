"""Bad input raises Python exceptions carrying the CLI's messages: dtypes,
shapes, NaN/Inf, spec keys; non-contiguous arrays are fine."""

import warnings

import numpy as np
import pytest

import gradflow as gf
from helpers import sine_data


@pytest.fixture(scope="module")
def xy():
    return sine_data(n=30, d0=4, dn=2, seed=1)


def test_float32_data_are_converted_with_a_warning(xy):
    X, Y = xy
    X32 = X.astype(np.float32)
    with pytest.warns(gf.DtypeWarning, match="data.x: float32 array converted to float64"):
        net32 = gf.LinearNetwork(X32, Y, hidden=[3])
        x0 = net32.init("gaussian", seed=1)
    net = gf.LinearNetwork(X32.astype(np.float64), Y, hidden=[3])
    assert net32.loss(x0) == net.loss(x0)


def test_int_data_are_converted_silently_as_the_cli_does(xy):
    _, Y = xy
    Xi = np.arange(120, dtype=np.int64).reshape(30, 4) % 7
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = gf.LinearNetwork(Xi, Y, hidden=[3])
        x0 = net.init("gaussian", seed=1)
    assert net.loss(x0) == gf.LinearNetwork(Xi.astype(float), Y, hidden=[3]).loss(x0)


@pytest.mark.parametrize("bad, dtype", [(lambda a: a + 1j, "<c16"), (lambda a: a.astype(object), "|O"),
                                        (lambda a: a > 0, "|b1")])
def test_complex_object_and_bool_arrays_are_refused(xy, bad, dtype):
    X, Y = xy
    with pytest.raises(TypeError, match=f"data.x: unsupported dtype '{dtype}' \\(expected little-endian "
                                        "float64 '<f8'; float32, int32 and int64 are converted\\)"):
        gf.LinearNetwork(bad(X), Y, hidden=[3]).dim()


def test_a_start_of_the_wrong_length_names_both_shapes(xy):
    net = gf.LinearNetwork(*xy, hidden=[3])  # dim 3·4 + 2·3 = 18
    with pytest.raises(ValueError, match=r"x has shape \(17,\) but the model's state has 18 entries"):
        net.loss(np.zeros(17))
    with pytest.raises(ValueError, match=r"holds a 17 x 1 array; expected a flat vector of 18 entries"):
        gf.gd(net, np.zeros(17), eta=0.1, steps=2)
    with pytest.raises(ValueError, match=r"W2 has shape \(3, 2\); expected \(2, 3\)"):
        net.pack([np.zeros((3, 4)), np.zeros((3, 2))])


def test_samples_that_do_not_match_name_both_counts(xy):
    X, Y = xy
    with pytest.raises(ValueError, match=r"X \(<numpy data.x>\) has 30 samples but Y \(<numpy data.y>\) "
                                         r"has 29"):
        gf.LinearNetwork(X, Y[:29], hidden=[3]).dim()


def test_nan_or_inf_anywhere_is_refused(xy):
    X, Y = xy
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"<numpy data.x>\" contains NaN or Inf: row 4, column 2"):
        gf.LinearNetwork(Xn, Y, hidden=[3]).dim()
    net = gf.LinearNetwork(X, Y, hidden=[3])
    x0 = net.init("gaussian", seed=2)
    x0[4] = np.inf
    with pytest.raises(ValueError, match="x0 contains NaN or Inf"):
        gf.integrate(net, x0, t_end=1.0)
    with pytest.raises(ValueError, match="x contains NaN or Inf"):
        net.gradient(x0)


def test_non_contiguous_arrays_are_accepted_and_read_correctly(xy):
    X, Y = xy
    wide = np.repeat(X, 2, axis=1)[:, ::2]          # strided view
    fortran = np.asfortranarray(Y)
    assert not wide.flags.c_contiguous and not fortran.flags.c_contiguous
    a = gf.LinearNetwork(wide, fortran, hidden=[3])
    b = gf.LinearNetwork(X.copy(), Y.copy(), hidden=[3])
    x0 = b.init("gaussian", seed=3)
    assert np.array_equal(a.gradient(x0), b.gradient(x0))
    x_strided = np.repeat(x0, 3)[::3]
    assert np.array_equal(a.gradient(x_strided), b.gradient(x0))
    assert np.array_equal(gf.gd(a, x_strided, eta=0.1, steps=5).states, gf.gd(b, x0, eta=0.1, steps=5).states)


def test_bad_spec_keys_raise_the_cli_message(cli, tmp_path):
    spec = tmp_path / "bad.json"
    spec.write_text('{"model": {"kind": "least_squares"}, "init": {"kind": "point", "value": 0},'
                    ' "t_end": 1, "runs": [{"integrator": "euler", "eta": -0.5}]}')
    p = cli("run", str(spec), "--out", str(tmp_path / "out"), check=False)
    assert p.returncode == 2
    message = p.stderr.strip().removeprefix("gradflow: error: ")
    with pytest.raises(gf.SpecError) as info:
        gf.run(spec)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_bad_keyword_values_name_the_key():
    with pytest.raises(ValueError, match=r"gradflow.gd\(\): key 'runs\[0\].eta': expected a positive number, got -0.1"):
        gf.gd(gf.WideSharp1D(), np.array([1.0]), eta=-0.1, t_end=1.0)
    with pytest.raises(ValueError, match=r"key 'runs\[0\].integrator': unknown value \"rk45\" \(valid: dopri5, "):
        gf.integrate(gf.WideSharp1D(), np.array([1.0]), t_end=1.0, method="rk45")
    with pytest.raises(ValueError, match="give either t_end or steps"):
        gf.gd(gf.WideSharp1D(), np.array([1.0]), eta=0.1, t_end=1.0, steps=3)
    with pytest.raises(ValueError, match="unknown flow"):
        gf.WideSharp1D().loss(np.array([1.0]), flow="nope")
