"""A run on a spot GPU: the seeds' discount, minus the time checkpoints and preemptions add."""

from __future__ import annotations

import pytest

from course_utils.plan import costs as C


def test_one_setting_by_hand():
    # 10 h on demand, 1,000 steps (36 s each): a save every 100 steps = 10 saves x 36 s = 0.1 h;
    # 2 preemptions x half an interval (50 steps x 36 s = 0.5 h) = 1 h of lost work
    est = C.spot_training_cost(10, 2.0, 1000, save_seconds=36, preemptions=2,
                               checkpoint_every=100, discount=0.5)
    assert est.checkpoints == (10, 10)
    assert est.save_hours == pytest.approx((0.1, 0.1))
    assert est.lost_hours == pytest.approx((1.0, 1.0))
    assert est.hours == pytest.approx((11.1, 11.1))
    assert est.cost == pytest.approx((11.1, 11.1))           # 11.1 h x $2.00 x (1 - 0.5)
    assert est.on_demand_cost == 20.0
    assert est.overhead == pytest.approx((0.11, 0.11))


def test_ranges_take_the_shortest_and_the_longest_run():
    # rare checkpoints save time when nothing is preempted and lose more when something is:
    # the hours are not monotonic in the interval, so every combination of the ends counts
    est = C.spot_training_cost(10, 2.0, 1000, save_seconds=36, preemptions=(0, 2),
                               checkpoint_every=(100, 200), discount=(0.6, 0.8))
    assert est.checkpoints == (5, 10)
    assert est.hours == pytest.approx((10.05, 12.05))        # every 200, 0 | every 200, 2
    assert est.cost == pytest.approx((10.05 * 2 * 0.2, 12.05 * 2 * 0.4))
    assert est.cost.high < est.on_demand_cost                 # still cheaper than on demand


def test_defaults_are_the_seeds_discount_and_interval():
    est = C.spot_training_cost(4, 1.64, C.training_steps(20_000, 8, 2), 30, 1)
    assert est.discount == C.assumption("spot_discount") == C.Range(0.6, 0.8)
    assert est.checkpoint_every == C.assumption("checkpoint_every_steps") == C.Range(100, 200)
    assert est.steps == 5000 and est.checkpoints == (25, 50)


def test_preempted_often_enough_spot_is_dearer():
    est = C.spot_training_cost(10, 2.0, 1000, 60, preemptions=40, checkpoint_every=1000,
                               discount=0.6)
    assert est.hours.low == pytest.approx(10 + 1 / 60 + 40 * 5)  # each loses half the run
    assert est.cost.low > est.on_demand_cost


def test_training_steps():
    assert C.training_steps(20_000, 8, 2) == 5000
    assert C.training_steps(10, 3) == 4                      # the last, partial batch is a step


@pytest.mark.parametrize("call, arg", [
    (lambda: C.spot_training_cost(10, 2, 1000, 30, 1, discount=1.0), "discount"),
    (lambda: C.spot_training_cost(10, 2, 1000, 30, 1, discount=-0.1), "discount"),
    (lambda: C.spot_training_cost(10, 2, 0, 30, 1), "steps"),
    (lambda: C.spot_training_cost(10, 2, 1000, -1, 1), "save_seconds"),
    (lambda: C.spot_training_cost(10, 2, 1000, 30, -1), "preemptions"),
    (lambda: C.spot_training_cost(10, 2, 1000, 30, 1, checkpoint_every=0), "checkpoint_every"),
    (lambda: C.spot_training_cost(0, 2, 1000, 30, 1), "hours"),
    (lambda: C.training_steps(100, 0), "examples_per_step"),
])
def test_bad_arguments_are_named(call, arg):
    with pytest.raises(C.CostInputError, match=rf"argument '{arg}"):
        call()
