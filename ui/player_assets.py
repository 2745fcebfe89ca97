"""The player's HTML, CSS and ES-module JavaScript as plain strings, with no streamlit import, so that the app
(ui/player.py) and the offline page (export/offline.py) run the same player."""

_HTML = """
<div class="player" role="toolbar" aria-label="step through the iterations">
  <button data-act="first" title="back to step 0 (Home)">|◀</button>
  <button data-act="back" title="one step back (←)">◀</button>
  <button data-act="play" class="play" title="play / pause">▶ Play</button>
  <button data-act="forward" title="one step forward (→)">▶</button>
  <button data-act="last" title="to the last step (End)">▶|</button>
  <label>speed
    <select data-act="speed">
      <option value="1">1 step/s</option>
      <option value="2">2 steps/s</option>
      <option value="4">4 steps/s</option>
      <option value="10" selected>10 steps/s</option>
      <option value="20">20 steps/s</option>
      <option value="30">30 steps/s</option>
    </select>
  </label>
  <label><input type="checkbox" data-act="loop"> loop</label>
  <button data-act="copy" title="copy a link that reopens this scene, at this step">🔗 Copy link</button>
  <span class="hint">or press ← → (Home, End)</span>
</div>
<div class="player-follow" aria-live="polite"></div>
"""

_CSS = """
.player { display: flex; gap: 0.4rem; align-items: center; flex-wrap: wrap; font-family: inherit;
          font-size: 0.95rem; color: var(--st-text-color); }
.player button { border: 1px solid var(--st-border-color, #c9d1d9); background: var(--st-secondary-background-color);
                 color: inherit; border-radius: 0.4rem; padding: 0.2rem 0.6rem; cursor: pointer; font-size: 1rem; }
.player button.play { min-width: 6rem; font-weight: 600; }
.player button:hover { border-color: var(--st-primary-color); }
.player select { font: inherit; }
.player .hint { opacity: 0.7; font-size: 0.85rem; }
.player-follow { overflow-x: auto; max-width: 100%; }
.player-follow .line { font-size: 1.15rem; margin: 0.5rem 0 0.2rem; font-variant-numeric: tabular-nums; }
.player-follow table { border-collapse: collapse; font-size: 0.9rem; font-variant-numeric: tabular-nums; }
.player-follow th, .player-follow td { padding: 0.1rem 0.6rem; text-align: right;
                                       border-bottom: 1px solid var(--st-border-color, #d0d5db); }
.player-follow tr.now td { background: #fff2cc; font-weight: 600; }
"""

_JS = """
export default function(component) {
  const { parentElement, data } = component;
  const name = (data && data.name) || "step";
  const root = parentElement.querySelector(".player");
  const playButton = root.querySelector("[data-act=play]");
  let timer = null;

  // Every Vega range binding labelled with this name (one per chart that shares the step).
  const inputs = () => Array.from(document.querySelectorAll(".vega-bind")).filter(
    (b) => (b.querySelector(".vega-bind-name")?.textContent || "").trim() === name
  ).map((b) => b.querySelector("input[type=range]")).filter(Boolean);

  const setStep = (value) => {
    for (const input of inputs()) {
      const min = Number(input.min), max = Number(input.max), stride = Number(input.step) || 1;
      const clamped = Math.min(max, Math.max(min, value));
      input.value = String(clamped - ((clamped - min) % stride));
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
  };
  const current = () => { const i = inputs()[0]; return i ? Number(i.value) : 0; };
  const stride = () => { const i = inputs()[0]; return i ? Number(i.step) || 1 : 1; };
  const last = () => { const i = inputs()[0]; return i ? Number(i.max) : 0; };

  const stop = () => { clearInterval(timer); timer = null; playButton.textContent = "▶ Play"; };
  const play = () => {
    if (current() >= last()) setStep(0);
    const fps = Number(root.querySelector("[data-act=speed]").value);
    timer = setInterval(() => {
      const next = current() + stride();
      if (next > last()) {
        if (root.querySelector("[data-act=loop]").checked) setStep(0); else stop();
      } else setStep(next);
    }, 1000 / fps);
    playButton.textContent = "⏸ Pause";
  };
  // The step lives in the URL too (?step=k), so a copied link reopens the scene at the same step.
  const remember = (value) => {
    const url = new URL(window.location.href);
    url.searchParams.set(name, String(value));
    window.history.replaceState(window.history.state, "", url);
  };
  // What follows the step, in the page (optional): a line per step (the update with the numbers in) and the
  // iteration table with the current row highlighted. Text only (textContent): nothing is parsed as HTML.
  const followBox = parentElement.querySelector(".player-follow");
  const lines = (data && data.lines) || null;
  const table = (data && data.table) || null;
  const cell = (tag, text) => { const el = document.createElement(tag); el.textContent = text; return el; };
  // The chart's text alternative follows the step too: charts.kit.live_description's template (numbers already
  // formatted on the server), read at step k as charts.kit.read_description reads it, set as the aria-label of
  // the chart whose label begins with the template's "what" (Vega sets it once, from the spec's description).
  const described = (data && data.describe) || null;
  const readOut = (template, k) => {
    if (!template.runs.length) return template.what + template.after;
    const at = Math.min(Math.max(Math.floor(k), 0), template.last);
    const parts = [];
    for (const run of template.runs) {
      let low = 0, high = run.steps.length;  // the last row with step <= at (bisect_right - 1)
      while (low < high) { const mid = (low + high) >> 1; if (run.steps[mid] <= at) low = mid + 1; else high = mid; }
      if (low === 0) continue;
      const numbers = run.cells.map(([label, values]) => `${label} = ${values[low - 1]}`).join(", ");
      parts.push(run.name === null ? numbers : `${run.name}: ${numbers}`);
    }
    return `${template.what}, step ${at} of ${template.last}: ` + parts.join("; ") + template.after;
  };
  const label = (value) => {
    if (!described) return;
    const text = readOut(described, Number(value) || 0);
    for (const input of inputs()) {
      const embed = input.closest(".vega-embed");
      if (embed && (embed.getAttribute("aria-label") || "").startsWith(described.what)) {
        embed.setAttribute("aria-label", text);
      }
    }
  };
  const render = (value) => {
    label(value);
    if (!followBox || (!lines && !table)) return;
    const k = Math.max(0, Math.floor(Number(value) || 0));
    followBox.replaceChildren();
    if (lines && lines.length) {
      followBox.appendChild(cell("div", lines[Math.min(k, lines.length - 1)])).className = "line";
    }
    if (table && table.rows.length) {
      const at = Math.min(k, table.rows.length - 1), first = Math.max(0, Math.min(at - 2, table.rows.length - 5));
      const grid = document.createElement("table"), head = document.createElement("tr");
      table.columns.forEach((c) => head.appendChild(cell("th", c)));
      grid.appendChild(head);
      table.rows.slice(first, first + 5).forEach((row, i) => {
        const tr = document.createElement("tr");
        if (first + i === at) tr.className = "now";
        row.forEach((v) => tr.appendChild(cell("td", v)));
        grid.appendChild(tr);
      });
      followBox.appendChild(grid);
    }
  };
  // Not history.replaceState on every step: at 30 steps/s it was 6% of the page's main thread while playing, and
  // Chromium throttles the history API past a few hundred calls in 10 s. While playing, the poller below (every
  // 250 ms) keeps the URL; a step taken by hand is written at once, and Copy link writes the current one first.
  const onInput = (event) => {
    if (!inputs().includes(event.target)) return;
    if (!timer) remember(event.target.value);
    render(event.target.value);
  };
  document.addEventListener("input", onInput);
  const asked = new URLSearchParams(window.location.search).get(name);
  const wanted = asked === null || asked.trim() === "" ? NaN : Number(asked);
  let tries = 0;
  let follow = null;
  let touched = false;  // a button or key was used before the chart's slider appeared
  const restore = setInterval(() => {  // the chart may render after this component: wait for its slider
    if (inputs().length || ++tries > 100) {
      clearInterval(restore);
      if (Number.isFinite(wanted) && !touched) setStep(wanted);  // not over a step taken in the meantime
      render(current());
      // From now on the URL follows the chart; when a rerun redraws the chart (a new slider, at its default step:
      // ui.screen's width report does this right after a page opens), the chart is put back at the URL's step.
      let seen = inputs()[0];
      follow = setInterval(() => {
        const shown = inputs()[0];
        if (!shown) return;
        const kept = new URLSearchParams(window.location.search).get(name);
        if (shown !== seen) {
          seen = shown;
          if (kept !== null && kept.trim() !== "" && Number.isFinite(Number(kept)) && kept !== shown.value) {
            setStep(Number(kept));
            return;
          }
        }
        if (kept !== shown.value) remember(shown.value);
      }, 250);
    }
  }, 100);
  if (data && data.presenting) root.querySelector(".hint").style.display = "none";
  const copyButton = root.querySelector("[data-act=copy]");
  const copyLink = async () => {
    if (inputs().length) remember(current());
    try {
      await navigator.clipboard.writeText(window.location.href);
      copyButton.textContent = "✓ Link copied";
    } catch (error) {
      window.prompt("Copy this link:", window.location.href);
    }
    setTimeout(() => (copyButton.textContent = "🔗 Copy link"), 2000);
  };

  const act = {
    copy: copyLink,
    play: () => (timer ? stop() : play()),
    first: () => { stop(); setStep(0); },
    last: () => { stop(); setStep(last()); },
    back: () => { stop(); setStep(current() - stride()); },
    forward: () => { stop(); setStep(current() + stride()); },
  };
  root.querySelectorAll("button").forEach((b) => (b.onclick = () => { touched = true; act[b.dataset.act](); }));
  root.querySelector("[data-act=speed]").onchange = () => { if (timer) { stop(); play(); } };

  const keys = { ArrowLeft: act.back, ArrowRight: act.forward, Home: act.first, End: act.last };
  const onKey = (event) => {
    const target = event.target;
    const typing = target && (target.isContentEditable || ["TEXTAREA", "SELECT"].includes(target.tagName) ||
      (target.tagName === "INPUT" && target.type !== "range"));
    if (typing || event.defaultPrevented || !keys[event.key] || event.altKey || event.ctrlKey || event.metaKey) return;
    if (target && target.tagName === "INPUT" && target.type === "range") return;  // the browser steps it natively
    event.preventDefault();
    touched = true;
    keys[event.key]();
  };
  document.addEventListener("keydown", onKey);
  return () => {
    stop();
    clearInterval(restore);
    clearInterval(follow);
    document.removeEventListener("keydown", onKey);
    document.removeEventListener("input", onInput);
  };
}
"""
