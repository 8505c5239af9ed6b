"""Expression conditioning (`ModelConfig.expression`, core/models/expression.py): the measured code
steers the output, the swap uses the head's prediction, every part learns, the peer refuses it."""
import pytest
import torch

from facegraft.core.errors import ModelMismatchError
from facegraft.core.models.config import ModelConfig
from facegraft.core.models.expression import EXPRESSION_DIMS
from facegraft.core.models.files import load_model, save_model
from facegraft.core.models.registry import create_model
from facegraft.core.train.losses import expression_loss

TINY = dict(encoder_width=8, bottleneck_dims=32, decoder_width=8, decoder_depth=1)


@pytest.fixture(params=["df", "liae"])
def net(request: pytest.FixtureRequest) -> torch.nn.Module:
    torch.manual_seed(0)
    return create_model(ModelConfig(request.param, expression=True, **TINY)).eval()


def test_forward_returns_the_heads_prediction(net: torch.nn.Module) -> None:
    with torch.no_grad():
        out = net(torch.rand(3, 3, 64, 64), torch.rand(2, 3, 64, 64))
    assert out.expression_a.shape == (3, EXPRESSION_DIMS) and out.expression_b.shape == (2, EXPRESSION_DIMS)
    plain = create_model(ModelConfig(net.config.architecture, **TINY))
    with torch.no_grad():
        unconditioned = plain(torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 64))
    assert unconditioned.expression_a is None and unconditioned.expression_b is None


def test_measured_code_steers_the_faces(net: torch.nn.Module) -> None:
    a, b = torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64)
    closed, wide = torch.zeros(2, EXPRESSION_DIMS), torch.zeros(2, EXPRESSION_DIMS)
    closed[:, 0], wide[:, 0] = -1.0, 3.0  # mouth opening
    with torch.no_grad():
        shut = net(a, b, closed, closed)
        opened = net(a, b, wide, wide)
        again = net(a, b, closed, closed)
    assert torch.equal(shut.faces_a, again.faces_a)
    assert float((shut.faces_a - opened.faces_a).abs().max()) > 1e-4
    assert float((shut.faces_b - opened.faces_b).abs().max()) > 1e-4
    assert torch.equal(shut.expression_a, opened.expression_a)  # the head reads the image only


def test_unknown_measured_rows_and_the_swap_use_the_prediction(net: torch.nn.Module) -> None:
    a, b = torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        free = net(a, b)
        nan = torch.full((2, EXPRESSION_DIMS), float("nan"))
        unknown = net(a, b, nan, nan)
        faces, masks = net.swap(b)
        # decoder A on B's code with B's predicted expression, through forward: a = b
        through_forward = net(b, b, free.expression_b, free.expression_b)
    assert torch.allclose(free.faces_a, unknown.faces_a, atol=1e-6)
    assert torch.allclose(faces, through_forward.faces_a, atol=1e-5)


def test_every_part_learns(net: torch.nn.Module) -> None:
    net.train()
    measured = torch.tensor([[0.5, -0.2, 0.0, 1.0], [float("nan")] * 4])
    out = net(torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64), measured, measured)
    loss = (out.faces_a.mean() + out.masks_a.mean() + out.faces_b.mean() + out.masks_b.mean()
            + expression_loss(out.expression_a, measured) + expression_loss(out.expression_b, measured))
    loss.backward()
    missing = [n for n, p in net.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()
               or float(p.grad.abs().max()) == 0.0]
    assert missing == []


def test_expression_loss_ignores_unknown_entries() -> None:
    predicted = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    measured = torch.tensor([[1.0, float("nan")], [5.0, float("nan")]])
    loss = expression_loss(predicted, measured)
    assert float(loss.detach()) == pytest.approx(2.0)  # (0 + 4) / 2 known entries
    loss.backward()
    assert torch.equal(predicted.grad[:, 1], torch.zeros(2))
    none_known = expression_loss(predicted, torch.full((2, 2), float("nan")))
    assert float(none_known.detach()) == 0.0 and none_known.requires_grad


def test_round_trip_keeps_the_conditioning(net: torch.nn.Module, tmp_path) -> None:
    save_model(net, net.config, tmp_path, training_state={})
    loaded = load_model(tmp_path)
    assert loaded.config.expression
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        expected = net.swap(x)
    assert torch.equal(loaded.swap(x)[0], expected[0])


def test_the_peer_baseline_refuses_it() -> None:
    with pytest.raises(ModelMismatchError, match="expression"):
        create_model(ModelConfig("original", expression=True))
