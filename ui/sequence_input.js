// The sequence box: a text box that applies what the user types, without a click elsewhere.
//
// The text goes to the server once the user pauses (DEBOUNCE_MS after the last key), at once on
// Enter (or Ctrl+Enter), and when the box loses focus; never on every key. Shift+Enter types a line
// break where the page says one means something (numbers: a new step; characters: a ⏎ step), and
// applies like Enter where it does not. Python passes `text` (what the server holds now), `label`,
// `keys` (the line under the box saying what Enter does), `help`, `max` (characters, 0 for no
// limit), `rows`, `newline`, `disabled`, `big` (presenter mode's type) and `session` (the server's
// session); the box reports the text as the trigger "text". No build step, no network: Streamlit
// loads this text as it is.
//
// When the server process dies, Streamlit reconnects the page to another one (or the restarted one),
// which starts a new session from the link: a text the user typed as the old one died never reached
// it (Streamlit drops a report made while the page is disconnected). So once the page is connected
// again, and whenever `session` says the server is another one, the box reports what it holds if the
// server may not hold it: the user's text wins over the link's older one.

const DEBOUNCE_MS = 350;
const BOXES = new WeakMap(); // the component's host -> its box, kept across reruns

class SequenceBox {
  constructor(host, report) {
    this.report = report;
    this.timer = 0;
    this.held = null; // what the server holds, as last told
    this.sent = []; // texts sent since the server last echoed the newest one
    this.root = document.createElement("div");
    this.root.className = "sq";
    this.root.innerHTML = `
      <label class="sq-label" for="sq-text"></label>
      <textarea id="sq-text" class="sq-text" spellcheck="false" autocomplete="off" autocapitalize="off"
        aria-describedby="sq-keys sq-help"></textarea>
      <div class="sq-keys" id="sq-keys"></div>
      <span class="sq-help" id="sq-help" hidden></span>`;
    host.appendChild(this.root);
    this.watchConnection();
    this.box = this.root.querySelector("textarea");
    this.box.addEventListener("input", () => this.schedule());
    this.box.addEventListener("keydown", (event) => this.key(event));
    this.box.addEventListener("blur", () => this.flush());
  }

  update(data) {
    const d = data || {};
    this.newline = Boolean(d.newline);
    this.root.querySelector(".sq-label").textContent = d.label || "";
    this.root.querySelector(".sq-keys").textContent = d.keys || "";
    const help = this.root.querySelector(".sq-help");
    help.textContent = d.help || "";
    this.box.title = d.help || "";
    this.box.rows = Math.max(1, Number(d.rows) || 2);
    this.box.classList.toggle("sq-one-line", this.box.rows === 1);
    if (d.max > 0) this.box.maxLength = d.max;
    else this.box.removeAttribute("maxlength");
    this.box.disabled = Boolean(d.disabled);
    this.root.classList.toggle("sq-big", Boolean(d.big));
    const text = typeof d.text === "string" ? d.text : "";
    const session = typeof d.session === "string" ? d.session : "";
    if (this.session !== undefined && session !== this.session && !this.box.disabled) {
      this.session = session; // a new session (the server process changed): it knows only the link's text
      this.held = text;
      this.sent = [];
      if (this.box.value !== text) this.flush();
      return;
    }
    this.session = session;
    if (text === this.held) return;
    this.held = text;
    if (this.sent.length && text === this.sent[this.sent.length - 1]) {
      this.sent = []; // the server has the newest text sent: in step again
      return;
    }
    if (this.sent.includes(text)) return; // the echo of an older report, overtaken by a newer one
    this.sent = [];
    // The server changed the text (an example, a link, another page): show it, unless the user is typing.
    if (!this.timer && this.box.value !== text) this.box.value = text;
  }

  // Streamlit marks its root with the connection's state; the box hears when it is connected again.
  watchConnection() {
    const app = document.querySelector("[data-testid=stApp]");
    if (!app || typeof MutationObserver === "undefined") return;
    const STATE = "data-test-connection-state";
    let state = app.getAttribute(STATE);
    this.observer = new MutationObserver(() => {
      const now = app.getAttribute(STATE);
      if (now === state) return;
      const lost = state !== "CONNECTED";
      state = now;
      if (now === "CONNECTED" && lost) this.reconnected();
    });
    this.observer.observe(app, { attributes: true, attributeFilter: [STATE] });
  }

  reconnected() {
    // A text sent while the connection was down, or typed since, may never have reached the server.
    if (this.box.disabled || (this.box.value === this.held && !this.sent.length)) return;
    this.sent = [];
    this.flush();
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), DEBOUNCE_MS);
  }

  key(event) {
    if (event.key !== "Enter" || event.isComposing || event.altKey) return;
    if (event.shiftKey && this.newline) return; // the browser types the line break; the pause sends it
    event.preventDefault();
    this.flush();
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = 0;
    const text = this.box.value;
    // Nothing new for a server that holds this text and has nothing on its way. A text sent but not
    // yet echoed goes again: a report can be lost (a worker that died took it along), and one more
    // costs a rerun of cached results.
    if (text === this.held && !this.sent.length) return;
    this.sent.push(text);
    this.report("text", text);
  }

  destroy() {
    clearTimeout(this.timer);
    if (this.observer) this.observer.disconnect();
    this.root.remove();
  }
}

export default function mountSequenceBox(component) {
  const { parentElement, data, setTriggerValue } = component;
  let box = BOXES.get(parentElement);
  if (!box) {
    box = new SequenceBox(parentElement, setTriggerValue);
    BOXES.set(parentElement, box);
  }
  box.report = setTriggerValue;
  box.update(data);
  return () => {
    if (BOXES.get(parentElement) === box) {
      try {
        box.flush(); // what was typed but not yet sent still counts
      } catch (error) {
        console.warn("sequence box: could not send the last text", error);
      }
      box.destroy();
      BOXES.delete(parentElement);
    }
  };
}
