// The browser half of widgets.point_cloud.PointCloud: every point of a search space on one
// <canvas>, with hover, click, zoom, pan, box and lasso selection, a colour bar and a PNG export.
//
// Points come as 4-byte binary arrays (x, y and an optional colour value per point); a change of
// any synced value redraws once (changes that arrive together are coalesced in a microtask).
// The root element carries `ktnasCloud`: the number of draws, the time of the last one and the
// page position of any point, which the browser tests and benchmarks/bench_app.py read.

const DPR = () => Math.max(1, Math.min(3, window.devicePixelRatio || 1));
const NAN_COLOR = "#c8ccd4";

function floats(value) {
  if (!value) return new Float32Array(0);
  if (value instanceof Float32Array) return value;
  const view = value instanceof DataView ? value : ArrayBuffer.isView(value) ? value : new DataView(value);
  const bytes = view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
  return new Float32Array(bytes, 0, Math.floor(bytes.byteLength / 4));
}

// A 256-entry colour table ([r, g, b] bytes) sampled from plotly-style [[position, css colour], ...].
function colorTable(scale) {
  const c = document.createElement("canvas");
  c.width = 256; c.height = 1;
  const ctx = c.getContext("2d", { willReadFrequently: true });
  const g = ctx.createLinearGradient(0, 0, 255, 0);
  for (const [pos, color] of scale && scale.length ? scale : [[0, "#4a6fa5"], [1, "#4a6fa5"]]) g.addColorStop(pos, color);
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, 256, 1);
  return ctx.getImageData(0, 0, 256, 1).data;
}

function isInt(v) { return Number.isFinite(v) && Math.abs(v - Math.round(v)) < 1e-9; }

// A number as the tooltips and ticks show it: integers with thousands separators, others to 4 digits.
function fmt(v) {
  if (!Number.isFinite(v)) return String(v);
  if (isInt(v)) return Math.round(v).toLocaleString("en-US");
  return String(Number(v.toPrecision(4)));
}

function niceTicks(lo, hi, count) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map(f => f * mag).find(s => s >= raw);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

function logTicks(lo, hi) {  // lo, hi in log10 units
  const ticks = [];
  for (let p = Math.floor(lo); p <= Math.ceil(hi); p++) {
    for (const f of hi - lo < 2.5 ? [1, 2, 5] : [1]) {
      const t = Math.log10(f) + p;
      if (t >= lo - 1e-9 && t <= hi + 1e-9) ticks.push(t);
    }
  }
  return ticks;
}

// Text with <b>…</b> runs drawn left to right from (x, y); returns its width.  Nothing else is
// markup: the rest is drawn as it is written.
function richText(ctx, text, x, y, size, family, measureOnly) {
  let width = 0, bold = false;
  for (const part of String(text).split(/(<b>|<\/b>)/)) {
    if (part === "<b>") { bold = true; continue; }
    if (part === "</b>") { bold = false; continue; }
    ctx.font = `${bold ? "600 " : ""}${size}px ${family}`;
    if (!measureOnly) ctx.fillText(part, x + width, y);
    width += ctx.measureText(part).width;
  }
  return width;
}

function plainText(text) { return String(text).replace(/<\/?b>/g, ""); }

function starPath(ctx, x, y, r) {
  for (let i = 0; i < 10; i++) {
    const a = -Math.PI / 2 + (i * Math.PI) / 5, rr = i % 2 ? r * 0.45 : r;
    i ? ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a)) : ctx.moveTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
  }
  ctx.closePath();
}

function insidePolygon(px, py, poly) {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i], [xj, yj] = poly[j];
    if ((yi > py) !== (yj > py) && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

const MODES = [["zoom", "Zoom", "drag a box to zoom in; double-click to zoom out"],
               ["pan", "Pan", "drag to move the view"],
               ["box", "Box", "drag a box to select the points inside"],
               ["lasso", "Lasso", "draw around points to select them"]];

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "ktnas-cloud";
  const canvas = document.createElement("canvas"), overlay = document.createElement("canvas");
  canvas.className = "ktnas-cloud-points";
  overlay.className = "ktnas-cloud-overlay";
  const tip = document.createElement("div");
  tip.className = "ktnas-cloud-tip";
  const bar = document.createElement("div");
  bar.className = "ktnas-cloud-bar";
  root.append(canvas, overlay, tip, bar);
  el.appendChild(root);

  const get = (name) => model.get(name);
  let data = null;          // the synced values, read once per draw
  let view = null;          // [x0, x1, y0, y1] of a zoom or pan (axis units), null: the whole cloud
  let frame = null;         // the plot's pixel box and its axis ranges, as last drawn
  let selected = null;      // Uint8Array mask of the box/lasso selection, or null
  let mode = get("drag_mode") || "zoom";
  let lastHover = -1, drag = null, pending = false;
  const stats = { draws: 0, drawnAt: 0, count: 0 };

  const buttons = {};
  for (const [key, label, title] of MODES) {
    const b = document.createElement("button");
    b.textContent = label; b.title = title; b.dataset.mode = key;
    b.onclick = () => { mode = key; syncButtons(); };
    buttons[key] = b; bar.appendChild(b);
  }
  const reset = document.createElement("button");
  reset.textContent = "Reset"; reset.title = "show every point again (double-click does the same)";
  reset.onclick = () => { view = null; draw(); };
  const png = document.createElement("button");
  png.textContent = "PNG"; png.title = "download the figure as a PNG image";
  png.onclick = () => savePng();
  bar.append(reset, png);
  function syncButtons() { for (const [k, b] of Object.entries(buttons)) b.classList.toggle("active", k === mode); }
  syncButtons();

  function read() {
    const layers = (get("layers") || []).map(l => ({ ...l, indices: Int32Array.from(l.indices || []) }));
    return {
      x: floats(get("_x")), y: floats(get("_y")), c: floats(get("_c")),
      width: get("width"), height: get("height"), margin: get("margin"),
      title: get("title"), xaxis: get("xaxis"), yaxis: get("yaxis"), equal: get("equal_aspect"),
      color: get("point_color"), size: get("point_size"), opacity: get("point_opacity"),
      name: get("point_name"), scale: colorTable(get("colorscale")), cmin: get("cmin"), cmax: get("cmax"),
      colorbar: get("colorbar_title"), layers, lines: get("lines") || [], hover: get("hover"),
      font: get("font_family"), ink: get("ink"), grid: get("grid_color"),
    };
  }

  function scheduleDraw() {
    if (pending) return;
    pending = true;
    queueMicrotask(() => { pending = false; data = read(); if (selected && selected.length !== data.x.length) selected = null; draw(); });
  }

  const tx = (axis) => (axis && axis.type === "log" ? (v) => (v > 0 ? Math.log10(v) : NaN) : (v) => v);

  function extent(values, f) {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = f(values[i]);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(hi >= lo)) return [0, 1];
    const pad = (hi - lo || 1) * 0.04;
    return [lo - pad, hi + pad];
  }

  // The pixel box of the plot and the axis ranges that fill it (equal units on both axes when asked).
  function layout(d) {
    const m = d.margin, withBar = d.c.length > 0;
    const box = { l: m.l, t: m.t, r: d.width - m.r - (withBar ? d.barWidth : 0), b: d.height - m.b };
    const fx = tx(d.xaxis), fy = tx(d.yaxis);
    let [x0, x1] = d.xaxis.range || extent(d.x, fx), [y0, y1] = d.yaxis.range || extent(d.y, fy);
    if (view) [x0, x1, y0, y1] = view;
    const w = box.r - box.l, h = box.b - box.t;
    if (d.equal && w > 0 && h > 0) {
      const ux = (x1 - x0) / w, uy = (y1 - y0) / h;
      if (ux > uy) { const c = (y0 + y1) / 2; y0 = c - (ux * h) / 2; y1 = c + (ux * h) / 2; }
      else { const c = (x0 + x1) / 2; x0 = c - (uy * w) / 2; x1 = c + (uy * w) / 2; }
    }
    const sx = w / (x1 - x0), sy = h / (y1 - y0);
    return { box, x0, x1, y0, y1, fx, fy,
             px: (v) => box.l + (fx(v) - x0) * sx, py: (v) => box.b - (fy(v) - y0) * sy,
             ux: (p) => x0 + (p - box.l) / sx, uy: (p) => y0 + (box.b - p) / sy };
  }

  function sizeCanvas(c, d) {
    const r = DPR();
    c.width = Math.round(d.width * r); c.height = Math.round(d.height * r);
    c.style.width = `${d.width}px`; c.style.height = `${d.height}px`;
    const ctx = c.getContext("2d");
    ctx.setTransform(r, 0, 0, r, 0, 0);
    return ctx;
  }

  function draw() {
    if (!data) data = read();
    const d = data, n = Math.min(d.x.length, d.y.length);
    root.style.width = `${d.width}px`; root.style.height = `${d.height}px`;
    const ctx = sizeCanvas(canvas, d);
    sizeCanvas(overlay, d);
    if (d.c.length) d.barWidth = colorbarWidth(ctx, d);
    const f = (frame = layout(d)), { box } = f;
    const font = d.font, ink = d.ink;
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, d.width, d.height);

    // grid, ticks and tick labels
    ctx.strokeStyle = d.grid; ctx.lineWidth = 1; ctx.fillStyle = ink;
    ctx.font = `12px ${font}`;
    const xt = d.xaxis.type === "log" ? logTicks(f.x0, f.x1) : niceTicks(f.x0, f.x1, 6);
    const yt = d.yaxis.type === "log" ? logTicks(f.y0, f.y1) : niceTicks(f.y0, f.y1, 6);
    const label = (axis, t) => fmt(axis.type === "log" ? Math.pow(10, t) : t);
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const t of xt) {
      const p = box.l + ((t - f.x0) / (f.x1 - f.x0)) * (box.r - box.l);
      ctx.beginPath(); ctx.moveTo(p + 0.5, box.t); ctx.lineTo(p + 0.5, box.b); ctx.stroke();
      if (d.xaxis.ticklabels !== false) ctx.fillText(label(d.xaxis, t), p, box.b + 6);
    }
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (const t of yt) {
      const p = box.b - ((t - f.y0) / (f.y1 - f.y0)) * (box.b - box.t);
      ctx.beginPath(); ctx.moveTo(box.l, p + 0.5); ctx.lineTo(box.r, p + 0.5); ctx.stroke();
      if (d.yaxis.ticklabels !== false) ctx.fillText(label(d.yaxis, t), box.l - 6, p);
    }

    ctx.save();
    ctx.beginPath(); ctx.rect(box.l, box.t, box.r - box.l, box.b - box.t); ctx.clip();
    drawPoints(ctx, d, f, n);
    for (const line of d.lines) {
      ctx.strokeStyle = line.color || ink; ctx.lineWidth = line.width || 1; ctx.globalAlpha = line.opacity ?? 0.9;
      ctx.setLineDash(line.dash ? [6, 4] : []);
      ctx.beginPath(); ctx.moveTo(f.px(line.x0), f.py(line.y0)); ctx.lineTo(f.px(line.x1), f.py(line.y1)); ctx.stroke();
    }
    ctx.setLineDash([]); ctx.globalAlpha = 1;
    for (const layer of d.layers) drawLayer(ctx, d, f, layer);
    ctx.restore();

    // axis titles, title, legend, colour bar
    ctx.fillStyle = ink; ctx.textBaseline = "alphabetic"; ctx.textAlign = "left";
    const xw = richText(ctx, d.xaxis.title || "", 0, 0, 13, font, true);
    richText(ctx, d.xaxis.title || "", (box.l + box.r) / 2 - xw / 2, d.height - 14, 13, font);
    ctx.save();
    ctx.translate(16, (box.t + box.b) / 2); ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    const yw = richText(ctx, d.yaxis.title || "", 0, 0, 13, font, true);
    richText(ctx, d.yaxis.title || "", -yw / 2, 0, 13, font);
    ctx.restore();
    ctx.textBaseline = "alphabetic";
    richText(ctx, d.title || "", Math.round(0.02 * d.width), 24, 15, font);
    drawLegend(ctx, d, f);
    if (d.c.length) drawColorbar(ctx, d, f);

    stats.draws += 1; stats.drawnAt = performance.now(); stats.count = n;
    root.dataset.draws = String(stats.draws);
    if (n) window.dispatchEvent(new Event("ktnas:drawn"));  // the page may now load what later tabs need
  }

  function drawPoints(ctx, d, f, n) {
    const r = Math.max(0.5, d.size / 2), x = d.x, y = d.y, c = d.c;
    const dim = selected ? 0.2 : 1;
    if (!c.length) {
      ctx.fillStyle = d.color;
      for (const pass of selected ? [0, 1] : [1]) {
        ctx.globalAlpha = d.opacity * (pass ? 1 : dim);
        ctx.beginPath();
        for (let i = 0; i < n; i++) {
          if (selected && (selected[i] === 1) !== (pass === 1)) continue;
          const px = f.px(x[i]), py = f.py(y[i]);
          ctx.moveTo(px + r, py); ctx.arc(px, py, r, 0, 2 * Math.PI);
        }
        ctx.fill();
      }
      ctx.globalAlpha = 1;
      return;
    }
    // one path per colour of the table: 256 fills instead of one per point
    const lo = d.cmin, span = d.cmax - d.cmin || 1, buckets = new Int32Array(n), counts = new Int32Array(258);
    for (let i = 0; i < n; i++) {
      const v = c[i];
      const k = Number.isFinite(v) ? Math.max(0, Math.min(255, Math.round(((v - lo) / span) * 255))) : 256;
      buckets[i] = k; counts[k + 1] += 1;
    }
    for (let k = 1; k < 258; k++) counts[k] += counts[k - 1];
    const order = new Int32Array(n), next = counts.slice();
    for (let i = 0; i < n; i++) order[next[buckets[i]]++] = i;
    for (const pass of selected ? [0, 1] : [1]) {
      ctx.globalAlpha = d.opacity * (pass ? 1 : dim);
      for (let k = 0; k < 257; k++) {
        if (counts[k] === counts[k + 1]) continue;
        ctx.fillStyle = k === 256 ? NAN_COLOR : `rgb(${d.scale[4 * k]},${d.scale[4 * k + 1]},${d.scale[4 * k + 2]})`;
        ctx.beginPath();
        for (let j = counts[k]; j < counts[k + 1]; j++) {
          const i = order[j];
          if (selected && (selected[i] === 1) !== (pass === 1)) continue;
          const px = f.px(x[i]), py = f.py(y[i]);
          ctx.moveTo(px + r, py); ctx.arc(px, py, r, 0, 2 * Math.PI);
        }
        ctx.fill();
      }
    }
    ctx.globalAlpha = 1;
  }

  function drawLayer(ctx, d, f, layer) {
    const r = (layer.size || 8) / 2;
    ctx.fillStyle = layer.color; ctx.strokeStyle = layer.line_color || "#fff";
    ctx.lineWidth = layer.line_width ?? 0.8; ctx.globalAlpha = layer.opacity ?? 0.95;
    for (const i of layer.indices) {
      if (i < 0 || i >= d.x.length) continue;
      const px = f.px(d.x[i]), py = f.py(d.y[i]);
      ctx.beginPath();
      if (layer.symbol === "star") starPath(ctx, px, py, r); else ctx.arc(px, py, r, 0, 2 * Math.PI);
      ctx.fill();
      if (ctx.lineWidth > 0) ctx.stroke();
    }
    ctx.globalAlpha = 1;
  }

  function legendItems(d) {
    const items = [];
    if (d.name) items.push({ name: d.name, color: d.color, size: Math.max(6, d.size * 2), opacity: d.opacity });
    for (const l of d.layers) if (l.legend && l.indices.length) items.push({ ...l, name: l.label || l.name, size: Math.min(12, l.size || 8) });
    return items;
  }

  function drawLegend(ctx, d) {
    let x = Math.round(0.02 * d.width);
    const y = d.title ? 48 : 20;
    ctx.font = `12px ${d.font}`; ctx.textBaseline = "middle"; ctx.textAlign = "left";
    for (const item of legendItems(d)) {
      ctx.fillStyle = item.color; ctx.globalAlpha = Math.max(0.6, item.opacity ?? 1);
      ctx.beginPath();
      if (item.symbol === "star") starPath(ctx, x + 6, y, item.size / 2); else ctx.arc(x + 6, y, item.size / 2, 0, 2 * Math.PI);
      ctx.fill(); ctx.globalAlpha = 1;
      ctx.fillStyle = d.ink;
      ctx.fillText(plainText(item.name), x + 16, y);
      x += 16 + ctx.measureText(plainText(item.name)).width + 18;
    }
    ctx.textBaseline = "alphabetic";
  }

  // Room for the colour bar right of the plot: its title's longest line or its tick labels.
  function colorbarWidth(ctx, d) {
    const lines = String(d.colorbar || "").split("\n");
    const title = Math.max(0, ...lines.map(line => richText(ctx, line, 0, 0, 11, d.font, true)));
    ctx.font = `11px ${d.font}`;
    const ticks = Math.max(0, ...niceTicks(d.cmin, d.cmax, 5).map(t => ctx.measureText(fmt(t)).width));
    return Math.ceil(Math.max(title + 14, ticks + 40, 60));
  }

  function drawColorbar(ctx, d, f) {
    const { box } = f, x = box.r + 18, w = 14, lines = String(d.colorbar || "").split("\n");
    const h = (box.b - box.t) * 0.72, top = box.t + (box.b - box.t) * 0.28 - 4;
    for (let i = 0; i < h; i++) {
      const k = Math.round((1 - i / h) * 255);
      ctx.fillStyle = `rgb(${d.scale[4 * k]},${d.scale[4 * k + 1]},${d.scale[4 * k + 2]})`;
      ctx.fillRect(x, top + i, w, 1.5);
    }
    ctx.strokeStyle = d.grid; ctx.strokeRect(x + 0.5, top + 0.5, w, h);
    ctx.fillStyle = d.ink; ctx.font = `11px ${d.font}`; ctx.textAlign = "left"; ctx.textBaseline = "middle";
    for (const t of niceTicks(d.cmin, d.cmax, 5)) {
      const p = top + h - ((t - d.cmin) / (d.cmax - d.cmin || 1)) * h;
      ctx.fillRect(x + w, p, 3, 1);
      ctx.fillText(fmt(t), x + w + 5, p);
    }
    ctx.textBaseline = "alphabetic";
    lines.forEach((line, i) => richText(ctx, line, x - 4, top - 10 - (lines.length - 1 - i) * 14, 11, d.font));
  }

  // -- the pointer ---------------------------------------------------------------------------
  function pointer(event) {
    const r = canvas.getBoundingClientRect();
    return [event.clientX - r.left, event.clientY - r.top];
  }

  function inPlot([px, py]) {
    const b = frame && frame.box;
    return b && px >= b.l && px <= b.r && py >= b.t && py <= b.b;
  }

  // The point under the pointer: [index, layer name or ""], top layer first; [-1, ""] if none.
  function pick([px, py]) {
    const d = data, f = frame;
    if (!d || !f || !inPlot([px, py])) return [-1, ""];
    for (let k = d.layers.length - 1; k >= 0; k--) {
      const l = d.layers[k], r = Math.max(5, (l.size || 8) / 2 + 2);
      let best = -1, bestD = r * r;
      for (const i of l.indices) {
        const dx = f.px(d.x[i]) - px, dy = f.py(d.y[i]) - py, dd = dx * dx + dy * dy;
        if (dd <= bestD) { best = i; bestD = dd; }
      }
      if (best >= 0) return [best, l.label || l.name || ""];
    }
    const r = Math.max(5, d.size / 2 + 2);
    let best = -1, bestD = r * r;
    for (let i = 0; i < d.x.length; i++) {
      const dx = f.px(d.x[i]) - px;
      if (dx > r || dx < -r) continue;
      const dy = f.py(d.y[i]) - py, dd = dx * dx + dy * dy;
      if (dd <= bestD) { best = i; bestD = dd; }
    }
    return [best, ""];
  }

  function tooltip(index, layer, [px, py]) {
    if (index < 0) { tip.style.display = "none"; return; }
    const d = data, values = { index: fmt(index), x: fmt(d.x[index]), y: fmt(d.y[index]),
                               c: d.c.length ? fmt(d.c[index]) : "" };
    const lines = String(d.hover || "cell {index}").replace(/\{(index|x|y|c)\}/g, (_, k) => values[k]).split("\n");
    if (layer) lines.push(plainText(layer));
    showTip(tip, lines, px, py, d.width, d.height);
  }

  function ring(index) {
    const ctx = overlay.getContext("2d");
    ctx.clearRect(0, 0, data.width, data.height);
    if (index < 0) return;
    ctx.strokeStyle = data.ink; ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.arc(frame.px(data.x[index]), frame.py(data.y[index]), Math.max(5, data.size / 2 + 3), 0, 2 * Math.PI);
    ctx.stroke();
  }

  function send(content, buffers) { model.send(content, undefined, buffers || []); }

  overlay.addEventListener("pointermove", (event) => {
    const p = pointer(event);
    if (drag) return dragMove(p);
    const [index, layer] = pick(p);
    tooltip(index, layer, p);
    if (index !== lastHover) {
      lastHover = index;
      ring(index);
      if (index >= 0) send({ event: "hover", index });
    }
    overlay.style.cursor = index >= 0 ? "pointer" : inPlot(p) ? "crosshair" : "default";
  });
  overlay.addEventListener("pointerleave", () => {
    if (drag) return;
    tip.style.display = "none"; lastHover = -1; ring(-1);
  });
  overlay.addEventListener("pointerdown", (event) => {
    const p = pointer(event);
    if (!inPlot(p) || event.button !== 0) return;
    overlay.setPointerCapture(event.pointerId);
    drag = { start: p, path: [p], view: [frame.x0, frame.x1, frame.y0, frame.y1], moved: false };
  });
  overlay.addEventListener("pointerup", (event) => {
    if (!drag) return;
    const p = pointer(event), d = drag;
    drag = null;
    overlay.releasePointerCapture(event.pointerId);
    if (!d.moved) {
      const [index] = pick(p);
      if (index >= 0) send({ event: "click", index });
      ring(lastHover);
      return;
    }
    const [x0, y0] = d.start, [x1, y1] = p;
    if (mode === "zoom" && Math.abs(x1 - x0) > 4 && Math.abs(y1 - y0) > 4) {
      const a = [frame.ux(Math.min(x0, x1)), frame.ux(Math.max(x0, x1))];
      view = [...a, frame.uy(Math.max(y0, y1)), frame.uy(Math.min(y0, y1))];
      draw();
    } else if (mode === "box" || mode === "lasso") {
      const poly = mode === "box" ? [[x0, y0], [x1, y0], [x1, y1], [x0, y1]] : d.path;
      select(poly);
    }
    ring(-1);
  });
  overlay.addEventListener("dblclick", () => {
    view = null;
    if (selected) { selected = null; send({ event: "select" }, [new Int32Array(0).buffer]); }
    draw();
  });

  function dragMove(p) {
    const d = drag, [x0, y0] = d.start;
    d.moved = d.moved || Math.abs(p[0] - x0) + Math.abs(p[1] - y0) > 3;
    if (!d.moved) return;
    tip.style.display = "none";
    const ctx = overlay.getContext("2d");
    ctx.clearRect(0, 0, data.width, data.height);
    ctx.strokeStyle = data.ink; ctx.lineWidth = 1; ctx.setLineDash([4, 3]); ctx.fillStyle = "rgba(74,111,165,0.08)";
    if (mode === "pan") {
      const [a, b, c, e] = d.view, sx = (b - a) / (frame.box.r - frame.box.l), sy = (e - c) / (frame.box.b - frame.box.t);
      const dx = (p[0] - x0) * sx, dy = (p[1] - y0) * sy;
      view = [a - dx, b - dx, c + dy, e + dy];
      if (!d.raf) d.raf = requestAnimationFrame(() => { d.raf = null; draw(); });
    } else if (mode === "lasso") {
      d.path.push(p);
      ctx.beginPath(); d.path.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y))); ctx.closePath();
      ctx.fill(); ctx.stroke();
    } else {
      ctx.fillRect(Math.min(x0, p[0]), Math.min(y0, p[1]), Math.abs(p[0] - x0), Math.abs(p[1] - y0));
      ctx.strokeRect(Math.min(x0, p[0]), Math.min(y0, p[1]), Math.abs(p[0] - x0), Math.abs(p[1] - y0));
    }
    ctx.setLineDash([]);
  }

  // Select the points inside a polygon of page pixels and tell the kernel (4-byte indices).
  function select(poly) {
    const d = data, f = frame, n = d.x.length, mask = new Uint8Array(n), picked = [];
    let [l, r, t, b] = [Infinity, -Infinity, Infinity, -Infinity];
    for (const [x, y] of poly) { l = Math.min(l, x); r = Math.max(r, x); t = Math.min(t, y); b = Math.max(b, y); }
    for (let i = 0; i < n; i++) {
      const px = f.px(d.x[i]), py = f.py(d.y[i]);
      if (px < l || px > r || py < t || py > b || !insidePolygon(px, py, poly)) continue;
      mask[i] = 1; picked.push(i);
    }
    selected = picked.length ? mask : null;
    send({ event: "select" }, [Int32Array.from(picked).buffer]);
    draw();
  }

  function savePng() {
    const name = plainText(data.title || "points").replace(/[^\w.-]+/g, "_").slice(0, 80);
    canvas.toBlob((blob) => download(blob, `${name}.png`), "image/png");
  }

  // what tests and benchmarks read: draws, the time of the last, where point i is on the page
  root.ktnasCloud = {
    get draws() { return stats.draws; },
    get drawnAt() { return stats.drawnAt; },
    get count() { return stats.count; },
    get title() { return plainText((data && data.title) || ""); },
    get selection() { return selected ? selected.reduce((n, v) => n + v, 0) : 0; },
    setMode(m) { mode = m; syncButtons(); },
    position(i) {
      const r = canvas.getBoundingClientRect();
      return { x: r.left + frame.px(data.x[i]), y: r.top + frame.py(data.y[i]) };
    },
    values(name) { return Array.from(data[name]); },
  };

  const names = ["_x", "_y", "_c", "width", "height", "margin", "title", "xaxis", "yaxis", "equal_aspect",
                 "point_color", "point_size", "point_opacity", "point_name", "colorscale", "cmin", "cmax",
                 "colorbar_title", "layers", "lines", "hover", "font_family", "ink", "grid_color"];
  const onChange = () => scheduleDraw();
  const onData = () => { view = null; scheduleDraw(); };  // new points or axes: the whole cloud again
  model.on(names.map(n => `change:${n}`).join(" "), onChange);
  model.on("change:_x change:_y change:xaxis change:yaxis", onData);
  draw();
  return () => { model.off(null, onChange); model.off(null, onData); };
}

export default { render };
