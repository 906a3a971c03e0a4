"""The real browser the tests look through: Debian's chromium driven by Selenium (chromium-driver), kept offline,
at a desktop's width or a phone's, light or dark, and the check of a laid-out page.

Owns starting and quitting one headless chromium (``chromium``; Selenium Manager never asked to download or report
anything: SE_OFFLINE, SE_AVOID_STATS, the driver and browser named), ``view`` (a 1280 px window, or a phone's width
by device emulation: headless windows are at least 500 px wide; the colour scheme), and ``spilled``: every element
whose content is wider or taller than its box unless the box scrolls (only a table may scroll sideways, in a box of
its own), every word broken across two lines, and the page wider than the screen. Must not know what a page
shows: the tests open their pages and judge them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.support.skipping import unavailable

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1280,900",
)

# Every element whose content is wider or taller than its box (unless the box scrolls, and then only a table may be
# in it: a wide table's own box), every word broken across lines (a break after a hyphen or a slash is not one), and
# the page's own width against the screen's. SVG's insides are drawings, not boxes.
CHECK = r"""
const found = [];
const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\s+/).join('.') : '');
for (const el of document.querySelectorAll('body *')) {
  if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
  const style = getComputedStyle(el);
  if (['inline', 'none', 'contents'].includes(style.display)) continue;
  const scrollsX = ['auto', 'scroll'].includes(style.overflowX);
  const scrollsY = ['auto', 'scroll'].includes(style.overflowY);
  if (!scrollsX && el.scrollWidth > el.clientWidth + 1)
    found.push(`${name(el)} is ${el.scrollWidth} px wide inside ${el.clientWidth}: "${el.innerText.slice(0, 50)}"`);
  if (!scrollsY && el.scrollHeight > el.clientHeight + 1)
    found.push(`${name(el)} is ${el.scrollHeight} px tall inside ${el.clientHeight}: "${el.innerText.slice(0, 50)}"`);
  if (scrollsX && el.scrollWidth > el.clientWidth + 1 && ![...el.children].every((c) => c.tagName === 'TABLE'))
    found.push(`${name(el)} scrolls sideways, and not only a table: "${el.innerText.slice(0, 50)}"`);
}
const range = document.createRange();
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  if (node.parentElement.closest('svg, code, .path')) continue;
  for (const word of node.data.matchAll(/[^\s\-\u2013\u2014\/,;:]+/g)) {
    range.setStart(node, word.index);
    range.setEnd(node, word.index + word[0].length);
    const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
    if (lines.size > 1) found.push(`"${word[0]}" is broken across ${lines.size} lines in ${name(node.parentElement)}`);
  }
}
const screen = arguments[0];  // a phone lays out a page wider than its screen by widening the window: compare both
const wide = Math.max(document.documentElement.scrollWidth, window.innerWidth);
if (wide > screen) found.push(`the page is ${wide} px wide on a ${screen} px screen`);
return found;
"""


@contextmanager
def chromium() -> Iterator[Any]:
    """One headless chromium under Selenium, with a profile of its own; ``unavailable`` without them."""
    for tool in (CHROMIUM, CHROMEDRIVER):
        if not os.access(tool, os.X_OK):
            unavailable(f"needs {tool} (apt-get install chromium chromium-driver)")
    if importlib.util.find_spec("selenium") is None:
        unavailable("needs selenium (pip install -e '.[test]')")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="netwatch-chromium-")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SE_OFFLINE", "true")  # Selenium Manager must not fetch drivers or send statistics
        mp.setenv("SE_AVOID_STATS", "true")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (*FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        try:
            yield driver
        finally:
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)


def view(driver: Any, width: int, scheme: str = "light", height: int = 900) -> None:
    """A desktop window (``width`` of 500 px or more) or a phone (emulated), in the ``scheme`` colours."""
    if width >= 500:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        driver.set_window_size(width, height)
    else:
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
    )


def spilled(driver: Any, width: int) -> list[str]:
    """What spills out of its box on the page open in ``driver``, laid out ``width`` px wide (see ``CHECK``)."""
    found: list[str] = driver.execute_script(CHECK, width)
    return found
