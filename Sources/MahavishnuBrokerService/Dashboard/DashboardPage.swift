/// The dashboard: one page, no build step. It polls `/api/overview` every two seconds and
/// `/api/tasks` for the recent-tasks table, and sends actions with the admin token the user
/// pastes in (kept in the browser's local storage).
enum DashboardPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>Mahavishnu broker</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <style>
      body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
      header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; }
      header h1 { font-size: 18px; margin: 0; }
      header .figure b { font-size: 18px; }
      main { padding: 16px 20px; display: grid; gap: 16px; }
      section { background: #fff; border: 1px solid #dde1e8; border-radius: 6px; padding: 12px 16px; }
      h2 { font-size: 15px; margin: 0 0 8px; }
      table { border-collapse: collapse; width: 100%; }
      th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eef0f3; white-space: nowrap; }
      td.text { white-space: normal; max-width: 420px; overflow-wrap: anywhere; }
      .status-healthy, .status-completed { color: #17803d; } .status-lost, .status-failed, .status-timeout { color: #b42318; }
      .status-unhealthy, .status-draining, .status-cancelled, .status-expired { color: #b54708; }
      .muted { color: #667085; } .error { color: #b42318; }
      svg { width: 100%; height: 160px; background: #fbfcfd; border: 1px solid #eef0f3; }
      input, button { font: inherit; } button { cursor: pointer; }
      .legend span { margin-right: 16px; }
    </style>
    </head>
    <body>
    <header>
      <h1>Mahavishnu broker</h1>
      <span class="figure">health <b id="health">…</b></span>
      <span class="figure">pools <b id="pools-count">0</b></span>
      <span class="figure">completed <b id="completed">0</b></span>
      <span class="figure">failed, 15 min <b id="failed">0</b></span>
      <span class="figure">queued <b id="queued">0</b></span>
      <span class="figure">in flight <b id="in-flight">0</b></span>
      <span class="muted" id="updated">not loaded yet</span>
    </header>
    <main>
      <section>
        <h2>Pools</h2>
        <table>
          <thead><tr><th>pool</th><th>status</th><th>host</th><th>busy / workers</th><th>queue</th><th>heartbeat</th><th>restarts</th><th>memory</th><th>completed</th><th>actions</th></tr></thead>
          <tbody id="pools"></tbody>
        </table>
      </section>
      <section>
        <h2>Last 15 minutes</h2>
        <div class="legend"><span style="color:#2f6feb">■ tasks/s</span><span style="color:#17803d">■ p50 ms</span><span style="color:#b54708">■ p99 ms</span><span id="failure-rate" class="muted"></span></div>
        <svg id="chart" viewBox="0 0 900 160" preserveAspectRatio="none"></svg>
      </section>
      <section>
        <h2>Recent tasks</h2>
        <form id="search"><input id="query" placeholder="search prompts and outputs" size="40"> <button>search</button> <span id="tasks-note" class="muted"></span></form>
        <table>
          <thead><tr><th>task</th><th>status</th><th>pool</th><th>duration</th><th>attempts</th><th>prompt</th><th>output</th><th></th></tr></thead>
          <tbody id="tasks"></tbody>
        </table>
      </section>
      <section>
        <h2>Admin token</h2>
        <p class="muted">Scaling, closing pools and cancelling tasks need the broker's admin token (the file <code>dashboard.token</code>; see docs/observability.md).</p>
        <input id="token" type="password" size="70" placeholder="paste the admin token"> <span id="action-result"></span>
      </section>
    </main>
    <script>
    const $ = (id) => document.getElementById(id);
    const text = (value) => document.createTextNode(value == null ? "" : String(value));
    function cell(row, value, className) { const td = row.insertCell(); if (className) td.className = className; td.appendChild(value instanceof Node ? value : text(value)); return td; }
    function bytes(n) { return n > 0 ? (n / 1048576).toFixed(1) + " MB" : "—"; }
    $("token").value = localStorage.getItem("mahavishnu-token") || "";
    $("token").addEventListener("change", () => localStorage.setItem("mahavishnu-token", $("token").value));

    async function act(path, body) {
      const response = await fetch(path, { method: "POST", headers: { "Authorization": "Bearer " + $("token").value, "Content-Type": "application/json" }, body: JSON.stringify(body || {}) });
      const answer = await response.json();
      $("action-result").className = response.ok ? "muted" : "error";
      $("action-result").textContent = response.ok ? "done: " + path : (answer.error + ": " + answer.message);
      refresh();
    }
    function button(label, onClick) { const b = document.createElement("button"); b.textContent = label; b.addEventListener("click", onClick); return b; }

    function drawChart(activity) {
      const svg = $("chart"); svg.innerHTML = "";
      if (!activity.length) return;
      const rates = activity.map(b => b.finished / 10), p50 = activity.map(b => b.p50_ms), p99 = activity.map(b => b.p99_ms);
      const top = (values) => Math.max(1, ...values.filter(v => v != null));
      const line = (values, color, scale) => {
        const points = values.map((v, i) => v == null ? null : `${(i / (values.length - 1)) * 900},${155 - (v / scale) * 145}`).filter(Boolean);
        if (!points.length) return;
        const path = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
        path.setAttribute("points", points.join(" ")); path.setAttribute("fill", "none"); path.setAttribute("stroke", color); path.setAttribute("stroke-width", "2");
        svg.appendChild(path);
      };
      line(rates, "#2f6feb", top(rates)); const latencyTop = top(p99); line(p50, "#17803d", latencyTop); line(p99, "#b54708", latencyTop);
      const finished = activity.reduce((s, b) => s + b.finished, 0), failed = activity.reduce((s, b) => s + b.failed, 0);
      $("failure-rate").textContent = finished ? `failure rate ${(100 * failed / finished).toFixed(1)}% of ${finished}; peak ${top(rates).toFixed(1)} tasks/s, p99 up to ${latencyTop} ms` : "no tasks finished in the last 15 minutes";
    }

    async function refresh() {
      try {
        const overview = await (await fetch("/api/overview")).json();
        const stats = overview.stats, health = overview.health;
        $("health").textContent = health.status; $("health").className = "status-" + health.status;
        $("pools-count").textContent = health.pools.length;
        const completed = overview.pools.reduce((s, p) => s + p.tasks_completed, 0);
        $("completed").textContent = completed;
        $("failed").textContent = overview.activity.reduce((s, b) => s + b.failed, 0);
        $("queued").textContent = stats.queue_depth; $("in-flight").textContent = stats.in_flight;
        $("updated").textContent = "updated " + new Date(overview.published_at * 1000).toLocaleTimeString();
        const details = Object.fromEntries(overview.pools.map(p => [p.pool_id, p]));
        const body = $("pools"); body.innerHTML = "";
        for (const pool of health.pools) {
          const d = details[pool.pool_id] || {}, row = body.insertRow(); row.dataset.pool = pool.name;
          cell(row, pool.name); cell(row, pool.status, "status-" + pool.status); cell(row, d.host);
          cell(row, `${pool.active_workers} / ${pool.workers}`); cell(row, pool.queue_depth); cell(row, `${(pool.last_heartbeat_ms / 1000).toFixed(1)} s ago`);
          cell(row, d.restarts); cell(row, bytes(d.resident_memory_bytes)); cell(row, d.tasks_completed);
          const actions = document.createElement("span");
          actions.appendChild(button("+1", () => act(`/api/pools/${encodeURIComponent(pool.name)}/scale`, { workers: Math.min(pool.max, pool.workers + 1) })));
          actions.appendChild(button("−1", () => act(`/api/pools/${encodeURIComponent(pool.name)}/scale`, { workers: Math.max(pool.min, pool.workers - 1) })));
          actions.appendChild(button("close", () => act(`/api/pools/${encodeURIComponent(pool.name)}/close`)));
          cell(row, actions);
        }
        drawChart(overview.activity);
      } catch (error) {
        $("updated").textContent = "the broker does not answer: " + error; $("updated").className = "error";
      }
    }

    async function loadTasks() {
      const query = $("query").value.trim();
      const answer = await (await fetch("/api/tasks?limit=50" + (query ? "&q=" + encodeURIComponent(query) : ""))).json();
      const body = $("tasks"); body.innerHTML = "";
      if (answer.error) { $("tasks-note").textContent = answer.message; return; }
      $("tasks-note").textContent = answer.memory === "off" ? "the memory store is off (memory_aggregation_enabled)" : `${answer.tasks.length} shown`;
      for (const task of answer.tasks) {
        const row = body.insertRow();
        cell(row, task.task_id); cell(row, task.status, "status-" + task.status); cell(row, task.pool_name);
        cell(row, `${(task.duration * 1000).toFixed(0)} ms`); cell(row, task.attempts ?? "—"); cell(row, task.prompt, "text"); cell(row, task.output, "text");
        cell(row, button("cancel", () => act(`/api/tasks/${encodeURIComponent(task.task_id)}/cancel`)));
      }
    }
    $("search").addEventListener("submit", (event) => { event.preventDefault(); loadTasks(); });
    refresh(); loadTasks();
    setInterval(refresh, 2000); setInterval(() => { if (!$("query").value.trim()) loadTasks(); }, 5000);
    </script>
    </body>
    </html>
    """#
}
