"""e2e/dashboard — the live dashboard in a real headless browser.

`eddy demo --http 127.0.0.1:0` (broker, generator, the reference job) serves
the dashboard; Debian's chromium loads it headless twice, two seconds
apart (`--dump-dom` after the page's scripts have run, console messages on
stderr), and a screenshot is taken:

  * the page's console has no error or warning, and the page's own
    "first update rendered" message is there (so the console really is
    seen; the page renders the jobs from /first.js as it loads, then from
    each server-sent event — when chromium dumps the page is its own
    business, so whether an event came before it is not checked there);
  * the event stream itself, read here: /events sends an event at once and
    one a second, each the jobs as JSON with the sink table, the job's
    records_in growing from one to the next; /first.js is the same as a
    script (window.eddyFirst = …);
  * the sink table shows the reference job's per-region rows: every region
    name the generator uses, with readable numbers (thousands separators,
    two decimals for sales and averages), sorted by total_orders, largest
    first;
  * the numbers change between the two looks (orders keep arriving);
  * the job's counters include the sink's errors and retries, as numbers;
  * the screenshot (dashboard.png in the work directory, kept when the test
    fails; copied to $EDDY_DASHBOARD_PNG when set, which is how
    docs/dashboard.png is made) is a PNG of the page.

When chromium is not installed or cannot start here, the test says so and
exits 77, which ctest reports as skipped (never as passed).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

from eddyharness import check, check_sanitizer, die_with_parent, main, read_text, step, wait_for

REGIONS = ["us-east", "us-west", "eu-west", "eu-central", "ap-south", "ap-northeast", "sa-east", "af-south"]
SKIP = 77


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def browse(browser, workdir, url, what, extra):
    """Runs headless chromium on url; (stdout, stderr, exit status)."""
    profile = os.path.join(workdir, "profile-%s" % what)
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
            "--window-size=1400,1000"] + extra + [url]
    p = subprocess.run(args, capture_output=True, timeout=60, preexec_fn=die_with_parent)
    return p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"), p.returncode


CONSOLE = re.compile(r":(INFO|WARNING|ERROR|FATAL|VERBOSE\d*):CONSOLE[:(]\d*\)?\] (.*)")


def console_problems(err):
    """Console messages that are not INFO, and uncaught exceptions."""
    bad = []
    for line in err.splitlines():
        m = CONSOLE.search(line)
        if m and m.group(1) != "INFO":
            bad.append(m.group(2))
        elif m and re.search(r"Uncaught|Error:", m.group(2)):
            bad.append(m.group(2))
    return bad


def rows(dom):
    """[(region, [cell texts])] of the sink table, in page order."""
    out = []
    body = re.search(r'<table class="sink">.*?<tbody>(.*?)</tbody>', dom, re.S)
    check(body, "no sink table in the page:\n%s" % dom[:3000])
    for tr in re.findall(r'<tr class="row[^"]*">(.*?)</tr>', body.group(1), re.S):
        cells = [re.sub(r"<[^>]*>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        out.append((cells[0], cells[1:]))
    return out


def check_events(base):
    """/events: two events a second apart, the job's records_in growing; /first.js: the same as a script."""
    import urllib.request
    seen = []
    with urllib.request.urlopen(base + "events", timeout=15) as r:
        check(r.headers.get("Content-Type", "").startswith("text/event-stream"), "/events is %s" % r.headers.get("Content-Type"))
        t0 = time.monotonic()
        while len(seen) < 2:
            line = r.readline().decode()
            check(line, "/events ended")
            if line.startswith("data: "):
                seen.append((time.monotonic() - t0, json.loads(line[6:])))
    (_, a), (dt, b) = seen
    ja, jb = a["jobs"][0], b["jobs"][0]
    check(ja["name"] == "orders_summary" and "table" in jb, "an event: %s" % json.dumps(b)[:300])
    check(jb["records_in"] > ja["records_in"], "records_in did not grow between two events: %d, %d" % (ja["records_in"], jb["records_in"]))
    check(0.5 < dt < 5, "the second event came %.1f s after the first" % dt)
    with urllib.request.urlopen(base + "first.js", timeout=15) as r:
        text = r.read().decode()
    check(text.startswith("window.eddyFirst = {") and text.rstrip().endswith(";"), "/first.js: %r" % text[:200])
    first = json.loads(text[len("window.eddyFirst = "):].rstrip().rstrip(";"))
    check(first["jobs"][0]["name"] == "orders_summary", "/first.js has no orders_summary: %r" % text[:300])
    step("/events: records_in %d then %d, %.1f s apart; /first.js the same as a script" % (ja["records_in"], jb["records_in"], dt))


def number(text):
    return float(text.replace(",", ""))


def test(eddy, workdir):
    browser = chromium()
    if not browser:
        step("SKIP: chromium is not installed (scripts/deps.sh installs it)")
        sys.exit(SKIP)
    out, err, rc = browse(browser, workdir, "about:blank", "probe", ["--dump-dom"])
    if rc != 0 or "<html" not in out:
        step("SKIP: chromium cannot start here (exit %d):\n%s" % (rc, err[-1500:]))
        sys.exit(SKIP)

    out_path, err_path = os.path.join(workdir, "demo.out"), os.path.join(workdir, "demo.err")
    with open(out_path, "wb") as o, open(err_path, "wb") as e:
        demo = subprocess.Popen([eddy, "demo", "--rate", "2000", "--seconds", "90", "--http", "127.0.0.1:0"], cwd=workdir,
                                stdin=subprocess.DEVNULL, stdout=o, stderr=e, preexec_fn=die_with_parent)
    try:
        url = [None]

        def have_url():
            m = re.search(r"live dashboard at (http://127\.0\.0\.1:[0-9]+/)", read_text(out_path))
            url[0] = m and m.group(1)
            check(demo.poll() is None, "eddy demo exited early:\n%s" % read_text(err_path)[-3000:])
            return url[0]
        wait_for("eddy demo to print the dashboard's URL", have_url, timeout=20)
        step("dashboard at %s" % url[0])
        time.sleep(2)   # some orders through the job
        check_events(url[0])

        looks = []
        for n in (1, 2):
            for wait_ms in (4000, 12000, 25000):   # a loaded machine starts chromium slowly: again with longer
                dom, cerr, rc = browse(browser, workdir, url[0], "look%d" % n, ["--timeout=%d" % wait_ms, "--dump-dom"])
                if "eddy dashboard: first update rendered" in cerr:
                    break
            check(rc == 0, "chromium exited %d:\n%s" % (rc, cerr[-2000:]))
            check("eddy dashboard: first update rendered" in cerr,
                  "the page never logged its first update (no event arrived, or the console is not seen):\n%s" % cerr[-2000:])
            problems = console_problems(cerr)
            check(not problems, "the page's console has errors:\n  %s" % "\n  ".join(problems))
            r = rows(dom)
            looks.append(r)
            step("look %d: %d rows: %s" % (n, len(r), ", ".join("%s %s" % (k, v[0]) for k, v in r)))
            if n == 1:
                time.sleep(2)

        first, second = looks
        check(sorted(k for k, _ in second) == sorted(REGIONS), "the rows are %s, expected the regions %s" % ([k for k, _ in second], REGIONS))
        for region, cells in second:
            check(re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})*", cells[0]), "%s: total_orders %r is not a grouped whole number" % (region, cells[0]))
            check(re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})*\.[0-9]{2}", cells[1]), "%s: total_sales %r is not a grouped number with two decimals" % (region, cells[1]))
            check(re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})*\.[0-9]{2}", cells[2]), "%s: avg_order_value %r is not a number with two decimals" % (region, cells[2]))
            avg = number(cells[1]) / number(cells[0])
            check(abs(avg - number(cells[2])) < 0.02, "%s: avg_order_value %s is not total_sales / total_orders (%.3f)" % (region, cells[2], avg))
        counts = [number(c[0]) for _, c in second]
        check(counts == sorted(counts, reverse=True), "rows are not sorted by total_orders, largest first: %s" % counts)
        before = {k: number(c[0]) for k, c in first}
        after = {k: number(c[0]) for k, c in second}
        check(sum(after.values()) > sum(before.values()), "total orders did not grow between the looks: %s then %s"
              % (sum(before.values()), sum(after.values())))
        check(any(after[k] != before.get(k) for k in after), "no number changed between the two looks")
        step("the numbers changed: %d then %d orders" % (sum(before.values()), sum(after.values())))
        kpi = re.search(r'class="v">([^<]*)</div><div class="l">sink errors · retries<', dom)
        check(kpi and re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})* · [0-9]{1,3}(,[0-9]{3})*", kpi.group(1)),
              "the sink errors · retries counter is %r" % (kpi and kpi.group(1)))
        step("sink errors · retries: %s" % kpi.group(1))

        shot = os.path.join(workdir, "dashboard.png")
        _, cerr, rc = browse(browser, workdir, url[0], "shot", ["--timeout=6000", "--screenshot=" + shot])
        check(rc == 0 and os.path.exists(shot), "no screenshot (exit %d):\n%s" % (rc, cerr[-2000:]))
        with open(shot, "rb") as f:
            check(f.read(8) == b"\x89PNG\r\n\x1a\n", "the screenshot is not a PNG")
        step("screenshot: %s (%d bytes)" % (shot, os.path.getsize(shot)))
        if os.environ.get("EDDY_DASHBOARD_PNG"):
            shutil.copyfile(shot, os.environ["EDDY_DASHBOARD_PNG"])
            step("copied to %s" % os.environ["EDDY_DASHBOARD_PNG"])

        demo.send_signal(signal.SIGTERM)
        rc = demo.wait(30)
        check(rc == 0, "eddy demo exited %d after SIGTERM:\n%s" % (rc, read_text(err_path)[-3000:]))
        check_sanitizer("eddy demo", read_text(err_path))
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()


if __name__ == "__main__":
    main(test)
