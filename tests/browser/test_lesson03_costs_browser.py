"""Lesson 03's three cost calculators in a browser: what is typed, stepped and chosen reaches
the cost functions, and the page shows what they return for the same inputs."""

import re

import pytest

from course_utils import (api_cost_per_query_for, assumption, dataset_tokens, estimate_training_memory,
                          find_price, gpu_training_cost, load_prices, low_high,
                          managed_training_cost, monthly_hosting_cost, money, pick_gpu, rate_of,
                          throughput_for, total_cost_of_ownership, training_hours)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def hourly(provider, gpu):
    return rate_of(find_price(provider, gpu, "$/hour"))


# --- managed API ------------------------------------------------------------------------------


def managed_rows(calc):
    """{offer: training cost} as the page's table shows them."""
    table = calc.html("training tokens").locator("tr")
    rows = [[c.inner_text().strip() for c in tr.locator("td").all()] for tr in table.all()]
    return {r[0]: r[2] for r in rows if r}


def managed_expected(n, tokens, epochs, include_closed=True):
    return {r.label(): money(managed_training_cost(n, tokens, rate_of(r), epochs))
            for r in load_prices() if r.kind == "managed_training"
            and (include_closed or not r.closed_to_new_users)}


def test_managed_api_calculator_prices_what_was_typed(open_calculator):
    calc = open_calculator("managed_api")
    calc.screenshot("before")
    assert managed_rows(calc) == managed_expected(50_000, 512, 1)
    chart_before = calc.chart_png()

    calc.type_number("examples", 20_000)
    calc.type_number("tokens/example", 800)
    calc.press_keys("epochs", "ArrowUp")                        # 1 -> 2
    calc.screenshot("after")
    assert managed_rows(calc) == managed_expected(20_000, 800, 2)
    assert f"{dataset_tokens(20_000, 800, 2) / 1e6:,.2f}M training tokens" in \
        calc.html("training tokens").inner_text()
    assert calc.chart_png() != chart_before, "the bars did not change"

    calc.click_checkbox("show offers closed to new users")     # on -> off
    assert managed_rows(calc) == managed_expected(20_000, 800, 2, include_closed=False)


# --- GPU rental ---------------------------------------------------------------------------------

GPU_RESULT = re.compile(r"([\d,.]+)M tokens at ([\d,]+) tokens/s → ([\d,.]+) GPU-hours on (.+?) → "
                        r"(\S+) at (.+?) \(")


def rental_shown(calc):
    """(tokens/s, GPU-hours, GPU, cost, provider) as the page shows them."""
    text = calc.html("GPU-hours").inner_text()
    m = GPU_RESULT.search(text)
    assert m, f"unexpected GPU rental result: {text!r}"
    return int(m.group(2).replace(",", "")), m.group(3), m.group(4), m.group(5), m.group(6)


def rental_expected(n, tokens, epochs, tokens_per_second, gpu, provider):
    hours = training_hours(dataset_tokens(n, tokens, epochs), tokens_per_second)
    return (tokens_per_second, f"{hours:,.2f}", gpu,
            money(gpu_training_cost(hours, hourly(provider, gpu))), provider)


def published(gpu):
    return round(throughput_for(gpu, "qlora").tokens_per_second_per_gpu)


def test_gpu_rental_calculator_follows_the_offer_and_the_throughput(open_calculator):
    calc = open_calculator("gpu_rental")
    calc.screenshot("before")
    best = pick_gpu(estimate_training_memory("Qwen2.5-7B-Instruct", "qlora", seq_len=512,
                                             batch_size=8)).best
    assert rental_shown(calc) == rental_expected(50_000, 512, 1, published(best.gpu), best.gpu,
                                                 best.provider)
    chart_before = calc.chart_png()

    calc.type_number("examples", 20_000)
    calc.type_number("tokens/example", 1024)
    calc.press_keys("epochs", "ArrowUp", "ArrowUp")             # 1 -> 3
    a100 = next(o for o in calc.options("GPU offer")
                if o.startswith("A100 80GB") and "RunPod Community" in o)
    calc.choose("GPU offer", a100)                              # fills in its published tokens/s
    assert rental_shown(calc) == rental_expected(20_000, 1024, 3, published("A100 80GB"),
                                                 "A100 80GB", "RunPod Community")

    calc.type_number("tokens/s/GPU", 1500)                      # a throughput of one's own
    calc.screenshot("after")
    assert rental_shown(calc) == rental_expected(20_000, 1024, 3, 1500, "A100 80GB",
                                                 "RunPod Community")
    assert calc.chart_png() != chart_before, "the offers chart did not change"


# --- TCO ----------------------------------------------------------------------------------------


def tco_shown(calc):
    """(months, TCO, API $ per query) as the page shows them."""
    text = calc.html("TCO over").inner_text()
    tco = re.search(r"TCO over (\d+) months: (\S+)", text)
    api = re.search(r"API: (\S+) per query", text)
    assert tco and api, f"unexpected TCO result: {text!r}"
    return int(tco.group(1)), tco.group(2), api.group(1)


def tco_expected(months, retrain, input_tokens, training, hours=4.0):
    a100 = ("RunPod Community", "A100 80GB")
    hosting = monthly_hosting_cost(hourly(*a100), low_high(assumption("hours_per_month"))[0])
    tco = total_cost_of_ownership(months, gpu_training_cost(hours, hourly(*training)), hosting,
                                  retrain=retrain)
    per_query = api_cost_per_query_for("OpenAI", "GPT-4.1 mini", input_tokens, 200)
    return months, money(tco.total), money(per_query)


def test_tco_calculator_adds_up_what_was_set(open_calculator):
    calc = open_calculator("tco")
    calc.screenshot("before")
    best = pick_gpu(estimate_training_memory("Qwen2.5-7B-Instruct", "qlora", seq_len=512,
                                             batch_size=8)).best
    training = (best.provider, best.gpu)
    assert tco_shown(calc) == tco_expected(12, "quarterly", 500, training)
    chart_before = calc.chart_png()

    calc.press_keys("months", *["ArrowRight"] * 6)              # 12 -> 18
    assert calc.slider_value("months") == "18"
    calc.choose("retrain", "monthly")
    calc.type_number("input tokens/query", 1000)
    calc.screenshot("after")
    assert tco_shown(calc) == tco_expected(18, "monthly", 1000, training)
    assert calc.chart_png() != chart_before, "the TCO charts did not change"
