// Coalescing: however many changes arrive (a pushed value each, ~20/s with 20 Things), the view
// draws at most once per animation frame. A timer stands in when frames do not come (a hidden
// tab gets none), so the page is current when it is shown again.
export function perFrame(draw: () => void, fallbackMs = 250): () => void {
  let pending = false;
  let frame = 0;
  let timer = 0;
  const run = () => {
    cancelAnimationFrame(frame);
    window.clearTimeout(timer);
    pending = false;
    draw();
  };
  return () => {
    if (pending) return;
    pending = true;
    frame = requestAnimationFrame(run);
    timer = window.setTimeout(run, fallbackMs);
  };
}
