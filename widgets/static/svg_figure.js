// The browser half of widgets.svg_figure.SvgFigure: a small figure drawn by the kernel as SVG.
// An element with `data-pick` tells the kernel when it is clicked; one with `data-tip` shows its
// text (lines split by newlines) beside the pointer.  The root carries `ktnasSvg` (the number of
// draws and the figure's title), which the browser tests read.

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "ktnas-svg";
  const body = document.createElement("div"), tip = document.createElement("div");
  const bar = document.createElement("div"), png = document.createElement("button");
  tip.className = "ktnas-svg-tip";
  bar.className = "ktnas-svg-bar";
  png.textContent = "PNG";
  png.title = "download the figure as a PNG image";
  png.onclick = savePng;
  bar.appendChild(png);
  root.append(body, tip, bar);
  el.appendChild(root);
  let draws = 0;

  function draw() {
    body.innerHTML = model.get("svg");  // written by the kernel, every text escaped there
    bar.style.display = model.get("png_name") ? "" : "none";
    draws += 1;
    root.dataset.draws = String(draws);
  }

  // The figure at twice its size on a canvas, saved as <png_name>.png.
  function savePng() {
    const svg = body.querySelector("svg");
    if (!svg) return;
    const w = Number(svg.getAttribute("width")), h = Number(svg.getAttribute("height"));
    const url = URL.createObjectURL(new Blob([svg.outerHTML], { type: "image/svg+xml" }));
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = 2 * w; canvas.height = 2 * h;
      const ctx = canvas.getContext("2d");
      ctx.scale(2, 2);
      ctx.drawImage(img, 0, 0, w, h);
      URL.revokeObjectURL(url);
      canvas.toBlob((blob) => download(blob, `${model.get("png_name")}.png`), "image/png");
    };
    img.src = url;
  }

  body.addEventListener("click", (event) => {
    const target = event.target.closest("[data-pick]");
    if (target) model.send({ event: "pick", value: target.dataset.pick });
  });
  body.addEventListener("pointermove", (event) => {
    const target = event.target.closest("[data-tip]");
    if (!target) { tip.style.display = "none"; return; }
    const box = root.getBoundingClientRect();
    showTip(tip, target.dataset.tip.split("\n"), event.clientX - box.left, event.clientY - box.top, box.width, box.height);
  });
  body.addEventListener("pointerleave", () => { tip.style.display = "none"; });

  root.ktnasSvg = { get draws() { return draws; }, get title() { return model.get("title"); } };
  model.on("change:svg change:png_name", draw);
  draw();
  return () => model.off("change:svg change:png_name", draw);
}

export default { render };
