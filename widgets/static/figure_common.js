// What the browser halves of widgets.point_cloud and widgets.svg_figure share: a tooltip beside
// the pointer and a file download.  Python puts this text in front of each widget's own module
// (widgets.style.browser_module), so both are one ES module each, also under JupyterLab, where
// no server route would serve a third file.

// Fill `tip` with `lines` (the first in bold) and place it beside the pointer at (x, y) inside a
// box of `width` x `height` pixels: right of it, or left where it would leave the box.
function showTip(tip, lines, x, y, width, height) {
  tip.replaceChildren(...lines.map((line, i) => {
    const div = document.createElement("div");
    div.textContent = line;
    if (i === 0) div.style.fontWeight = "600";
    return div;
  }));
  tip.style.display = "block";
  const w = tip.offsetWidth, h = tip.offsetHeight;
  tip.style.left = `${x + 14 + w > width ? Math.max(0, x - 14 - w) : x + 14}px`;
  tip.style.top = `${Math.max(0, Math.min(height - h, y - h / 2))}px`;
}

// Save `blob` as a file called `name`.
function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

