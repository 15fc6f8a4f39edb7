// The sidecar's chart page: reads /skills, /metrics/aht and /metrics/kpi from its own origin,
// keeps its state in the URL, draws with the vendored uPlot. No framework, no build.
"use strict";

(() => {
  const TOKEN_KEY = "genesys-aht-sidecar-token";
  const REFRESH_MS = 60_000;
  const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#7f7f7f", "#bcbd22", "#393b79", "#ad494a"];
  // The KPIs of /metrics/kpi: name, chart element, how a value reads. ASA is in
  // seconds; the others are fractions, shown as percentages.
  const KPIS = [
    { name: "service_level", el: "kpi-service_level", percent: true },
    { name: "asa", el: "kpi-asa", percent: false },
    { name: "abandonment", el: "kpi-abandonment", percent: true },
    { name: "transfer_rate", el: "kpi-transfer_rate", percent: true },
  ];
  // The routing statuses of the live panel's columns, as Genesys spells them; a
  // status the sidecar answers beyond these gets a column after them.
  const STATUSES = ["IDLE", "INTERACTING", "COMMUNICATING", "NOT_RESPONDING", "OFF_QUEUE"];
  const $ = (id) => document.getElementById(id);
  const view = { aht: null, count: null, kpi: {}, rows: [], sort: { key: "aht", desc: true }, timer: null };
  // Read by the browser tests and the benchmark: what the charts and table were given.
  window.ahtPage = view;

  // ---- State <-> URL -------------------------------------------------------------

  function readState() {
    const q = new URLSearchParams(location.search);
    return {
      range: q.get("range") || "today",
      start: q.get("start") || "",
      end: q.get("end") || "",
      interval: q.get("interval") || "1h",
      skills: q.getAll("skill"),
      queue: q.get("queue") || "",
      media_type: q.get("media_type") || "",
      refresh: q.get("refresh") === "1",
    };
  }

  function writeState(state) {
    const q = new URLSearchParams();
    q.set("range", state.range);
    if (state.range === "custom") {
      q.set("start", state.start);
      q.set("end", state.end);
    }
    q.set("interval", state.interval);
    for (const s of state.skills) q.append("skill", s);
    if (state.queue) q.set("queue", state.queue);
    if (state.media_type) q.set("media_type", state.media_type);
    if (state.refresh) q.set("refresh", "1");
    const url = `${location.pathname}?${q}`;
    if (url !== location.pathname + location.search) history.pushState(null, "", url);
  }

  /** [start, end) as `YYYY-MM-DDTHH:MM` in UTC: presets are whole UTC days up to today. */
  function rangeOf(state) {
    if (state.range === "custom") return [state.start, state.end];
    const days = { today: 1, "7d": 7, "30d": 30 }[state.range] || 1;
    const midnight = new Date();
    midnight.setUTCHours(0, 0, 0, 0);
    const end = new Date(midnight.getTime() + 86_400_000);
    const start = new Date(end.getTime() - days * 86_400_000);
    return [minute(start), minute(end)];
  }

  const minute = (d) => d.toISOString().slice(0, 16);

  function stateFromControls() {
    return {
      range: $("range").value,
      start: $("start").value,
      end: $("end").value,
      interval: $("interval").value,
      skills: [...$("skill").selectedOptions].map((o) => o.value),
      queue: $("queue").value.trim(),
      media_type: $("media_type").value.trim(),
      refresh: $("refresh").checked,
    };
  }

  function showState(state) {
    $("range").value = state.range;
    const [start, end] = rangeOf(state);
    $("start").value = start;
    $("end").value = end;
    ensureOption($("interval"), state.interval, state.interval);
    $("interval").value = state.interval;
    fillSkills(state.skills, state.skills);
    $("queue").value = state.queue;
    $("media_type").value = state.media_type;
    $("refresh").checked = state.refresh;
  }

  function ensureOption(select, value, label) {
    if (![...select.options].some((o) => o.value === value)) select.add(new Option(label, value));
  }

  /** The skill list: names from /skills plus any selected one it lacks, selection kept. */
  function fillSkills(names, selected) {
    const select = $("skill");
    const all = [...new Set([...names, ...selected])].sort((a, b) => a.localeCompare(b));
    select.replaceChildren(...all.map((n) => new Option(n, n, false, selected.includes(n))));
  }

  // ---- Requests ------------------------------------------------------------------

  class Failure extends Error {
    constructor(status, code, reason) {
      super(reason);
      this.status = status;
      this.code = code;
    }
  }

  async function getJson(path, params) {
    const headers = {};
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = `Bearer ${token}`;
    let response;
    try {
      response = await fetch(`${path}?${params}`, { headers });
    } catch (e) {
      throw new Failure(0, "network", `the sidecar did not answer (${e.message})`);
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      throw new Failure(response.status, body?.error || "error", body?.reason || response.statusText);
    }
    return body;
  }

  function params(state) {
    const [start, end] = rangeOf(state);
    const q = new URLSearchParams({ start_date: `${start}:00Z`, end_date: `${end}:00Z` });
    return q;
  }

  function kpiParams(state, kpi) {
    const q = ahtParams(state);
    q.set("kpi", kpi);
    return q;
  }

  function ahtParams(state) {
    const q = params(state);
    q.set("interval", state.interval);
    for (const s of state.skills) q.append("var-skill", s);
    if (state.queue) q.set("queue", state.queue);
    if (state.media_type) q.set("media_type", state.media_type);
    return q;
  }

  // ---- Loading -------------------------------------------------------------------

  let generation = 0;

  async function load() {
    const state = readState();
    const mine = ++generation;
    say("Loading…", "info");
    // The live state fails on its own (a backend without it, no observations): it
    // never hides the charts, and they never hide it.
    const live = loadLive(state);
    try {
      const [skills, answer, ...kpis] = await Promise.all([
        getJson("/skills", params(state)),
        getJson("/metrics/aht", ahtParams(state)),
        ...KPIS.map((k) => getJson("/metrics/kpi", kpiParams(state, k.name))),
      ]);
      const liveAnswer = await live;
      if (mine !== generation) return;
      renderLive(liveAnswer);
      $("token-form").hidden = !sessionStorage.getItem(TOKEN_KEY);
      fillSkills(skills.data || [], state.skills);
      fillSuggestions(answer.data);
      const folded = fold(answer.data);
      draw(folded, foldKpis(kpis.map((k) => k.data)), state);
      if (folded.skills.length === 0) {
        const [start, end] = rangeOf(state);
        say(`No data: no handled conversations from ${start} to ${end} UTC for this selection.`, "empty");
      } else {
        say(`${folded.skills.length} skill(s), ${folded.times.length} window(s). Updated ${new Date().toISOString().slice(11, 19)} UTC.`, "ok");
      }
    } catch (e) {
      const liveAnswer = await live;
      if (mine !== generation) return;
      renderLive(liveAnswer);
      draw(fold([]), foldKpis(KPIS.map(() => [])), state);
      explain(e);
    }
  }

  /** `/metrics/queues` for the selected queue (all when none): its rows, or the failure. */
  async function loadLive(state) {
    const q = new URLSearchParams();
    if (state.queue) q.set("queue", state.queue);
    try {
      return { rows: (await getJson("/metrics/queues", q)).data || [] };
    } catch (e) {
      return { error: e };
    }
  }

  /**
   * Each queue's newest observation folded for the panel: waiting summed over media
   * types, the longest wait the largest of theirs, users per routing status.
   */
  function foldLive(rows) {
    const queues = new Map();
    for (const row of rows) {
      const key = row.queue_id ?? row.queue ?? "";
      let q = queues.get(key);
      if (!q) {
        q = { queue: row.queue ?? row.queue_id ?? "(no name)", waiting: null, longest: null, statuses: {}, at: row.timestamp };
        queues.set(key, q);
      }
      if (row.timestamp > q.at) q.at = row.timestamp;
      if (row.waiting != null) q.waiting = (q.waiting ?? 0) + row.waiting;
      if (row.longest_waiting_ms != null) q.longest = Math.max(q.longest ?? 0, row.longest_waiting_ms);
      if (row.routing_status && row.routing_status_users != null) {
        q.statuses[row.routing_status] = (q.statuses[row.routing_status] ?? 0) + row.routing_status_users;
      }
    }
    return [...queues.values()].sort((a, b) => a.queue.localeCompare(b.queue));
  }

  function renderLive(answer) {
    const queues = answer.rows ? foldLive(answer.rows) : [];
    view.live = queues;
    const seen = new Set(queues.flatMap((q) => Object.keys(q.statuses)));
    const statuses = [...STATUSES, ...[...seen].filter((s) => !STATUSES.includes(s)).sort()];
    const head = $("live-table").tHead.rows[0];
    head.replaceChildren(...["Queue", "Waiting", "Longest wait", ...statuses.map(statusLabel)].map((text) => {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = text;
      return th;
    }));
    $("live-table").tBodies[0].replaceChildren(...queues.map((q) => {
      const tr = document.createElement("tr");
      tr.append(cell(q.queue, "queue", q.queue), cell(count(q.waiting), "waiting", q.waiting),
        cell(q.longest == null ? "—" : formatSeconds(q.longest / 1000), "longest_waiting_ms", q.longest),
        ...statuses.map((s) => cell(count(q.statuses[s]), s, q.statuses[s])));
      return tr;
    }));
    const line = $("live-status");
    if (answer.error) {
      line.textContent = `Live state unavailable: ${answer.error.message}`;
    } else if (queues.length === 0) {
      line.textContent = "No queue observed recently (the plugin writes the live state with [observations] enabled = true).";
    } else {
      const at = queues.map((q) => q.at).sort().at(-1);
      line.textContent = `${queues.length} queue(s), observed ${at.slice(0, 10)} ${at.slice(11, 19)} UTC.`;
    }
  }

  const statusLabel = (s) => s.charAt(0) + s.slice(1).toLowerCase().replaceAll("_", " ");
  const count = (v) => (v == null ? "—" : String(v));

  function explain(e) {
    if (!(e instanceof Failure)) {
      say(`Unexpected error: ${e.message}`, "error");
      return;
    }
    if (e.status === 401) {
      const had = sessionStorage.getItem(TOKEN_KEY);
      $("token-form").hidden = false;
      say(had
        ? "The sidecar refused this bearer token. Enter the right one below."
        : "This sidecar needs a bearer token. Enter it below.", "error");
      $("token").focus();
    } else if (e.status === 400) {
      say(`The sidecar refused the request: ${e.message}`, "error");
    } else if (e.status === 503) {
      say(`The sidecar cannot reach InfluxDB (503): ${e.message}. Try again later.`, "error");
    } else if (e.status === 0) {
      say(`Cannot reach the sidecar: ${e.message}.`, "error");
    } else {
      say(`The sidecar answered ${e.status} ${e.code}: ${e.message}`, "error");
    }
  }

  function say(text, kind) {
    const status = $("status");
    status.textContent = text;
    status.className = kind;
  }

  function fillSuggestions(rows) {
    const distinct = (key) => [...new Set(rows.map((r) => r[key]).filter(Boolean))].sort();
    $("queues").replaceChildren(...distinct("queue").map((v) => new Option(v)));
    $("media-types").replaceChildren(...distinct("media_type").map((v) => new Option(v)));
  }

  /**
   * The answer's rows (one per window and group) summed per window and skill over
   * queues and media types: AHT is sum(handle_sum_ms) / sum(conversations), never a
   * mean of the groups' averages.
   */
  function fold(rows) {
    // Rows come ordered by time: each timestamp string is parsed once, and sums are
    // kept per skill, then per window (no key strings built per row).
    const times = [];
    const index = new Map();
    const sums = new Map();
    for (const row of rows) {
      let i = index.get(row.timestamp);
      if (i === undefined) {
        i = times.length;
        index.set(row.timestamp, i);
        times.push(Date.parse(row.timestamp) / 1000);
      }
      const skill = row.skill ?? "(no skill tag)";
      let cells = sums.get(skill);
      if (!cells) sums.set(skill, (cells = new Map()));
      const cell = cells.get(i);
      if (cell) {
        cell.sum += row.handle_sum_ms;
        cell.count += row.conversation_count;
      } else {
        cells.set(i, { sum: row.handle_sum_ms, count: row.conversation_count });
      }
    }
    const order = times.map((_, i) => i).sort((a, b) => times[a] - times[b]);
    const position = new Array(times.length);
    order.forEach((i, p) => { position[i] = p; });
    const bySkill = new Map();
    for (const [skill, cells] of sums) {
      const s = {
        aht: new Array(times.length).fill(null),
        count: new Array(times.length).fill(null),
        sum: 0,
        total: 0,
      };
      for (const [i, cell] of cells) {
        if (cell.count === 0) continue;
        s.aht[position[i]] = cell.sum / cell.count / 1000;
        s.count[position[i]] = cell.count;
        s.sum += cell.sum;
        s.total += cell.count;
      }
      if (s.total > 0) bySkill.set(skill, s);
    }
    const skills = [...bySkill.keys()].sort((a, b) => a.localeCompare(b));
    return { times: order.map((i) => times[i]), skills, bySkill };
  }

  /**
   * The KPI answers (in the order of KPIS) summed per window and skill over queues and
   * media types: each KPI's numerator and denominator are added up, and the value is
   * their ratio (null when the denominator is 0), never a mean of the groups' values.
   */
  function foldKpis(answers) {
    const times = new Set();
    const skills = new Set();
    const sums = answers.map((rows) => {
      const bySkill = new Map();
      for (const row of rows) {
        const t = Date.parse(row.timestamp) / 1000;
        const skill = row.skill ?? "(no skill tag)";
        times.add(t);
        skills.add(skill);
        let cells = bySkill.get(skill);
        if (!cells) bySkill.set(skill, (cells = new Map()));
        const cell = cells.get(t) || { num: 0, den: 0 };
        cell.num += row.numerator;
        cell.den += row.denominator;
        cells.set(t, cell);
      }
      return bySkill;
    });
    return { times: [...times].sort((a, b) => a - b), skills, sums };
  }

  /** A KPI's value from its summed parts: null when nothing is in the denominator. */
  function kpiValue(kpi, num, den) {
    if (den === 0) return null;
    return kpi.percent ? num / den : num / den / 1000;
  }

  // ---- Drawing -------------------------------------------------------------------

  const color = (i) => PALETTE[i % PALETTE.length];

  function draw(folded, kpis, state) {
    const seconds = intervalSeconds(state.interval);
    const series = (key) => folded.skills.map((s) => folded.bySkill.get(s)[key]);
    view.aht = chart(view.aht, $("aht-chart"), folded, series("aht"), seconds, formatSeconds);
    view.count = chart(view.count, $("count-chart"), folded, series("count"), seconds, (v) => `${v}`);
    // One skill list for every KPI chart and the table: a skill keeps its colour.
    const skills = [...new Set([...folded.skills, ...kpis.skills])].sort((a, b) => a.localeCompare(b));
    const grid = { times: kpis.times, skills };
    KPIS.forEach((kpi, k) => {
      const cells = kpis.sums[k];
      const values = skills.map((skill) => kpis.times.map((t) => {
        const cell = cells.get(skill)?.get(t);
        return cell ? kpiValue(kpi, cell.num, cell.den) : null;
      }));
      const format = kpi.percent ? formatPercent : formatSeconds;
      view.kpi[kpi.name] = chart(view.kpi[kpi.name], $(kpi.el), grid, values, seconds, format, false,
        kpi.percent ? percentRange : zeroRange);
    });
    view.rows = skills.map((skill) => {
      const s = folded.bySkill.get(skill);
      const row = { skill, aht: s ? s.sum / s.total / 1000 : null, count: s ? s.total : 0 };
      KPIS.forEach((kpi, k) => {
        let num = 0;
        let den = 0;
        for (const cell of kpis.sums[k].get(skill)?.values() ?? []) {
          num += cell.num;
          den += cell.den;
        }
        row[kpi.name] = kpiValue(kpi, num, den);
      });
      return row;
    });
    renderTable();
  }

  /** A chart for these series, made again only when the skills change. */
  function chart(existing, el, folded, values, seconds, format, tips = true, yRange = undefined) {
    const data = [folded.times, ...values];
    const labels = folded.skills.join("\u0000");
    if (existing && existing.labels === labels) {
      existing.plot.setData(data);
      existing.seconds = seconds;
      return existing;
    }
    existing?.plot.destroy();
    const holder = { labels, seconds, plot: null };
    const opts = {
      width: el.clientWidth,
      height: el.clientHeight - 60,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      cursor: { points: { size: 7 }, focus: { prox: 24 } },
      focus: { alpha: 0.35 },
      legend: { live: false },
      scales: yRange ? { x: { time: true }, y: { range: yRange } } : { x: { time: true } },
      axes: [{ values: (_, ticks) => ticks.map(timeTick), space: 70 }, { values: (_, ticks) => ticks.map(format), size: 60 }],
      series: [
        { label: "Window (UTC)" },
        ...folded.skills.map((skill, i) => ({
          label: skill,
          stroke: color(i),
          // Past the palette, colours repeat: dashed, so two skills never look alike.
          dash: i >= PALETTE.length ? [6, 3] : undefined,
          width: 2,
          spanGaps: false,
          points: { show: folded.times.length < 60 },
        })),
      ],
      hooks: {
        setCursor: tips ? [(u) => tooltip(u, holder)] : [],
        draw: [(u) => {
          // The benchmark's mark: the first chart drawn with data.
          if (u.data[0].length > 0) view.drawnAt ??= performance.now();
        }],
      },
    };
    holder.plot = new uPlot(opts, data, el);
    return holder;
  }

  /** An x tick in UTC: the date at midnight, else the time of day (24 h). */
  function timeTick(t) {
    const iso = new Date(t * 1000).toISOString();
    return iso.slice(11, 16) === "00:00" ? iso.slice(5, 10) : iso.slice(11, 16);
  }

  function intervalSeconds(interval) {
    const m = /^(\d+)(m|h|d)$/.exec(interval);
    return m ? Number(m[1]) * { m: 60, h: 3600, d: 86400 }[m[2]] : 3600;
  }

  // KPI axes start at 0; an all-zero series still gets a readable scale.
  const percentRange = (u, min, max) => [0, Math.min(1.05, Math.max(max ?? 0, 0.05) * 1.1)];
  const zeroRange = (u, min, max) => [0, Math.max(max ?? 0, 1) * 1.1];

  function formatPercent(v) {
    return v == null ? "" : `${Math.round(v * 100)} %`;
  }

  function formatSeconds(v) {
    if (v == null) return "";
    const s = Math.round(v);
    return s >= 60 ? `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}` : `${s}s`;
  }

  /** The window under the cursor, with each skill's AHT and conversations in it. */
  function tooltip(u, holder) {
    const tip = $("tooltip");
    const i = u.cursor.idx;
    if (i == null || u.cursor.left < 0) {
      tip.hidden = true;
      return;
    }
    const t = u.data[0][i];
    const from = new Date(t * 1000).toISOString().slice(0, 16).replace("T", " ");
    const to = new Date((t + holder.seconds) * 1000).toISOString().slice(0, 16).replace("T", " ");
    const lines = [`${from} – ${to} UTC`];
    const ahtData = view.aht?.plot.data;
    const countData = view.count?.plot.data;
    u.series.slice(1).forEach((s, k) => {
      const aht = ahtData?.[k + 1]?.[i];
      if (aht == null) return;
      lines.push(`${s.label}: AHT ${formatSeconds(aht)} (${aht.toFixed(1)} s), ${countData?.[k + 1]?.[i]} conversations`);
    });
    tip.textContent = lines.join("\n");
    const box = u.over.getBoundingClientRect();
    tip.hidden = false;
    const x = box.left + window.scrollX + u.cursor.left + 12;
    const maxX = document.documentElement.clientWidth - tip.offsetWidth - 8;
    tip.style.left = `${Math.max(8, Math.min(x, maxX))}px`;
    tip.style.top = `${box.top + window.scrollY + u.cursor.top + 12}px`;
  }

  function renderTable() {
    const { key, desc } = view.sort;
    // A missing value (null) sorts last either way.
    const rows = [...view.rows].sort((a, b) => {
      if (key === "skill") return desc ? b.skill.localeCompare(a.skill) : a.skill.localeCompare(b.skill);
      if (a[key] == null || b[key] == null) return (a[key] == null) - (b[key] == null);
      return desc ? b[key] - a[key] : a[key] - b[key];
    });
    const body = $("summary").tBodies[0];
    body.replaceChildren(...rows.map((r) => {
      const tr = document.createElement("tr");
      tr.append(cell(r.skill, "skill", r.skill), cell(fixed(r.aht), "aht", r.aht),
        cell(String(r.count), "count", r.count),
        ...KPIS.map((kpi) => cell(kpi.percent ? percent(r[kpi.name]) : fixed(r[kpi.name]), kpi.name, r[kpi.name])));
      return tr;
    }));
    for (const th of $("summary").tHead.rows[0].cells) {
      const k = th.querySelector("button").dataset.key;
      th.setAttribute("aria-sort", k === key ? (desc ? "descending" : "ascending") : "none");
    }
  }

  // No value (a denominator of 0, or no data) reads as an em dash.
  const fixed = (v) => (v == null ? "—" : v.toFixed(1));
  const percent = (v) => (v == null ? "—" : `${(v * 100).toFixed(1)} %`);

  /** A table cell; `data-value` holds the exact number ("" for none), for the tests. */
  function cell(text, key, value) {
    const td = document.createElement("td");
    td.textContent = text;
    td.dataset.key = key;
    td.dataset.value = value == null ? "" : String(value);
    return td;
  }

  // ---- Wiring --------------------------------------------------------------------

  function apply() {
    writeState(stateFromControls());
    schedule();
    load();
  }

  function schedule() {
    clearInterval(view.timer);
    view.timer = readState().refresh ? setInterval(load, REFRESH_MS) : null;
  }

  function resize() {
    const charts = [[view.aht, $("aht-chart")], [view.count, $("count-chart")],
      ...KPIS.map((k) => [view.kpi[k.name], $(k.el)])];
    for (const [c, el] of charts) {
      c?.plot.setSize({ width: el.clientWidth, height: el.clientHeight - 60 });
    }
  }

  function init() {
    $("controls").addEventListener("submit", (e) => {
      e.preventDefault();
      apply();
    });
    for (const id of ["range", "interval", "skill", "refresh"]) {
      $(id).addEventListener("change", () => {
        if (id === "range" && $("range").value !== "custom") showState(stateFromControls());
        apply();
      });
    }
    for (const id of ["start", "end"]) {
      $(id).addEventListener("input", () => { $("range").value = "custom"; });
    }
    $("token-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const token = $("token").value.trim();
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      else sessionStorage.removeItem(TOKEN_KEY);
      $("token").value = "";
      load();
    });
    for (const button of $("summary").querySelectorAll("th button")) {
      button.addEventListener("click", () => {
        const key = button.dataset.key;
        view.sort = { key, desc: view.sort.key === key ? !view.sort.desc : key !== "skill" };
        renderTable();
      });
    }
    window.addEventListener("popstate", () => {
      showState(readState());
      schedule();
      load();
    });
    new ResizeObserver(resize).observe($("aht-chart"));
    showState(readState());
    schedule();
    load();
  }

  init();
})();
