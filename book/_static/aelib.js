// The book's own page behaviour (html_js_files in _config.yml).
//
// 1. Marks every box in the article that really scrolls sideways with the
//    class aelib-scroll (aelib.css draws edge shadows on it), makes it
//    reachable by keyboard, and says so in its title. Runs after MathJax has
//    typeset, and again when the window changes size.
// 2. Makes each figure a chapter draws a link to the full-size image.
(function () {
  "use strict";

  function background(el) {
    for (let node = el; node && node !== document.documentElement; node = node.parentElement) {
      const color = getComputedStyle(node).backgroundColor;
      if (color && color !== "transparent" && !/rgba\(.*,\s*0\)$/.test(color)) return color;
    }
    return null;
  }

  // MathJax's hidden copy for screen readers widens scrollWidth without being
  // drawn; measure what is drawn when it is there.
  function reallyWider(el) {
    if (el.scrollWidth <= el.clientWidth + 1 || el.clientWidth === 0) return false;
    if (!el.querySelector("mjx-assistive-mml")) return true;
    const box = el.getBoundingClientRect();
    for (const child of el.querySelectorAll("*")) {
      if (child.closest("mjx-assistive-mml")) continue;
      const r = child.getBoundingClientRect();
      if (r.width > 0 && (r.right > box.right + 2 || r.left < box.left - 2)) return true;
    }
    return false;
  }

  function markScrollBoxes() {
    const article = document.querySelector("article.bd-article") || document.body;
    for (const el of article.querySelectorAll("*")) {
      const overflowX = getComputedStyle(el).overflowX;
      const scrolls = (overflowX === "auto" || overflowX === "scroll") && reallyWider(el);
      if (scrolls && !el.classList.contains("aelib-scroll")) {
        el.classList.remove("aelib-scroll");
        const color = background(el);
        el.classList.add("aelib-scroll");
        if (color) el.style.setProperty("--aelib-scroll-bg", color);
        if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "0");
        if (!el.title) el.title = "Scroll sideways to see all of it";
      } else if (!scrolls && el.classList.contains("aelib-scroll")) {
        el.classList.remove("aelib-scroll");
      }
    }
  }

  function linkFigures() {
    for (const img of document.querySelectorAll("div.cell_output img")) {
      if (img.closest("a")) continue;
      const link = document.createElement("a");
      link.href = img.src;
      link.className = "aelib-figure-link";
      link.title = "Open the figure at full size";
      img.replaceWith(link);
      link.appendChild(img);
    }
  }

  function whenTypeset() {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) return MathJax.startup.promise;
    return Promise.resolve();
  }

  let timer = null;
  window.addEventListener("resize", () => {
    clearTimeout(timer);
    timer = setTimeout(markScrollBoxes, 150);
  });
  window.addEventListener("load", () => {
    linkFigures();
    whenTypeset().then(markScrollBoxes, markScrollBoxes);
  });
})();
