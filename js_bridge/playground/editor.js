// The kernel editor: a plain textarea with a line-number gutter whose numbers mark the
// lines that have errors, and a way to put the cursor on a line and column.
//
// Rule: the textarea stays the one source of truth (no hidden copy of the text); the
// gutter is redrawn from it and scrolled with it.

export class Editor {
  constructor(textarea, gutter) {
    this.textarea = textarea;
    this.gutter = gutter;
    this.marked = new Map(); // line -> "error" | "warning"
    textarea.addEventListener("input", () => this.renumber());
    textarea.addEventListener("scroll", () => {
      gutter.scrollTop = textarea.scrollTop;
    });
    textarea.addEventListener("keydown", (e) => this.indent(e));
  }

  get text() {
    return this.textarea.value;
  }

  set text(value) {
    this.textarea.value = value;
    this.textarea.scrollTop = 0;
    this.mark([]);
  }

  // marks: [{line, severity}] — earlier errors win over warnings on the same line.
  mark(marks) {
    this.marked = new Map();
    for (const { line, severity } of marks) {
      if (line && this.marked.get(line) !== "error") this.marked.set(line, severity);
    }
    this.renumber();
  }

  renumber() {
    const count = this.textarea.value.split("\n").length;
    const rows = [];
    for (let line = 1; line <= count; line++) {
      const severity = this.marked.get(line);
      rows.push(severity ? `<span class="${severity}">${line}</span>` : String(line));
    }
    this.gutter.innerHTML = rows.join("\n") + "\n ";
    this.gutter.scrollTop = this.textarea.scrollTop;
  }

  // Select `length` characters from (line, column) — 1-based, as errors count — and
  // scroll the line into view.
  select(line, column, length = 1) {
    const lines = this.textarea.value.split("\n");
    const before = lines.slice(0, line - 1).reduce((n, text) => n + text.length + 1, 0);
    const start = before + Math.max(0, column - 1);
    this.textarea.focus();
    this.textarea.setSelectionRange(start, start + Math.max(1, length));
    const lineHeight = parseFloat(getComputedStyle(this.textarea).lineHeight) || 18;
    const top = (line - 1) * lineHeight;
    const view = this.textarea.clientHeight;
    if (top < this.textarea.scrollTop || top > this.textarea.scrollTop + view - 2 * lineHeight) {
      this.textarea.scrollTop = Math.max(0, top - view / 3);
    }
  }

  // Tab inserts four spaces instead of leaving the editor (Shift+Tab still leaves it).
  indent(e) {
    if (e.key !== "Tab" || e.shiftKey || e.ctrlKey || e.metaKey || e.altKey) return;
    e.preventDefault();
    const { selectionStart: start, selectionEnd: end } = this.textarea;
    this.textarea.setRangeText("    ", start, end, "end");
    this.textarea.dispatchEvent(new Event("input"));
  }
}
