// Runs Debian's chromium (headless, through playwright-core; no browser is ever
// downloaded) through a list of steps given as JSON, and prints what it saw as JSON:
// page snapshots (status text, the charts' series, the KPI charts', the table, the URL, layout
// shift), every request the browser made, and page errors. It asserts nothing: the
// Rust tests (tests/tests/page.rs) do, against their own ground truth.
//
//   node drive.mjs STEPS.json          (STEPS: {"steps": [...]})
//
// Steps: {"goto": url or "@snapshot", "origin": o, "viewport": [w, h]} opens a fresh page (a new browser context:
// empty session storage); {"fill": css, "value": s}; {"select": css, "values": [...]};
// {"click": css}; {"hover": css} (the middle of it); {"press": key, "on": css} (the
// keyboard, on a focused element); {"settle": true} waits until the page has shown the outcome of its
// last load; {"snapshot": name}; {"screenshot": path}; {"eval": js, "name": n} stores
// the value of an expression (the benchmark's timings).
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
// Without the background-networking flags, chromium's own calls to Google's services
// fail on a closed network and slow everything down.
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const SETTLE_MS = 30_000;

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = { snapshots: {}, values: {}, requests: [], errors: [] };

// launch() gives the browser a fresh, empty profile of its own, removed at close.
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS })
  .catch((e) => fail(`cannot start ${CHROMIUM}: ${e.message}`));
let context = null;
let page = null;

try {
  for (const step of plan.steps) await run(step);
} catch (e) {
  out.errors.push(`step failed: ${e.message}`);
} finally {
  await context?.close().catch(() => {});
  await browser.close().catch(() => {});
}
process.stdout.write(JSON.stringify(out));

async function run(step) {
  if (step.goto) {
    await context?.close();
    const [width, height] = step.viewport || [1280, 800];
    // A new context each time: empty session storage (no token), no cache; a time
    // zone far from UTC, which the page must not use.
    context = await browser.newContext({ viewport: { width, height }, timezoneId: "America/New_York" });
    page = await context.newPage();
    page.on("request", (r) => out.requests.push(r.url()));
    page.on("pageerror", (e) => out.errors.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (/Content.Security.Policy|Refused to/i.test(m.text())) out.errors.push(`console: ${m.text()}`);
    });
    // Cumulative layout shift, as Chromium reports it, from the first paint on.
    await page.addInitScript(() => {
      window.__cls = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
      }).observe({ type: "layout-shift", buffered: true });
    });
    // "@name": the address the page had at snapshot `name` (a shared link).
    // With "origin": the same path and query on another server.
    let url = step.goto.startsWith("@") ? out.snapshots[step.goto.slice(1)].url : step.goto;
    if (step.origin) {
      const u = new URL(url);
      url = step.origin + u.pathname + u.search;
    }
    await page.goto(url);
  } else if (step.fill) {
    await page.fill(step.fill, step.value);
  } else if (step.select) {
    await page.selectOption(step.select, step.values);
  } else if (step.click) {
    await page.click(step.click);
  } else if (step.hover) {
    await page.hover(step.hover);
  } else if (step.press) {
    await page.focus(step.on);
    await page.keyboard.press(step.press);
  } else if (step.settle) {
    await settle();
  } else if (step.snapshot) {
    out.snapshots[step.snapshot] = await snapshot();
  } else if (step.screenshot) {
    await page.screenshot({ path: step.screenshot, fullPage: true });
  } else if (step.eval) {
    out.values[step.name] = await page.evaluate(step.eval);
  } else {
    throw new Error(`unknown step ${JSON.stringify(step)}`);
  }
}

async function settle() {
  await page.waitForFunction(
    () => ["ok", "empty", "error"].includes(document.getElementById("status")?.className),
    null, { timeout: SETTLE_MS },
  );
  // The charts draw in the next animation frame.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

function snapshot() {
  return page.evaluate(() => {
    const chart = (c) => c && {
      labels: c.plot.series.slice(1).map((s) => s.label),
      data: c.plot.data.map((a) => Array.from(a)),
    };
    const v = window.ahtPage || {};
    const status = document.getElementById("status");
    return {
      url: location.href,
      status: status.textContent,
      status_kind: status.className,
      token_form: !document.getElementById("token-form").hidden,
      tooltip: document.getElementById("tooltip").hidden ? null : document.getElementById("tooltip").textContent,
      text: document.body.innerText,
      aht: chart(v.aht),
      count: chart(v.count),
      kpi: Object.fromEntries(Object.entries(v.kpi || {}).map(([name, c]) => [name, chart(c)])),
      table: [...document.querySelectorAll("#summary tbody tr")].map((tr) => {
        const row = {};
        for (const td of tr.cells) {
          const value = td.dataset.value;
          // Numbers as numbers, no value ("") as null; each cell's text beside it.
          row[td.dataset.key] = td.dataset.key === "skill" ? value : value === "" ? null : Number(value);
          row[`${td.dataset.key}_text`] = td.textContent;
        }
        return row;
      }),
      live_status: document.getElementById("live-status").textContent,
      live: [...document.querySelectorAll("#live-table tbody tr")].map((tr) => {
        const row = {};
        for (const td of tr.cells) {
          const value = td.dataset.value;
          row[td.dataset.key] = td.dataset.key === "queue" ? value : value === "" ? null : Number(value);
        }
        return row;
      }),
      skill_options: [...document.getElementById("skill").options].map((o) => o.value),
      controls: {
        range: document.getElementById("range").value,
        start: document.getElementById("start").value,
        end: document.getElementById("end").value,
        interval: document.getElementById("interval").value,
        skills: [...document.getElementById("skill").selectedOptions].map((o) => o.value),
      },
      layout_shift: window.__cls,
      overflow_x: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    };
  });
}

function fail(message) {
  process.stdout.write(JSON.stringify({ ...out, errors: [message] }));
  process.exit(1);
}
