// The latent-space explorer: a trained 2-D decoder, run in the browser.
//
// aelib/explorer.py writes one cell output, a div of class aelib-explorer
// holding this file and a call aelibExplorer(root, data), where `data` holds
// the test codes, their labels, and each decoder's weights as 8-bit integers
// with one scale per output column. Nothing is fetched and no kernel is needed:
// the page, Jupyter and Colab all run the same few functions below.

// --- The decoder -------------------------------------------------------------

// Bytes of a base64 string, read as a typed array (Int8Array, Float32Array, ...).
function fromBase64(text, ArrayType) {
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return new ArrayType(bytes.buffer);
}

// One dense layer, y_j = scale_j * (sum_i x_i q_ij) + bias_j, where q is the
// int8 kernel, stored row by row, (inputs, outputs), as Keras holds it.
function dense(layer, x) {
  const y = new Float64Array(layer.outputs);
  for (let i = 0; i < layer.inputs; i++) {
    if (x[i] === 0) continue; // a ReLU's zeros cost nothing
    const row = i * layer.outputs; // where row i of q starts
    for (let j = 0; j < layer.outputs; j++) {
      y[j] += x[i] * layer.weights[row + j];
    }
  }
  for (let j = 0; j < layer.outputs; j++) {
    y[j] = y[j] * layer.scales[j] + layer.bias[j];
    if (layer.activation === "relu") y[j] = Math.max(y[j], 0);
  }
  return y;
}

// The decoder: z -> dense layers -> logits -> sigmoid -> pixel means.
function decode(decoder, z) {
  let h = Float64Array.from(z);
  for (const layer of decoder.layers) h = dense(layer, h);
  return h.map((logit) => 1 / (1 + Math.exp(-logit))); // sigmoid
}

// --- The page ----------------------------------------------------------------

function aelibExplorer(root, data) {
  if (!root || root.explorer) return;
  const colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", // matplotlib's tab10,
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]; // as in the static maps
  const limit = data.limit; // the plane shows [-limit, limit]^2
  const decoders = data.models.map((model) => ({
    name: model.name,
    codes: fromBase64(model.codes, Float32Array), // (N * 2): z1, z2, z1, z2, ...
    layers: model.layers.map((layer) => ({
      inputs: layer.inputs, outputs: layer.outputs, activation: layer.activation,
      weights: fromBase64(layer.weights, Int8Array),
      scales: fromBase64(layer.scales, Float32Array),
      bias: fromBase64(layer.bias, Float32Array),
    })),
  }));
  const labels = fromBase64(data.labels, Uint8Array);
  const element = (tag, className, text) => {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text) el.textContent = text;
    return el;
  };

  // The plane: codes as dots, the prior's 1, 2, 3 sigma circles, the chosen point.
  const planeBox = element("div", "aelib-explorer-plane");
  const plane = element("canvas");
  plane.width = plane.height = 480;
  plane.tabIndex = 0;
  plane.setAttribute("role", "application");
  plane.setAttribute("aria-roledescription", "latent plane");
  plane.setAttribute("aria-label", "Latent plane. Point, drag or tap to choose a code z; "
    + "the arrow keys move it (with Shift, in larger steps); Home returns to the origin.");
  planeBox.append(plane);
  const legend = element("ul", "aelib-explorer-legend");
  data.classNames.forEach((name, label) => {
    const item = element("li", null, name);
    const swatch = element("span", "aelib-explorer-swatch");
    swatch.style.background = colours[label % 10];
    item.prepend(swatch);
    legend.append(item);
  });
  planeBox.append(legend);

  const side = element("div", "aelib-explorer-side");
  const readout = element("p", "aelib-explorer-readout");
  readout.setAttribute("aria-live", "polite");
  const priorButton = element("button", null, "Draw z from the prior N(0, I)");
  priorButton.type = "button";
  const images = element("div", "aelib-explorer-images");
  const canvases = decoders.map((decoder) => {
    const figure = element("figure");
    const canvas = element("canvas");
    canvas.width = canvas.height = data.imageSize;
    canvas.setAttribute("role", "img");
    figure.append(canvas, element("figcaption", null, decoder.name));
    images.append(figure);
    return canvas;
  });
  side.append(readout, images, priorButton);
  let showCodesOf = 0;
  if (decoders.length > 1) { // whose codes the plane shows
    const choice = element("fieldset", "aelib-explorer-choice");
    choice.append(element("legend", null, "Dots: the test codes of"));
    decoders.forEach((decoder, index) => {
      const label = element("label");
      const radio = element("input");
      radio.type = "radio";
      radio.name = root.id + "-codes";
      radio.checked = index === 0;
      radio.addEventListener("change", () => { showCodesOf = index; drawCodes(); draw(); });
      label.append(radio, " " + decoder.name);
      choice.append(label);
    });
    side.append(choice);
  }
  const note = element("p", "aelib-explorer-note", data.note);
  const timing = element("span");
  note.append(" ", timing);
  root.querySelector(".aelib-explorer-fallback")?.remove();
  root.append(planeBox, side, note);

  const size = plane.width;
  // z1 -> x on the canvas; z2 -> y is size - toPixel(z2), as the canvas counts y downwards.
  const toPixel = (value) => ((value + limit) / (2 * limit)) * size;
  const codeLayer = document.createElement("canvas");
  codeLayer.width = codeLayer.height = size;

  function drawCodes() {
    const ctx = codeLayer.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, size, size);
    ctx.strokeStyle = "#ddd";
    ctx.beginPath(); // the axes z1 = 0 and z2 = 0
    ctx.moveTo(toPixel(0), 0); ctx.lineTo(toPixel(0), size);
    ctx.moveTo(0, toPixel(0)); ctx.lineTo(size, toPixel(0));
    ctx.stroke();
    const codes = decoders[showCodesOf].codes;
    ctx.globalAlpha = 0.6;
    for (let n = 0; n < labels.length; n++) {
      ctx.fillStyle = colours[labels[n] % 10];
      ctx.fillRect(toPixel(codes[2 * n]) - 1.5, size - toPixel(codes[2 * n + 1]) - 1.5, 3, 3);
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = "#000";
    ctx.setLineDash([5, 4]);
    for (const radius of [1, 2, 3]) {
      ctx.beginPath();
      ctx.arc(toPixel(0), toPixel(0), toPixel(radius) - toPixel(0), 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.setLineDash([]);
    ctx.fillStyle = "#000";
    ctx.font = "16px sans-serif";
    ctx.fillText(`z\u2081 \u2192 ${limit}`, size - 78, size - 8);
    ctx.fillText(`z\u2082 \u2191 ${limit}`, 6, 18);
  }

  let z = [0, 0];
  let priorDraw = null; // the last draw from the prior, marked on the plane
  let decodeTimes = [];

  function draw() {
    const ctx = plane.getContext("2d");
    ctx.drawImage(codeLayer, 0, 0);
    if (priorDraw) { // a ring where the prior's draw fell
      ctx.strokeStyle = "#d62728";
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.arc(toPixel(priorDraw[0]), size - toPixel(priorDraw[1]), 9, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.lineWidth = 1;
    }
    const [x, y] = [toPixel(z[0]), size - toPixel(z[1])];
    for (const [colour, width] of [["#fff", 6], ["#000", 2]]) { // cross hairs at z, white halo
      ctx.strokeStyle = colour;
      ctx.lineWidth = width;
      ctx.beginPath();
      ctx.moveTo(x - 14, y); ctx.lineTo(x + 14, y);
      ctx.moveTo(x, y - 14); ctx.lineTo(x, y + 14);
      ctx.stroke();
    }
    ctx.lineWidth = 1;
  }

  // Decodes z with every decoder and paints the images, dark ink on white (as the book's figures).
  function moveTo(z1, z2) {
    z = [Math.max(-limit, Math.min(limit, z1)), Math.max(-limit, Math.min(limit, z2))];
    const where = `z = (${z[0].toFixed(2)}, ${z[1].toFixed(2)})`;
    decoders.forEach((decoder, index) => {
      const start = performance.now();
      const pixels = decode(decoder, z);
      decodeTimes.push(performance.now() - start);
      const canvas = canvases[index];
      const ctx = canvas.getContext("2d");
      const image = ctx.createImageData(canvas.width, canvas.height);
      pixels.forEach((p, k) => {
        const grey = 255 - Math.round(255 * p);
        image.data.set([grey, grey, grey, 255], 4 * k);
      });
      ctx.putImageData(image, 0, 0);
      canvas.setAttribute("aria-label", `${decoder.name}: the image decoded at ${where}`);
    });
    decodeTimes = decodeTimes.slice(-50);
    const mean = decodeTimes.reduce((a, b) => a + b, 0) / decodeTimes.length;
    timing.textContent = `A decode takes ${mean.toFixed(1)} ms in this browser.`;
    const radius = Math.hypot(z[0], z[1]);
    readout.textContent = `${where}, ${radius.toFixed(2)} from the origin`;
    draw();
  }

  // The pointer: a mouse decodes wherever it hovers; a finger or pen where it touches and drags.
  function fromPointer(event) {
    const box = plane.getBoundingClientRect();
    const x = (event.clientX - box.left) / box.width;
    const y = (event.clientY - box.top) / box.height;
    moveTo((2 * x - 1) * limit, (1 - 2 * y) * limit);
  }
  plane.addEventListener("pointerdown", (event) => {
    plane.setPointerCapture(event.pointerId);
    plane.focus({preventScroll: true});
    fromPointer(event);
  });
  plane.addEventListener("pointermove", (event) => {
    if (event.pointerType === "mouse" || event.buttons) fromPointer(event);
  });
  plane.addEventListener("keydown", (event) => {
    const step = (event.shiftKey ? 5 : 1) * limit / 40; // with Shift, five steps at once
    const moves = {ArrowLeft: [-step, 0], ArrowRight: [step, 0],
      ArrowUp: [0, step], ArrowDown: [0, -step]};
    if (event.key === "Home") moveTo(0, 0);
    else if (moves[event.key]) moveTo(z[0] + moves[event.key][0], z[1] + moves[event.key][1]);
    else return;
    event.preventDefault(); // the arrows move the point, not the page
  });
  priorButton.addEventListener("click", () => {
    // Box-Muller: two uniform draws give two independent standard normal draws.
    const u = 1 - Math.random(), v = Math.random();
    const r = Math.sqrt(-2 * Math.log(u));
    priorDraw = [r * Math.cos(2 * Math.PI * v), r * Math.sin(2 * Math.PI * v)];
    moveTo(priorDraw[0], priorDraw[1]);
  });

  drawCodes();
  moveTo(0, 0);
  // For the book's browser test, and for the curious in the console.
  root.explorer = {
    moveTo, z: () => z.slice(), limit, names: decoders.map((d) => d.name), probes: data.probes,
    error: data.error, imageSize: data.imageSize,
    timeDecode(repeats) { // milliseconds per decode, averaged over `repeats` decodes
      const start = performance.now();
      for (let n = 0; n < repeats; n++) {
        decode(decoders[n % decoders.length], [Math.sin(n), Math.cos(n)]);
      }
      return (performance.now() - start) / repeats;
    },
  };
}
