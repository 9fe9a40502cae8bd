"""The report: DIR/report.html with a run summary table first and the
figures of every experiment beside it (figures/*.png and *.svg), from
Python, `python3 -m gradflow.report` and the gradflow command; a folder that
is not a gradflow result refused; the page rendered in headless Chromium
with every image loaded."""

import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import sys

import pytest

import gradflow as gf
from gradflow.report import NotAResultError, write_report

import plot_specs
from conftest import BUILD

SMALL_EXAMPLES = ["least_squares_stability", "ntk_small", "eta_sweep", "sgd_schedules",
                  "saxe_depth2"]


class Page(html.parser.HTMLParser):
    """Image sources, links, table cells and the text of a page."""

    def __init__(self, text):
        super().__init__()
        self.images, self.links, self.rows, self.text = [], [], [], []
        self._row = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a["src"])
        if tag in ("a", "link", "script") and (a.get("href") or a.get("src")):
            self.links.append(a.get("href") or a.get("src"))
        if tag == "tr":
            self._row = []
        if tag in ("td", "th") and self._row is not None:
            self._row.append("")

    def handle_endtag(self, tag):
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        self.text.append(data)
        if self._row:
            self._row[-1] += data


def png_size(path):
    with open(path, "rb") as fh:
        head = fh.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    return struct.unpack(">II", head[16:24])


_REPORTS = {}


def report_of(example_result, name, spec=None):
    """A copy of the example's output folder with its report written (once
    per session: tests only read it)."""
    if name not in _REPORTS:
        out = example_result(name, spec)
        folder = out + "_report"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(out, folder)
        _REPORTS[name] = (folder, write_report(folder))
    return _REPORTS[name]


def meta_runs(folder):
    runs = []
    for root, _, files in os.walk(folder):
        if "meta.json" in files:
            with open(os.path.join(root, "meta.json")) as fh:
                m = json.load(fh)
            runs += [(m["experiment"], r) for r in m["runs"]]
    return runs


@pytest.mark.parametrize("name", SMALL_EXAMPLES)
def test_the_report_of_a_shipped_example_has_its_runs_table_and_every_figure(
        example_result, name):
    folder, page_path = report_of(example_result, name)
    assert page_path == os.path.join(folder, "report.html")
    with open(page_path, encoding="utf-8") as fh:
        text = fh.read()
    page = Page(text)
    # Self-contained: every image and link is a file beside the page.
    for ref in page.images + page.links:
        assert not re.match(r"^[a-z]+://", ref) or ref.startswith("#"), ref
    assert page.images, "no figure"
    for src in page.images:
        path = os.path.join(folder, src)
        width, height = png_size(path)
        assert width >= 500 and height >= 300 and os.path.getsize(path) > 10_000, src
        svg = path[:-4] + ".svg"
        with open(svg, encoding="utf-8") as fh:
            assert "<svg" in fh.read(2000)
    # The summary table comes first, one row per run of meta.json, with its status.
    assert text.index("<table") < text.index("<img")
    header, *rows = page.rows
    assert header[:5] == ["experiment", "run", "flow", "integrator", "status"]
    expected = {(exp, r["name"], r["status"]) for exp, r in meta_runs(folder)}
    assert {(r[0], r[1], r[4]) for r in rows} == expected
    # Every caption names the files it draws from.
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", text, re.S)
    assert len(captions) == len(page.images)
    for caption in captions:
        assert re.search(r"\.csv|\.npy|meta\.json", caption), caption


def test_a_diverged_run_is_flagged_in_the_table_and_its_message_listed(example_result):
    folder, page_path = report_of(example_result, "least_squares_stability")
    with open(page_path, encoding="utf-8") as fh:
        text = fh.read()
    entry = next(r for _, r in meta_runs(folder) if r["name"] == "gd_2.01")
    assert re.search(r'<tr class="bad"><td>least_squares_stability</td><td>gd_2\.01</td>', text)
    assert entry["message"] in text
    assert "marks the last record of a diverged run" in text


def test_the_report_draws_the_width_figure_across_experiments(example_result):
    folder, page_path = report_of(example_result, "widths", plot_specs.WIDTHS)
    assert os.path.isfile(os.path.join(folder, "figures", "widths--width_scaling.png"))
    with open(page_path, encoding="utf-8") as fh:
        assert "Across widths" in fh.read()


def test_a_folder_that_is_not_a_result_is_refused(tmp_path):
    with pytest.raises(NotAResultError, match="not a gradflow result"):
        write_report(tmp_path)
    with pytest.raises(NotAResultError, match="no such directory"):
        write_report(tmp_path / "missing")
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "meta.json").write_text('{"something": "else"}')
    with pytest.raises(NotAResultError, match="not a gradflow meta.json"):
        write_report(tmp_path)
    assert not os.path.exists(tmp_path / "report.html")
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".figures")]


def test_an_experiment_called_figures_is_not_overwritten(example_result, tmp_path):
    folder = str(tmp_path / "out")
    shutil.copytree(example_result("least_squares_stability"), folder)
    os.rename(os.path.join(folder, "least_squares_stability"), os.path.join(folder, "figures"))
    with pytest.raises(NotAResultError, match="other than a report's figures"):
        write_report(folder)
    assert os.path.isfile(os.path.join(folder, "figures", "meta.json"))


def test_python_m_gradflow_report_exits_2_on_a_folder_that_is_not_a_result(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.path.join(BUILD, "python"))
    p = subprocess.run([sys.executable, "-m", "gradflow.report", str(tmp_path)], env=env,
                       capture_output=True, text=True)
    assert p.returncode == 2
    assert f"{tmp_path}: not a gradflow result" in p.stderr
    assert "Traceback" not in p.stderr


def test_gradflow_report_and_run_with_report_write_the_page(cli, repo, tmp_path):
    out = str(tmp_path / "out")
    p = cli("run", os.path.join(repo, "data", "least_squares_stability.json"), "--out", out,
            "--report")
    assert os.path.isfile(os.path.join(out, "report.html"))
    assert f"wrote {os.path.join(out, 'report.html')}" in p.stdout
    os.remove(os.path.join(out, "report.html"))
    p = cli("report", out, "-q")
    assert p.stdout == "" and os.path.isfile(os.path.join(out, "report.html"))


def test_gradflow_report_says_so_for_a_folder_that_is_not_a_result(cli, tmp_path):
    p = cli("report", str(tmp_path), check=False)
    assert p.returncode == 2
    assert "not a gradflow result" in p.stderr


def test_gradflow_report_names_a_missing_python(cli, example_result, tmp_path):
    exe = os.path.join(BUILD, "gradflow")
    env = dict(os.environ, GRADFLOW_PYTHON=str(tmp_path / "no-python"))
    p = subprocess.run([exe, "report", example_result("ntk_small")], env=env,
                       capture_output=True, text=True)
    assert p.returncode == 1
    assert "no-python not found" in p.stderr and "python3-matplotlib" in p.stderr


def chromium():
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("chromium is missing: scripts/install_deps.sh installs it (Debian package "
                    "chromium)")
    return exe


def test_every_image_of_every_small_report_loads_in_headless_chromium(example_result, tmp_path):
    exe = chromium()
    pages = [report_of(example_result, name)[1] for name in SMALL_EXAMPLES]
    # Break one image of a copy: the page's check must see it, or it proves nothing.
    broken_dir = str(tmp_path / "broken")
    shutil.copytree(os.path.dirname(pages[0]), broken_dir)
    victim = Page(open(os.path.join(broken_dir, "report.html"), encoding="utf-8").read()).images[0]
    os.remove(os.path.join(broken_dir, victim))
    pages.append(os.path.join(broken_dir, "report.html"))
    def render(i, page):
        return subprocess.Popen([exe, "--headless=new", "--no-sandbox", "--disable-gpu",
                                 "--no-first-run", "--disable-extensions",
                                 f"--user-data-dir={tmp_path / ('profile%d' % i)}",
                                 "--dump-dom", "file://" + page],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    counts = []
    for first in range(0, len(pages), 3):  # three browsers at a time: mostly waiting
        batch = [(page, render(first + i, page)) for i, page in enumerate(pages[first:first + 3])]
        for page, proc in batch:
            dom, _ = proc.communicate(timeout=120)
            m = re.search(r'<body data-images="(\d+)" data-broken-images="(\d+)"', dom)
            assert m, f"{page}: the page's image check did not run: {dom[:300]}"
            counts.append((int(m.group(1)), int(m.group(2))))
    for page, (images, broken) in zip(pages[:-1], counts[:-1]):
        with open(page, encoding="utf-8") as fh:
            assert images == len(Page(fh.read()).images) > 0, page
        assert broken == 0, f"{page}: {broken} image(s) did not load"
    assert counts[-1][1] == 1
