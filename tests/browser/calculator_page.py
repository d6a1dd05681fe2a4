"""One calculator served by Voila, driven in Chromium the way a learner drives it.

`CalculatorPage` finds controls by the label a learner reads, types with the keyboard, clicks,
moves sliders with the arrow keys, and waits for the kernel's answer: every control change
redraws the calculator's chart, so a new chart image is the signal that the result text is
the new one. Screenshots go to build/browser/ as artifacts of the run.

What this leaves out: starting the server and the browser (conftest.py beside this file) and
what the numbers should be (the test files compare them with the course's functions).
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

# Kernel round trips on a busy 2-core machine: a few seconds at most, 30 s is a hang.
UPDATE_TIMEOUT_MS = 30_000
ERROR_OUTPUT = "[data-mime-type='application/vnd.jupyter.stderr']"


class CalculatorError(AssertionError):
    """The notebook behind the page raised, or the calculator never appeared."""


class CalculatorPage:
    """A Voila page showing one calculator (a VBox of controls, HTML results and a chart)."""

    def __init__(self, page: Page, name: str, shots: Path):
        self.page, self.name, self.shots = page, name, shots

    # --- loading ----------------------------------------------------------------------------

    def load(self, url: str, timeout_ms: int = 60_000) -> "CalculatorPage":
        """Open `url` and wait for the calculator's chart, or fail with the kernel's error.

        A page whose kernel never answers (a kernel start lost on a machine busy with other
        kernels) is loaded once more, and the retry is written to build/browser/retries.txt;
        a second silence, or any error the notebook prints, fails the test.
        """
        for attempt in (1, 2):
            try:
                self.page.goto(url, wait_until="commit", timeout=timeout_ms)
                self.page.locator(f".widget-output img, {ERROR_OUTPUT}").first.wait_for(
                    state="visible", timeout=timeout_ms)
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    self.screenshot("load_failed", full_page=True)
                    raise CalculatorError(f"{self.name}: no calculator on {url} after two tries "
                                          f"of {timeout_ms} ms; page text: "
                                          f"{self.page.inner_text('body')[:2000]!r}") from None
                with (self.shots / "retries.txt").open("a") as log:
                    log.write(f"{self.name}: no calculator after {timeout_ms} ms, loaded again\n")
        if self.page.locator(ERROR_OUTPUT).count():
            self.screenshot("load_failed", full_page=True)
            raise CalculatorError(f"{self.name}: the notebook failed:\n"
                                  + self.page.locator(ERROR_OUTPUT).first.inner_text()[-3000:])
        return self

    # --- finding things ---------------------------------------------------------------------

    def control(self, label: str) -> Locator:
        """The widget box whose description reads exactly `label` (e.g. 'examples')."""
        exact = re.compile(rf"^\s*{re.escape(label)}\s*$")
        box = self.page.locator(".widget-inline-hbox, .widget-toggle-buttons, .widget-checkbox")
        found = box.filter(has=self.page.locator(".widget-label, label", has_text=exact))
        expect(found, f"{self.name}: one control labelled {label!r}").to_have_count(1)
        return found

    def html(self, containing: str) -> Locator:
        """The HTML output widget whose text contains `containing`."""
        found = self.page.locator(".widget-html").filter(has_text=containing)
        expect(found, f"{self.name}: one HTML output with {containing!r}").to_have_count(1)
        return found

    def chart(self) -> Locator:
        """The chart: the PNG in the calculator's Output widget."""
        return self.page.locator(".widget-output img").first

    def chart_png(self) -> bytes:
        src = self.chart().get_attribute("src") or ""
        prefix = "data:image/png;base64,"
        assert src.startswith(prefix), f"{self.name}: the chart is not an inline PNG: {src[:60]!r}"
        return base64.b64decode(src[len(prefix):])

    # --- acting (each waits for the redraw it causes) -------------------------------------

    def _then_redraw(self, act, what: str) -> None:
        """Run `act`, then wait until the calculator has drawn its chart anew.

        Every `update()` of a calculator ends by replacing the image in its Output widget, so
        a new <img> element (one not marked before `act`) means the kernel has answered and
        the result text above it is already the new one, even when the picture is the same.
        """
        chart = ".widget-output img"
        self.page.eval_on_selector_all(chart, "imgs => imgs.forEach(i => i.dataset.seen = '1')")
        act()
        try:
            self.page.wait_for_selector(f"{chart}:not([data-seen])", state="attached",
                                        timeout=UPDATE_TIMEOUT_MS)
        except PlaywrightTimeout:
            self.screenshot("no_redraw", full_page=True)
            raise AssertionError(f"{self.name}: no redraw within {UPDATE_TIMEOUT_MS} ms after "
                                 f"{what}") from None

    def type_number(self, label: str, value: int | float) -> None:
        """Click the text box, select what is there, type `value`, press Enter."""
        box = self.control(label).locator("input")

        def act():
            box.click()
            self.page.keyboard.press("ControlOrMeta+A")
            self.page.keyboard.type(str(value))
            self.page.keyboard.press("Enter")
        self._then_redraw(act, f"typing {value} into {label!r}")
        expect(box).to_have_value(str(value))

    def press_keys(self, label: str, *keys: str) -> None:
        """Focus the control (number box or slider handle) and press `keys`, one at a time.

        Each arrow key steps the value, and the browser sends each step at once (a number
        box fires `change`, a slider its new position), so each key waits for its redraw.
        """
        target = self.control(label).locator("input, .noUi-handle").first
        target.focus()
        for key in keys:
            self._then_redraw(lambda: self.page.keyboard.press(key), f"pressing {key} in {label!r}")

    def click_button(self, label: str, button: str) -> None:
        """Click the toggle button reading `button` in the control labelled `label`."""
        self._then_redraw(lambda: self.control(label).get_by_role(
            "button", name=button, exact=True).click(), f"clicking {button!r} in {label!r}")

    def click_checkbox(self, label: str) -> None:
        self._then_redraw(lambda: self.control(label).locator("input[type=checkbox]").click(),
                          f"clicking the checkbox {label!r}")

    def options(self, label: str) -> list[str]:
        """The texts of the drop-down's options (ipywidgets shows spaces as no-break spaces)."""
        texts = self.control(label).locator("select").evaluate(
            "select => [...select.options].map(o => o.text)")
        return [t.replace("\xa0", " ") for t in texts]

    def choose(self, label: str, option: str) -> None:
        """Choose the option reading `option` in the drop-down labelled `label`."""
        index = self.options(label).index(option)
        self._then_redraw(lambda: self.control(label).locator("select").select_option(index=index),
                          f"choosing {option!r} in {label!r}")

    def slider_value(self, label: str) -> str:
        """The slider's readout, as shown."""
        return self.control(label).locator(".widget-readout").inner_text().strip()

    # --- artifacts --------------------------------------------------------------------------

    def screenshot(self, tag: str, full_page: bool = False) -> Path:
        """Save the calculator (or the whole page) as build/browser/<name>_<tag>.png."""
        path = self.shots / f"{self.name}_{tag}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        widget = self.page.locator(".widget-vbox").first
        if full_page or not widget.count():
            self.page.screenshot(path=str(path), full_page=True)
        else:
            widget.screenshot(path=str(path))
        return path
