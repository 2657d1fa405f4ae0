// Presenter keys: a presentation clicker (Page Up / Page Down) always changes stop, whatever has focus,
// and the arrow keys click the step buttons while no text box or slider is being used.
//
// The listener sits on the document in the capture phase, so it hears a key before a focused slider
// does: after a mouse move on a knob, Page Down still goes to the next stop and the knob stays put.
// Python passes `targets` (key name -> the Streamlit key of the button to click) and `always` (the key
// names taken whatever has focus). No build step, no network: Streamlit loads this text as it is.

const TYPING = "input, textarea, select, [contenteditable=true], [role=slider], [role=combobox]";

export default function presenterKeys(component) {
  const data = component.data || {};
  const targets = data.targets || {};
  const always = new Set(data.always || []);

  const onKey = (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || event.isComposing) return;
    const target = targets[event.key];
    if (!target) return;
    const taken = always.has(event.key);
    if (!taken && event.target instanceof Element && event.target.closest(TYPING)) return;
    if (taken) {
      // the clicker's key is ours: the focused control must not move, even where there is no next stop
      event.preventDefault();
      event.stopPropagation();
    }
    const button = document.querySelector(`.st-key-${target} button`);
    if (!button || button.disabled) return;
    event.preventDefault();
    if (taken && document.activeElement instanceof HTMLElement) document.activeElement.blur();
    button.click();
  };

  document.addEventListener("keydown", onKey, true);
  return () => document.removeEventListener("keydown", onKey, true);
}
