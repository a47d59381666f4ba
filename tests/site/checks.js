// What a reader sees on one page of the built book, measured in the browser.
// Called by test_site.py through page.evaluate once the page and MathJax have
// finished; returns lists of problems (empty lists mean the page is clean).
async () => {
  const problems = {raw: [], images: [], math: [], headings: [], overflow: [], page_width: []};
  const short = (text) => text.replace(/\s+/g, " ").trim().slice(0, 120);
  const where = (el) => {
    const cls = el.className && typeof el.className === "string" ? "." + el.className.split(/\s+/).join(".") : "";
    const section = el.closest("section");
    const box = el.closest(".admonition");
    const heading = (box && box.querySelector(".admonition-title")) || (section && section.querySelector("h1, h2, h3, h4"));
    return `<${el.tagName.toLowerCase()}${cls}> in "${heading ? short(heading.textContent).replace(/#$/, "") : "?"}"`;
  };

  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  // The theme and the book's own script run after load; give them one frame.
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 50)));

  const article = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;

  // 1. Raw Markdown or MyST text in what the reader reads (code is allowed to hold it).
  const rawPatterns = [
    [/:::\{/, "MyST fence ':::{'"],
    [/\{cite(:[pt])?\}/, "unrendered {cite}"],
    [/\{ref\}|\{doc\}|\{numref\}|\{eq\}/, "unrendered role"],
    [/\|\s*:?(-{3,}|[\u2013\u2014]+):?\s*\|/, "Markdown table rule '|---|'"],
    [/^\s*\|.*\|\s*$/m, "Markdown table row '| a | b |'"],
    [/\*\*\S/, "Markdown bold '**'"],
    [/\\_/, "escaped underscore '\\_'"],
    [/\\\(|\\\[|\$\$/, "math left untypeset"],
  ];
  const skip = "pre, code, script, style, mjx-container, .MathJax, textarea, .highlight";
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    if (!parent.getClientRects().length) continue; // not displayed
    for (const [pattern, what] of rawPatterns) {
      if (pattern.test(node.textContent)) problems.raw.push(`${what}: "${short(node.textContent)}" ${where(parent)}`);
    }
  }
  for (const pre of article.querySelectorAll("pre")) {
    if (/NBVAL_/.test(pre.textContent)) problems.raw.push(`test marker in code: "${short(pre.textContent)}"`);
  }

  // 2. Every image loaded, with alt text that is not just its file name.
  for (const img of document.images) {
    const local = img.src.startsWith(location.origin);
    if (!local) continue; // an outside address (the Colab badge) cannot be reached from the test
    if (!img.complete || img.naturalWidth === 0) problems.images.push(`not loaded: ${img.getAttribute("src")}`);
    const alt = (img.getAttribute("alt") || "").trim();
    const file = img.getAttribute("src").split("/").pop();
    const altFile = alt.split("/").pop();
    if (img.closest("article") && (!alt || altFile === file || /^[0-9a-f]{32,}\.\w+$/.test(altFile))) {
      problems.images.push(`alt text is its file name or empty: ${file}`);
    }
  }

  // 3. Every math element typeset, without a MathJax error.
  for (const el of article.querySelectorAll(".math")) {
    if (!el.querySelector("mjx-container")) problems.math.push(`not typeset: "${short(el.textContent)}"`);
  }
  for (const err of document.querySelectorAll("mjx-merror, [data-mjx-error]")) {
    problems.math.push(`MathJax error: ${err.getAttribute("data-mjx-error") || short(err.textContent)}`);
  }

  // 4. No heading with two numbers ("2.3. 2. Gradients"), on the page or in its contents.
  const twoNumbers = /^\s*\d+(\.\d+)*\.?\s+\(?\d+(\.\d+)*[.)]\s/;
  const titles = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6, nav a, .bd-toc a")];
  for (const el of titles) {
    const text = el.textContent.replace(/#\s*$/, "").replace(/\s+/g, " ").trim();
    if (twoNumbers.test(text)) problems.headings.push(`"${text}"`);
  }

  // 5. Nothing wider than its column, unless it sits in a scroll box that says
  //    so (class aelib-scroll, added by book/_static/aelib.js, which draws the
  //    edge shadows). A box that hides what does not fit is always a problem.
  // MathJax's hidden copy for screen readers (mjx-assistive-mml) widens
  // scrollWidth without showing anything: measure what is drawn instead.
  const reallyWider = (el) => {
    if (!el.querySelector("mjx-assistive-mml")) return true;
    const box = el.getBoundingClientRect();
    for (const child of el.querySelectorAll("*")) {
      if (child.closest("mjx-assistive-mml")) continue;
      const r = child.getBoundingClientRect();
      if (r.width > 0 && (r.right > box.right + 2 || r.left < box.left - 2)) return true;
    }
    return false;
  };
  const column = article.getBoundingClientRect();
  const reported = [];
  for (const el of article.querySelectorAll("*")) {
    if (reported.some((outer) => outer.contains(el))) continue;
    if (!el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    const overflows = el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 && reallyWider(el);
    if (overflows && (style.overflowX === "auto" || style.overflowX === "scroll")) {
      const hinted = el.classList.contains("aelib-scroll") && /gradient/.test(style.backgroundImage);
      if (!hinted) {
        problems.overflow.push(`scrolls without saying so: ${where(el)}`);
        reported.push(el);
      }
      continue;
    }
    // Inside a formula, MathJax clips its own stretchy parts (mjx-ext) on purpose.
    const mathjaxPart = el.tagName.startsWith("MJX-") && el.tagName !== "MJX-CONTAINER";
    if (overflows && (style.overflowX === "hidden" || style.overflowX === "clip") && !mathjaxPart) {
      problems.overflow.push(`content cut off (${el.scrollWidth} px in ${el.clientWidth} px): ${where(el)}`);
    }
    if (el.closest(".aelib-scroll, mjx-assistive-mml")) continue;
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > column.right + 1) {
      problems.overflow.push(`${Math.round(box.right - column.right)} px past the column: ${where(el)}`);
      reported.push(el);
    }
  }

  // 6. The page itself never scrolls sideways.
  const scroller = document.scrollingElement || document.documentElement;
  if (scroller.scrollWidth > window.innerWidth + 1) {
    problems.page_width.push(`page is ${scroller.scrollWidth} px wide in a ${window.innerWidth} px window`);
  }
  for (const key of Object.keys(problems)) problems[key] = [...new Set(problems[key])];
  return problems;
}
