// MathJax set-up. MathJax itself is served from the site (assets/vendor/mathjax, fetched by
// `make mathjax`), so an offline reader sees typeset math too.
// Two kinds of page carry math:
//   - markdown pages: pymdownx.arithmatex (generic mode) wraps each formula in
//     <span class="arithmatex">\( ... \)</span> or <div class="arithmatex">\[ ... \]</div>;
//   - notebook pages (mkdocs-jupyter): markdown cells keep Jupyter's $...$ and $$...$$ inside
//     elements of class jp-RenderedMarkdown.
// Everything else (code, outputs, navigation) is skipped, so a stray $ in a listing stays a $:
// an element with any class is ignored, and its unclassed children inherit that, unless the
// class is one of the two above. (Material's usual ".*|" would also ignore the unclassed <p>
// inside a notebook cell, leaving its math raw.)
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: ".+",
    processHtmlClass: "arithmatex|jp-RenderedMarkdown",
  },
};
// Material's instant navigation swaps pages without a reload: typeset each new page once
// MathJax has started (on the first page its own start-up does the typesetting).
document$.subscribe(() => {
  if (!window.MathJax.startup) return;  // not loaded yet: start-up will typeset this page
  MathJax.startup.promise.then(() => {
    MathJax.startup.output.clearCache();
    MathJax.typesetClear();
    MathJax.texReset();
    return MathJax.typesetPromise();
  });
});
