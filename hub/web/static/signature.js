// Signature pad: the applicant signs once on a canvas with a mouse, pen or finger.

export class SignaturePad {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.drawing = false;
    this.strokes = 0;
    this.reset();
    const pos = (e) => {
      const r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * (canvas.width / r.width), (e.clientY - r.top) * (canvas.height / r.height)];
    };
    const start = (e) => {
      e.preventDefault();
      this.drawing = true;
      const [x, y] = pos(e);
      this.ctx.beginPath();
      this.ctx.moveTo(x, y);
      this.ctx.lineTo(x + 0.1, y + 0.1);
      this.ctx.stroke();
    };
    const move = (e) => {
      if (!this.drawing) return;
      e.preventDefault();
      const [x, y] = pos(e);
      this.ctx.lineTo(x, y);
      this.ctx.stroke();
    };
    const end = () => {
      if (this.drawing) { this.drawing = false; this.strokes++; canvas.dispatchEvent(new Event("signed")); }
    };
    if (window.PointerEvent) {
      canvas.addEventListener("pointerdown", (e) => { canvas.setPointerCapture?.(e.pointerId); start(e); });
      canvas.addEventListener("pointermove", move);
      canvas.addEventListener("pointerup", end);
      canvas.addEventListener("pointercancel", end);
    } else {
      canvas.addEventListener("mousedown", start);
      canvas.addEventListener("mousemove", move);
      window.addEventListener("mouseup", end);
    }
  }

  reset() {
    const { ctx, canvas } = this;
    ctx.fillStyle = "#fffdf7";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = "#c8ccd2";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(20, canvas.height - 30);
    ctx.lineTo(canvas.width - 20, canvas.height - 30);
    ctx.stroke();
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    this.strokes = 0;
  }

  isEmpty() { return this.strokes === 0; }

  /** dataURL returns the signature as a PNG data URL. */
  dataURL() { return this.canvas.toDataURL("image/png"); }
}
